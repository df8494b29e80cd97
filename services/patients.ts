/** The patient record as staff see it: masked contact data, encounters, and an audit row per view. */
import { z } from 'zod';
import type { Sql } from '../db/client.js';
import { asUser } from '../db/scope.js';
import { administers, canViewPatient, type PatientAccessFacts, type Principal } from '../domain/access.js';
import { displayPatientKey, maskAddress, maskIdCard, maskPhone } from '../domain/masking.js';
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
    diagnosis: string | null;
    procedure: string | null;
    attendingDoctor: string | null;
    dischargedAt: string | null;
    workflowId: string;
  }[];
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
      'tickets', coalesce((SELECT json_agg(json_build_object('departmentCode', k.department_code, 'createdBy', k.created_by))
                           FROM tickets k WHERE k.patient_id = p.id), '[]')) AS facts
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
                diagnosis_name: string | null;
                procedure_name: string | null;
                attending_doctor: string | null;
                discharged_at: Date | null;
                workflow_id: string;
              }[]
            >`SELECT his_encounter_id, department_code, diagnosis_name, procedure_name, attending_doctor, discharged_at, workflow_id
              FROM encounters WHERE patient_id = ${patientId} ORDER BY discharged_at DESC NULLS FIRST`;
            return patient ? { patient, encounters } : undefined;
          })
        : undefined;
      if (!shown) {
        await audit.record({ actor: user, action: 'patient.view_denied', entityType: 'patient', entityId: patientId, patientId }, meta);
        throw forbidden(user.role === 'agent' ? '该患者不在您负责的随访任务中' : '该患者不属于您的科室');
      }
      await audit.record({ actor: user, action: 'patient.view', entityType: 'patient', entityId: patientId, patientId }, meta);
      const { patient, encounters } = shown;
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
          diagnosis: e.diagnosis_name,
          procedure: e.procedure_name,
          attendingDoctor: e.attending_doctor,
          dischargedAt: e.discharged_at?.toISOString() ?? null,
          workflowId: e.workflow_id,
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
