/** The patient record as staff see it: masked contact data, encounters, and an audit row per view. */
import { z } from 'zod';
import type { Sql } from '../db/client.js';
import { asUser } from '../db/scope.js';
import { administers, canViewPatient, type PatientAccessFacts, type Principal } from '../domain/access.js';
import { displayPatientKey, maskAddress, maskIdCard, maskPhone } from '../domain/masking.js';
import type { TicketStatus } from '../workflows/feedback-ticket/labels.js';
import type { TaskStatus } from '../workflows/follow-up/labels.js';
import type { AuditService, RequestMeta } from './audit.js';
import { forbidden, notFound } from './errors.js';
import { parseOrThrow } from './validation.js';

export interface PatientView {
  id: string;
  /** 病案号; masked when the HIS uses a resident ID number as the patient key. */
  hisPatientId: string;
  name: string;
  sex: string | null;
  birthDate: string | null;
  phoneMasked: string;
  /** Automated contact: opted out (patient-wide, every encounter) and how; WeChat binding. */
  contact: { optedOutAt: string | null; optedOutVia: string | null; wechatBound: boolean };
  /** Cut to the community/street level (`…花家地南里***`). */
  addressMasked: string;
  /** 身份证号 or another identity document, masked (`110***********1234`); '' when unknown. */
  idNumberMasked: string;
  encounters: {
    encounterId: string;
    departmentCode: string | null;
    /** The department's name; 未分配科室 when the HIS code is not mapped yet. */
    departmentName: string;
    diagnosis: string | null;
    procedure: string | null;
    attendingDoctor: string | null;
    dischargedAt: string | null;
    workflowId: string;
  }[];
  followUps: PatientFollowUp[];
  tickets: PatientTicket[];
}

/** One follow-up (task) of the patient, with the answers given (questions by their text). */
export interface PatientFollowUp {
  taskId: string;
  encounterId: string;
  /** 第 n 次随访. */
  touchpoint: number;
  dueAt: string;
  status: TaskStatus;
  channel: string;
  templateName: string;
  completedAt: string | null;
  urgent: boolean;
  agentName: string | null;
  answers: { question: string; answer: string; redFlag: boolean }[];
}

export interface PatientTicket {
  id: string;
  number: string;
  category: string;
  status: TicketStatus;
  departmentName: string;
  receivedAt: string;
  rating: number | null;
}

interface FollowUpRow {
  id: string;
  his_encounter_id: string;
  touchpoint_index: number;
  due_at: Date;
  status: TaskStatus;
  channel: string;
  template_name: string;
  completed_at: Date | null;
  urgent: boolean;
  agent_name: string | null;
  answers: { question: string; value: unknown; redFlag: boolean }[];
}

interface TicketRow {
  id: string;
  number: string;
  category: string;
  status: TicketStatus;
  department_name: string | null;
  received_at: Date;
  rating: number | null;
}

/** An answer as people read it: 是/否 for yes-no questions, the value otherwise. */
function answerText(value: unknown): string {
  if (value === true) return '是';
  if (value === false) return '否';
  if (Array.isArray(value)) return value.map(String).join('、');
  return value === null || value === undefined ? '—' : String(value);
}

/** A contact field an admin may see unmasked (查看完整信息). */
export type UnmaskField = 'phone' | 'address' | 'idNumber';

export interface UnmaskInput {
  field: UnmaskField;
  reason: string;
}

/** The full value of one field, for one response only: never stored or cached by the caller. */
export interface UnmaskResult {
  field: UnmaskField;
  value: string | null;
}

