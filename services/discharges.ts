/**
 * Discharges from the HIS: store the raw message first, validate, upsert patient and encounter,
 * start the encounter's follow-up workflow. Resending is harmless at every step.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { z } from 'zod';
import type { Sql } from '../db/client.js';
import { canAccessDepartment, seesAllDepartments, type Principal } from '../domain/access.js';
import { maskPhone } from '../domain/masking.js';
import { DepartmentKey, FOLLOW_UP_WORKFLOW_TYPE, followUpWorkflowId, type FollowUpInput } from '../workflows/contracts.js';
import { forbidden, ServiceError, ValidationError } from './errors.js';
import { parseOrThrow } from './validation.js';

const trimmed = (max: number) => z.string().trim().min(1, '不能为空').max(max, `最长 ${max} 个字符`);
const optionalText = (max: number) => z.string().trim().max(max, `最长 ${max} 个字符`).optional();

/** Identifiers become part of workflow IDs and URLs: letters, digits and a few separators only. */
const hisId = z
  .string({ required_error: '必填' })
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, '只能包含字母、数字和 . _ : -,最长 64 位');

export const dischargeSchema = z.object({
  encounterId: hisId,
  patient: z.object(
    {
      id: hisId,
      name: trimmed(64),
      sex: z.enum(['M', 'F', 'O', 'U'], { errorMap: () => ({ message: '须为 M、F、O 或 U' }) }).optional(),
      birthDate: z
        .string()
        .regex(/^\d{4}-\d{2}-\d{2}$/, '日期格式须为 YYYY-MM-DD')
        .refine((d) => !Number.isNaN(Date.parse(d)), '不是有效日期')
        .optional(),
      phone: z
        .string()
        .trim()
        .regex(/^\+?[\d\s()-]{7,20}$/, '不是有效的电话号码')
        .optional(),
      address: optionalText(200),
    },
    { required_error: '必填' },
  ),
  department: trimmed(32),
  diagnosis: z.object({ code: optionalText(32), name: optionalText(200) }).optional(),
  procedure: optionalText(200),
  attendingDoctor: optionalText(64),
  dischargedAt: z
    .string({ required_error: '必填' })
    .datetime({ offset: true, message: '须为带时区的 ISO 8601 时间,如 2026-11-20T10:30:00+08:00' }),
});

export type DischargeInput = z.infer<typeof dischargeSchema>;

export interface IngestResult {
  encounterId: string;
  workflowId: string;
}

export interface DischargeListItem {
  encounterId: string;
  patientId: string;
  patientName: string;
  sex: string | null;
  age: number | null;
  phoneMasked: string;
  departmentCode: string;
  diagnosis: string | null;
  procedure: string | null;
  attendingDoctor: string | null;
  dischargedAt: string;
  daysSinceDischarge: number;
  workflowId: string;
}

