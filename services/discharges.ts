/**
 * Discharges from the HIS: store the raw message first, validate, upsert patient and encounter,
 * start the encounter's follow-up workflow. Resending is harmless at every step.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { z } from 'zod';
import type { Sql } from '../db/client.js';
import { asUser } from '../db/scope.js';
import { canAccessDepartment, seesAllDepartments, type Principal } from '../domain/access.js';
import { maskPhone } from '../domain/masking.js';
import { cancelFollowUpSignal, followUpStart, followUpWorkflowId, type CancelReason } from '../workflows/follow-up/contracts.js';
import { startOnce } from '../workflows/shared/start.js';
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

/**
 * An encounter as any HIS route delivers it (JSON, HL7 v2, FHIR), after parsing. The HIS
 * department may come as several codes (PV1-3 point of care, PV1-10 hospital service …):
 * the first one that maps to a department wins; the first one is kept as sent.
 */
export interface HisEncounter {
  encounterId: string;
  patient: { id: string; name: string; sex?: 'M' | 'F' | 'O' | 'U'; birthDate?: string; phone?: string; address?: string };
  departmentCodes: string[];
  diagnosis?: { code?: string; name?: string };
  procedure?: string;
  attendingDoctor?: string;
  nurse?: string;
  ward?: string;
  admittedAt?: string;
  dischargedAt?: string;
  /** Discharged as deceased: no follow-up, and the patient's other pending follow-ups end. */
  deceased?: boolean;
}

export type InboundSource = 'json' | 'hl7' | 'fhir';

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
  departmentCode: string | null;
  hisDepartmentCode: string;
  diagnosis: string | null;
  procedure: string | null;
  attendingDoctor: string | null;
  dischargedAt: string;
  daysSinceDischarge: number;
  workflowId: string;
}