const unmaskSchema = z.object({
  field: z.enum(['phone', 'address', 'idNumber'], { errorMap: () => ({ message: '请选择要查看的字段（电话、地址或证件号）' }) }),
  reason: z
    .string({ required_error: '请填写查看原因', invalid_type_error: '请填写查看原因' })
    .trim()
    .min(4, '查看原因至少 4 个字')
    .max(200, '查看原因最多 200 个字'),
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What `canViewPatient` decides on: the patient's stays, tasks and tickets; undefined for an unknown patient. */
export async function patientAccessFacts(sql: Sql, patientId: string): Promise<PatientAccessFacts | undefined> {
  if (!UUID.test(patientId)) return undefined;
  const [row] = await sql<{ facts: PatientAccessFacts }[]>`
    SELECT json_build_object(
      'encounterDepartments', coalesce((SELECT json_agg(e.department_code) FROM encounters e WHERE e.patient_id = p.id), '[]'),
      'tasks', coalesce((SELECT json_agg(json_build_object('departmentCode', t.department_code, 'assignedAgentId', t.assigned_agent_id))
                         FROM follow_up_tasks t WHERE t.patient_id = p.id), '[]'),
      'tickets', coalesce((SELECT json_agg(json_build_object('departmentCode', k.department_code, 'createdBy', k.created_by,
                                                             'sourceTask', CASE WHEN st.id IS NULL THEN NULL ELSE
                                                               json_build_object('departmentCode', st.department_code, 'assignedAgentId', st.assigned_agent_id) END))
                           FROM tickets k LEFT JOIN follow_up_tasks st ON st.id = k.source_task_id WHERE k.patient_id = p.id), '[]')) AS facts
    FROM patients p WHERE p.id = ${patientId}`;
  return row?.facts;
}

export function createPatientService({ sql, audit }: { sql: Sql; audit: AuditService }) {
  return {
    /** 404 for an unknown id, 403 (audited) when the user may not see the patient (`canViewPatient`). */
    async view(user: Principal, patientId: string, meta: RequestMeta): Promise<PatientView> {
      const facts = await patientAccessFacts(sql, patientId);
      if (!facts) throw notFound('患者不存在');
      // The service's rule, then the same rule in Postgres: the record itself is read under the user's row-level policies.
      const shown = canViewPatient(user, facts)
        ? await asUser(sql, user, async (tx) => {
            const [patient] = await tx<
              {
                id: string;
                his_patient_id: string;
                name: string;
                sex: string | null;
                birth_date: string | null;
                phone: string | null;
                address: string | null;
                id_number: string | null;
                opted_out_at: Date | null;
                opted_out_via: string | null;
                wechat_bound: boolean;
              }[]
            >`SELECT id, his_patient_id, name, sex, birth_date::text, phone, address, id_number, opted_out_at, opted_out_via,
                     wechat_openid IS NOT NULL AS wechat_bound
              FROM patients WHERE id = ${patientId}`;
            const encounters = await tx<
              {
                his_encounter_id: string;
                department_code: string | null;
                department_name: string | null;
                diagnosis_name: string | null;
                procedure_name: string | null;
                attending_doctor: string | null;
                discharged_at: Date | null;
                workflow_id: string;
              }[]
            >`SELECT e.his_encounter_id, e.department_code, d.name AS department_name, e.diagnosis_name, e.procedure_name,
                     e.attending_doctor, e.discharged_at, e.workflow_id
              FROM encounters e LEFT JOIN departments d ON d.code = e.department_code
              WHERE e.patient_id = ${patientId} ORDER BY e.discharged_at DESC NULLS FIRST`;
            // The follow-ups with their answers (questions by their text), and the tickets: what the user may see of them.
            const followUps = await tx<FollowUpRow[]>`
              SELECT t.id, e.his_encounter_id, t.touchpoint_index, t.due_at, t.status, t.channel, qt.name AS template_name,
                     t.completed_at, t.urgent, u.display_name AS agent_name,
                     coalesce((SELECT json_agg(json_build_object('question', coalesce(q.text, a.question_id), 'value', a.value, 'redFlag', a.red_flag)
                                               ORDER BY q.position NULLS LAST)
                               FROM task_answers a
                               LEFT JOIN LATERAL (SELECT x->>'text' AS text, o AS position
                                                  FROM jsonb_array_elements(qt.questions) WITH ORDINALITY AS j(x, o)
                                                  WHERE x->>'id' = a.question_id) q ON true
                               WHERE a.task_id = t.id), '[]') AS answers
              FROM follow_up_tasks t
              JOIN encounters e ON e.id = t.encounter_id
              JOIN question_templates qt ON qt.id = t.template_id
              LEFT JOIN users u ON u.id = coalesce(t.completed_by, t.assigned_agent_id)
              WHERE t.patient_id = ${patientId}
              ORDER BY t.due_at DESC`;
            const tickets = await tx<TicketRow[]>`
              SELECT k.id, k.number, k.category, k.status, d.name AS department_name, k.received_at, k.rating
              FROM tickets k LEFT JOIN departments d ON d.code = k.department_code
              WHERE k.patient_id = ${patientId} ORDER BY k.received_at DESC`;
            return patient ? { patient, encounters, followUps, tickets } : undefined;
          })
        : undefined;
      if (!shown) {
        await audit.record({ actor: user, action: 'patient.view_denied', entityType: 'patient', entityId: patientId, patientId }, meta);
        throw forbidden(user.role === 'agent' ? '该患者不在您负责的随访任务中' : '该患者不属于您的科室');
      }
      await audit.record({ actor: user, action: 'patient.view', entityType: 'patient', entityId: patientId, patientId }, meta);
      const { patient, encounters, followUps, tickets } = shown;
      return {
        id: patient.id,
        hisPatientId: displayPatientKey(patient.his_patient_id),
        name: patient.name,
        sex: patient.sex,
        birthDate: patient.birth_date,
        phoneMasked: maskPhone(patient.phone),
        contact: { optedOutAt: patient.opted_out_at?.toISOString() ?? null, optedOutVia: patient.opted_out_via, wechatBound: patient.wechat_bound },
        addressMasked: maskAddress(patient.address),
        idNumberMasked: maskIdCard(patient.id_number),
        encounters: encounters.map((e) => ({
          encounterId: e.his_encounter_id,
          departmentCode: e.department_code,
          departmentName: e.department_name ?? '未分配科室',
          diagnosis: e.diagnosis_name,
          procedure: e.procedure_name,
          attendingDoctor: e.attending_doctor,
          dischargedAt: e.discharged_at?.toISOString() ?? null,
          workflowId: e.workflow_id,
        })),
        followUps: followUps.map((t) => ({
          taskId: t.id,
          encounterId: t.his_encounter_id,
          touchpoint: t.touchpoint_index + 1,
          dueAt: t.due_at.toISOString(),
          status: t.status,
          channel: t.channel,
          templateName: t.template_name,
          completedAt: t.completed_at?.toISOString() ?? null,
          urgent: t.urgent,
          agentName: t.agent_name,
          answers: t.answers.map((a) => ({ question: a.question, answer: answerText(a.value), redFlag: a.redFlag })),
        })),
        tickets: tickets.map((k) => ({
          id: k.id,
          number: k.number,
          category: k.category,
          status: k.status,
          departmentName: k.department_name ?? '未分配科室',
          receivedAt: k.received_at.toISOString(),
          rating: k.rating,
        })),
      };
    },

    /**
     * 查看完整信息: the unmasked phone or address of one patient, for admins only and with a reason;
     * every look is audited (`patient.unmask`, with the field and the reason). The regular view stays masked.
     */
    async unmask(user: Principal, patientId: string, input: unknown, meta: RequestMeta): Promise<UnmaskResult> {
      if (!administers(user.role)) throw forbidden('仅管理员可查看完整信息');
      const { field, reason } = parseOrThrow(unmaskSchema, input ?? {});
      if (!UUID.test(patientId)) throw notFound('患者不存在');
      const [patient] = await sql<{ phone: string | null; address: string | null; idNumber: string | null }[]>`
        SELECT phone, address, id_number AS "idNumber" FROM patients WHERE id = ${patientId}`;
      if (!patient) throw notFound('患者不存在');
      await audit.record(
        { actor: user, action: 'patient.unmask', entityType: 'patient', entityId: patientId, patientId, details: { field, reason } },
        meta,
      );
      return { field, value: patient[field] };
    },
  };
}

export type PatientService = ReturnType<typeof createPatientService>;