export function createDischargeService({ sql, temporal, taskQueue }: { sql: Sql; temporal: Client; taskQueue: string }) {
  async function startFollowUp(encounterId: string, departmentCode: string): Promise<string> {
    const workflowId = followUpWorkflowId(encounterId);
    try {
      await temporal.workflow.start(FOLLOW_UP_WORKFLOW_TYPE, {
        taskQueue,
        workflowId,
        args: [{ encounterId } satisfies FollowUpInput],
        // A closed follow-up of the same encounter is not restarted by a resent message.
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        typedSearchAttributes: [{ key: DepartmentKey, value: departmentCode }],
        staticSummary: `出院随访 · 科室 ${departmentCode} · 就诊号 ${encounterId}`,
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    return workflowId;
  }

  return {
    /**
     * Ingests one discharge sent as JSON text. The raw text is stored before anything else; a
     * rejected message stays in the inbox with its reason. Throws ValidationError (400) naming
     * the field, or 503 when Temporal is unreachable (the HIS resends; the retry is harmless).
     */
    async ingestJson(rawText: string): Promise<IngestResult> {
      const [inbox] = await sql<{ id: string }[]>`
        INSERT INTO inbound_messages (source, raw) VALUES ('json', ${rawText}) RETURNING id`;
      const reject = async (err: ValidationError) => {
        await sql`UPDATE inbound_messages SET outcome = 'rejected', error = ${err.message} WHERE id = ${inbox!.id}`;
        return err;
      };
      let body: unknown;
      try {
        body = JSON.parse(rawText);
      } catch {
        throw await reject(new ValidationError([{ field: '(body)', message: '不是有效的 JSON' }]));
      }
      let discharge: DischargeInput;
      try {
        discharge = parseOrThrow(dischargeSchema, body);
      } catch (err) {
        if (err instanceof ValidationError) throw await reject(err);
        throw err;
      }

      const workflowId = followUpWorkflowId(discharge.encounterId);
      const inserted = await sql.begin(async (tx) => {
        const [patient] = await tx<{ id: string }[]>`
          INSERT INTO patients (his_patient_id, name, sex, birth_date, phone, address)
          VALUES (${discharge.patient.id}, ${discharge.patient.name}, ${discharge.patient.sex ?? null},
                  ${discharge.patient.birthDate ?? null}, ${discharge.patient.phone ?? null}, ${discharge.patient.address ?? null})
          ON CONFLICT (his_patient_id) DO UPDATE SET
            name = EXCLUDED.name,
            sex = COALESCE(EXCLUDED.sex, patients.sex),
            birth_date = COALESCE(EXCLUDED.birth_date, patients.birth_date),
            phone = COALESCE(EXCLUDED.phone, patients.phone),
            address = COALESCE(EXCLUDED.address, patients.address),
            updated_at = now()
          RETURNING id`;
        const rows = await tx`
          INSERT INTO encounters (his_encounter_id, patient_id, department_code, diagnosis_code, diagnosis_name,
                                  procedure_name, attending_doctor, discharged_at, workflow_id)
          VALUES (${discharge.encounterId}, ${patient!.id}, ${discharge.department}, ${discharge.diagnosis?.code ?? null},
                  ${discharge.diagnosis?.name ?? null}, ${discharge.procedure ?? null}, ${discharge.attendingDoctor ?? null},
                  ${discharge.dischargedAt}, ${workflowId})
          ON CONFLICT (his_encounter_id) DO NOTHING
          RETURNING id`;
        return rows.length > 0;
      });

      // Started even for a duplicate: if the first attempt stored the encounter but could not
      // reach Temporal, the HIS's resend completes the job.
      try {
        await startFollowUp(discharge.encounterId, discharge.department);
      } catch (err) {
        await sql`UPDATE inbound_messages SET error = ${String(err)}, his_encounter_id = ${discharge.encounterId} WHERE id = ${inbox!.id}`;
        throw new ServiceError(503, 'temporal_unavailable', '出院记录已保存,但随访流程暂时无法启动,请稍后重发');
      }
      await sql`
        UPDATE inbound_messages SET outcome = ${inserted ? 'accepted' : 'duplicate'}, his_encounter_id = ${discharge.encounterId}
        WHERE id = ${inbox!.id}`;
      return { encounterId: discharge.encounterId, workflowId };
    },

    /** Discharges per department code (including codes no department is mapped to yet), for management. */
    async countsByDepartment(user: Principal): Promise<{ departmentCode: string; last30Days: number; total: number }[]> {
      if (!seesAllDepartments(user.role)) throw forbidden('仅管理层和管理员可查看全院数据');
      return sql<{ departmentCode: string; last30Days: number; total: number }[]>`
        SELECT department_code AS "departmentCode",
               count(*) FILTER (WHERE discharged_at > now() - interval '30 days')::int AS "last30Days",
               count(*)::int AS total
        FROM encounters GROUP BY department_code ORDER BY department_code`;
    },

    /** Discharges of one department, newest first; refused (403) for users of another department. */
    async listForDepartment(user: Principal, departmentCode: string, { limit = 100, offset = 0 } = {}): Promise<DischargeListItem[]> {
      if (!canAccessDepartment(user, departmentCode)) throw forbidden('只能查看本科室的出院患者');
      const rows = await sql<
        {
          his_encounter_id: string;
          patient_id: string;
          name: string;
          sex: string | null;
          age: number | null;
          phone: string | null;
          department_code: string;
          diagnosis_name: string | null;
          procedure_name: string | null;
          attending_doctor: string | null;
          discharged_at: Date;
          days: number;
          workflow_id: string;
        }[]
      >`
        SELECT e.his_encounter_id, p.id AS patient_id, p.name, p.sex, p.phone, e.department_code, e.diagnosis_name,
               e.procedure_name, e.attending_doctor, e.discharged_at, e.workflow_id,
               date_part('year', age(p.birth_date))::int AS age,
               ((now() AT TIME ZONE 'Asia/Shanghai')::date - (e.discharged_at AT TIME ZONE 'Asia/Shanghai')::date) AS days
        FROM encounters e JOIN patients p ON p.id = e.patient_id
        WHERE e.department_code = ${departmentCode}
        ORDER BY e.discharged_at DESC
        LIMIT ${Math.min(limit, 500)} OFFSET ${offset}`;
      return rows.map((r) => ({
        encounterId: r.his_encounter_id,
        patientId: r.patient_id,
        patientName: r.name,
        sex: r.sex,
        age: r.age,
        phoneMasked: maskPhone(r.phone),
        departmentCode: r.department_code,
        diagnosis: r.diagnosis_name,
        procedure: r.procedure_name,
        attendingDoctor: r.attending_doctor,
        dischargedAt: r.discharged_at.toISOString(),
        daysSinceDischarge: r.days,
        workflowId: r.workflow_id,
      }));
    },
  };
}

export type DischargeService = ReturnType<typeof createDischargeService>;