export function createDischargeService({ sql, temporal, taskQueue }: { sql: Sql; temporal: Client; taskQueue: string }) {
  /** `again`: the encounter's discharge was cancelled and is now discharged anew, so its closed follow-up may run again. */
  async function startFollowUp(encounterId: string, departmentCode: string | null, again = false): Promise<string> {
    const request = followUpStart({ encounterId }, { departmentCode, again });
    await startOnce(temporal, taskQueue, request);
    return request.options.workflowId;
  }

  /** Signals a follow-up to cancel; one that already ended needs nothing. */
  async function cancelFollowUp(encounterId: string, reason: CancelReason): Promise<boolean> {
    try {
      await temporal.workflow.getHandle(followUpWorkflowId(encounterId)).signal(cancelFollowUpSignal, { reason });
      return true;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }

  /**
   * Upserts patient and encounter in one statement (one round trip, atomic). The department is
   * the first HIS code, in message order, that is mapped (or is itself a department code).
   * Returns whether the encounter row is new, its status before, and the patient's death date.
   */
  async function storeEncounter(e: HisEncounter, status: 'admitted' | 'discharged') {
    const [row] = await sql<
      { patient_id: string; deceased_at: Date | null; inserted: boolean; department_code: string | null; previous_status: string | null }[]
    >`
      WITH patient AS (
        INSERT INTO patients (his_patient_id, name, sex, birth_date, phone, address)
        VALUES (${e.patient.id}, ${e.patient.name}, ${e.patient.sex ?? null},
                ${e.patient.birthDate ?? null}, ${e.patient.phone ?? null}, ${e.patient.address ?? null})
        ON CONFLICT (his_patient_id) DO UPDATE SET
          name = EXCLUDED.name,
          sex = COALESCE(EXCLUDED.sex, patients.sex),
          birth_date = COALESCE(EXCLUDED.birth_date, patients.birth_date),
          phone = COALESCE(EXCLUDED.phone, patients.phone),
          address = COALESCE(EXCLUDED.address, patients.address),
          updated_at = now()
        RETURNING id, deceased_at
      ), department AS (
        SELECT d.code FROM unnest(${sql.array(e.departmentCodes)}::text[]) WITH ORDINALITY AS his(code, position)
        CROSS JOIN LATERAL (
          SELECT department_code AS code, 1 AS priority FROM department_mappings WHERE his_code = his.code
          UNION ALL SELECT code, 2 FROM departments WHERE code = his.code
        ) d
        ORDER BY his.position, d.priority LIMIT 1
      )
      INSERT INTO encounters (his_encounter_id, patient_id, his_department_code, department_code, diagnosis_code,
                              diagnosis_name, procedure_name, attending_doctor, nurse, ward, admitted_at,
                              discharged_at, status, workflow_id)
      SELECT ${e.encounterId}, patient.id, ${e.departmentCodes[0] ?? ''}, (SELECT code FROM department),
             ${e.diagnosis?.code ?? null}, ${e.diagnosis?.name ?? null}, ${e.procedure ?? null},
             ${e.attendingDoctor ?? null}, ${e.nurse ?? null}, ${e.ward ?? null}, ${e.admittedAt ?? null}::timestamptz,
             ${e.dischargedAt ?? null}::timestamptz, ${status}, ${followUpWorkflowId(e.encounterId)}
      FROM patient
      ON CONFLICT (his_encounter_id) DO UPDATE SET
        diagnosis_code = COALESCE(EXCLUDED.diagnosis_code, encounters.diagnosis_code),
        diagnosis_name = COALESCE(EXCLUDED.diagnosis_name, encounters.diagnosis_name),
        procedure_name = COALESCE(EXCLUDED.procedure_name, encounters.procedure_name),
        attending_doctor = COALESCE(EXCLUDED.attending_doctor, encounters.attending_doctor),
        nurse = COALESCE(EXCLUDED.nurse, encounters.nurse),
        ward = COALESCE(EXCLUDED.ward, encounters.ward),
        admitted_at = COALESCE(encounters.admitted_at, EXCLUDED.admitted_at),
        -- A discharge fixes the time and status (a late admission message changes neither);
        -- after a cancelled discharge or admission, the next message counts afresh.
        discharged_at = CASE WHEN encounters.status = 'discharged' THEN encounters.discharged_at
                             ELSE COALESCE(EXCLUDED.discharged_at, encounters.discharged_at) END,
        status = CASE WHEN encounters.status = 'discharged' THEN encounters.status ELSE EXCLUDED.status END
      RETURNING patient_id, (SELECT deceased_at FROM patient) AS deceased_at, (xmax = 0) AS inserted, department_code,
                (SELECT status FROM encounters WHERE his_encounter_id = ${e.encounterId}) AS previous_status`;
    return {
      patientId: row!.patient_id,
      deceasedAt: row!.deceased_at,
      inserted: row!.inserted,
      departmentCode: row!.department_code,
      previousStatus: row!.previous_status,
    };
  }

  /** Runs a Temporal call; when Temporal is unreachable the message stays stored and the HIS is asked to resend (503). */
  async function temporalOr503<T>(inboxId: string, encounterId: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      await sql`UPDATE inbound_messages SET error = ${String(err)}, his_encounter_id = ${encounterId} WHERE id = ${inboxId}`;
      throw new ServiceError(503, 'temporal_unavailable', '消息已保存,但随访流程暂时无法处理,请稍后重发');
    }
  }

  const service = {
    /** Stores an inbound message before anything else is done with it; returns its inbox id. */
    async receive(source: InboundSource, raw: string): Promise<string> {
      const [row] = await sql<{ id: string }[]>`INSERT INTO inbound_messages (source, raw) VALUES (${source}, ${raw}) RETURNING id`;
      return row!.id;
    },

    async settle(inboxId: string, outcome: 'accepted' | 'duplicate' | 'rejected', extra: { error?: string; encounterId?: string } = {}) {
      await sql`
        UPDATE inbound_messages SET outcome = ${outcome}, error = ${extra.error ?? null}, his_encounter_id = ${extra.encounterId ?? null}
        WHERE id = ${inboxId}`;
    },

    /**
     * A discharge from any route: stores patient and encounter and starts the follow-up.
     * The workflow start is attempted even for a duplicate: if the first attempt stored the
     * encounter but could not reach Temporal, the HIS's resend completes the job (503 until then).
     */
    async discharge(inboxId: string, e: HisEncounter & { dischargedAt: string }): Promise<IngestResult & { duplicate: boolean }> {
      const stored = await storeEncounter(e, 'discharged');
      const duplicate = !stored.inserted && stored.previousStatus === 'discharged';
      if (e.deceased) {
        await sql`UPDATE patients SET deceased_at = COALESCE(deceased_at, ${e.dischargedAt}) WHERE id = ${stored.patientId}`;
        const pending = await sql<{ his_encounter_id: string }[]>`
          SELECT his_encounter_id FROM encounters
          WHERE patient_id = ${stored.patientId} AND his_encounter_id <> ${e.encounterId} AND status = 'discharged'`;
        await temporalOr503(inboxId, e.encounterId, async () => {
          for (const { his_encounter_id } of pending) await cancelFollowUp(his_encounter_id, 'death');
        });
      } else {
        // No follow-up calls to the family of a patient the HIS has reported deceased.
        if (!stored.deceasedAt) {
          await temporalOr503(inboxId, e.encounterId, () =>
            startFollowUp(e.encounterId, stored.departmentCode, stored.previousStatus === 'discharge_cancelled'),
          );
        }
      }
      await service.settle(inboxId, duplicate ? 'duplicate' : 'accepted', { encounterId: e.encounterId });
      return { encounterId: e.encounterId, workflowId: followUpWorkflowId(e.encounterId), duplicate };
    },

    /**
     * An admission or registration (A01/A04): keeps patient data current. A new admission of a
     * patient whose earlier discharge is still being followed up cancels that follow-up (readmission).
     */
    async admit(inboxId: string, e: HisEncounter): Promise<{ cancelledFollowUps: string[] }> {
      const stored = await storeEncounter(e, 'admitted');
      const cancelled: string[] = [];
      if (stored.inserted) {
        const earlier = await sql<{ his_encounter_id: string }[]>`
          SELECT his_encounter_id FROM encounters
          WHERE patient_id = ${stored.patientId} AND his_encounter_id <> ${e.encounterId} AND status = 'discharged'`;
        await temporalOr503(inboxId, e.encounterId, async () => {
          for (const { his_encounter_id } of earlier) {
            if (await cancelFollowUp(his_encounter_id, 'readmission')) cancelled.push(his_encounter_id);
          }
        });
      }
      await service.settle(inboxId, stored.inserted ? 'accepted' : 'duplicate', { encounterId: e.encounterId });
      return { cancelledFollowUps: cancelled };
    },

    /** Cancel admit / cancel discharge (A11/A13): pending follow-ups of the encounter are cancelled. */
    async cancelEncounter(inboxId: string, encounterId: string, kind: 'admission' | 'discharge'): Promise<void> {
      // Cancel discharge applies to a discharged encounter; cancel admission to one not cancelled yet.
      const rows =
        kind === 'discharge'
          ? await sql`UPDATE encounters SET status = 'discharge_cancelled' WHERE his_encounter_id = ${encounterId} AND status = 'discharged' RETURNING id`
          : await sql`UPDATE encounters SET status = 'admission_cancelled' WHERE his_encounter_id = ${encounterId} AND status IN ('admitted', 'discharged') RETURNING id`;
      if (rows.length > 0) await temporalOr503(inboxId, encounterId, () => cancelFollowUp(encounterId, 'discharge_cancelled'));
      await service.settle(inboxId, rows.length > 0 ? 'accepted' : 'duplicate', { encounterId });
    },

    /** Rejects a stored message with the reason, and returns the error for the caller to answer with. */
    async reject<E extends Error>(inboxId: string, err: E): Promise<E> {
      await service.settle(inboxId, 'rejected', { error: err.message });
      return err;
    },

    /**
     * Ingests one discharge sent as JSON text. The raw text is stored before anything else; a
     * rejected message stays in the inbox with its reason. Throws ValidationError (400) naming
     * the field, or 503 when Temporal is unreachable.
     */
    async ingestJson(rawText: string): Promise<IngestResult> {
      const inboxId = await service.receive('json', rawText);
      let body: unknown;
      try {
        body = JSON.parse(rawText);
      } catch {
        throw await service.reject(inboxId, new ValidationError([{ field: '(body)', message: '不是有效的 JSON' }]));
      }
      let d: DischargeInput;
      try {
        d = parseOrThrow(dischargeSchema, body);
      } catch (err) {
        if (err instanceof ValidationError) throw await service.reject(inboxId, err);
        throw err;
      }
      const { encounterId, workflowId } = await service.discharge(inboxId, {
        encounterId: d.encounterId,
        patient: d.patient,
        departmentCodes: [d.department],
        diagnosis: d.diagnosis,
        procedure: d.procedure,
        attendingDoctor: d.attendingDoctor,
        dischargedAt: d.dischargedAt,
      });
      return { encounterId, workflowId };
    },

    /** Discharges per department (NULL: HIS codes not mapped yet), for management. */
    async countsByDepartment(user: Principal): Promise<{ departmentCode: string | null; last30Days: number; total: number }[]> {
      if (!seesAllDepartments(user.role)) throw forbidden('仅管理层和管理员可查看全院数据');
      return sql<{ departmentCode: string | null; last30Days: number; total: number }[]>`
        SELECT department_code AS "departmentCode",
               count(*) FILTER (WHERE discharged_at > now() - interval '30 days')::int AS "last30Days",
               count(*)::int AS total
        FROM encounters WHERE discharged_at IS NOT NULL
        GROUP BY department_code ORDER BY department_code NULLS LAST`;
    },

    /** Discharges of one department, newest first; refused (403) for users of another department. */
    async listForDepartment(user: Principal, departmentCode: string, { limit = 100, offset = 0 } = {}): Promise<DischargeListItem[]> {
      if (!canAccessDepartment(user, departmentCode)) throw forbidden('只能查看本科室的出院患者');
      const rows = await asUser(sql, user, (tx) => tx<
        {
          his_encounter_id: string;
          patient_id: string;
          name: string;
          sex: string | null;
          age: number | null;
          phone: string | null;
          department_code: string | null;
          his_department_code: string;
          diagnosis_name: string | null;
          procedure_name: string | null;
          attending_doctor: string | null;
          discharged_at: Date;
          days: number;
          workflow_id: string;
        }[]
      >`
        SELECT e.his_encounter_id, p.id AS patient_id, p.name, p.sex, p.phone, e.department_code, e.his_department_code,
               e.diagnosis_name,
               e.procedure_name, e.attending_doctor, e.discharged_at, e.workflow_id,
               date_part('year', age(p.birth_date))::int AS age,
               ((now() AT TIME ZONE 'Asia/Shanghai')::date - (e.discharged_at AT TIME ZONE 'Asia/Shanghai')::date) AS days
        FROM encounters e JOIN patients p ON p.id = e.patient_id
        WHERE e.department_code = ${departmentCode} AND e.discharged_at IS NOT NULL
        ORDER BY e.discharged_at DESC
        LIMIT ${Math.min(limit, 500)} OFFSET ${offset}`);
      return rows.map((r) => ({
        encounterId: r.his_encounter_id,
        patientId: r.patient_id,
        patientName: r.name,
        sex: r.sex,
        age: r.age,
        phoneMasked: maskPhone(r.phone),
        departmentCode: r.department_code,
        hisDepartmentCode: r.his_department_code,
        diagnosis: r.diagnosis_name,
        procedure: r.procedure_name,
        attendingDoctor: r.attending_doctor,
        dischargedAt: r.discharged_at.toISOString(),
        daysSinceDischarge: r.days,
        workflowId: r.workflow_id,
      }));
    },
  };
  return service;
}

export type DischargeService = ReturnType<typeof createDischargeService>;
