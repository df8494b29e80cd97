/**
 * Apply: the one place an HIS encounter event (domain/his/event.ts) takes effect, whatever
 * format it came in. Upserts patient and encounter, then starts or cancels follow-up
 * workflows. Resending is harmless at every step. This is the only ingest module that knows
 * the follow-up workflow's vocabulary (type, ID, signals, search attributes).
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Sql } from '../db/client.js';
import { followUpVerdict, type DischargeAgePolicy } from '../domain/his/discharge-age.js';
import { hisDepartmentKey, shortCode, type HisEncounter, type HisEvent, type HisPatientUpdate } from '../domain/his/event.js';
import type { TouchpointTiming } from '../domain/schedule.js';
import { cancelFollowUpSignal, followUpStart, followUpWorkflowId, type CancelReason } from '../workflows/follow-up/contracts.js';
import { startOnce } from '../workflows/shared/start.js';
import { ServiceError } from './errors.js';

export interface ApplyResult {
  /** `duplicate`: the event changed nothing (a resend); `ignored`: nothing here concerns it. */
  outcome: 'accepted' | 'duplicate' | 'ignored';
  encounterId?: string;
  /** Why nothing was done, or what was done instead (shown in the inbox). */
  note?: string;
  /** The encounter's follow-up workflow, for discharges. */
  workflowId?: string;
  cancelledFollowUps?: string[];
}

/** Temporal could not be reached: what is stored stays stored, and the message is to be processed again. */
export const temporalUnavailable = () => new ServiceError(503, 'temporal_unavailable', '消息已保存,但随访流程暂时无法处理,请稍后重发');

const TEMPORAL_DEADLINE_MS = 5000;

export const DEFAULT_DISCHARGE_AGE_POLICY: DischargeAgePolicy = { horizonDays: 90, lateWindowDays: 7 };

export interface HisApplyDeps {
  sql: Sql;
  temporal: Client;
  taskQueue: string;
  /** Which late discharges are still followed up (HIS_FOLLOW_UP_HORIZON_DAYS, HIS_LATE_FOLLOW_UP_DAYS). */
  dischargeAge?: DischargeAgePolicy;
  now?: () => Date;
}

export function createHisApply({ sql, temporal, taskQueue, dischargeAge = DEFAULT_DISCHARGE_AGE_POLICY, now = () => new Date() }: HisApplyDeps) {
  /**
   * `again`: the encounter's discharge was cancelled and is now discharged anew, so its closed
   * follow-up may run again. False when the follow-up already existed (a resend).
   */
  async function startFollowUp(encounterId: string, departmentCode: string | null, again = false): Promise<boolean> {
    // The Temporal UI's summary names the department as the hospital does, not by its code.
    const [department] = departmentCode ? await sql<{ name: string }[]>`SELECT name FROM departments WHERE code = ${departmentCode}` : [];
    return startOnce(temporal, taskQueue, followUpStart({ encounterId }, { departmentCode, departmentName: department?.name ?? null, again }));
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
   * Runs Temporal calls; when Temporal is unreachable, a retryable 503. A gRPC deadline bounds
   * the client's own retries, so the HIS gets its answer (AE / 503) while it still waits for one.
   */
  async function onTemporal<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await temporal.connection.withDeadline(Date.now() + TEMPORAL_DEADLINE_MS, call);
    } catch (err) {
      throw Object.assign(temporalUnavailable(), { cause: err });
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
        INSERT INTO patients (his_patient_id, name, sex, birth_date, phone, address, id_number)
        VALUES (${e.patient.id}, ${e.patient.name}, ${e.patient.sex ?? null},
                ${e.patient.birthDate ?? null}, ${e.patient.phone ?? null}, ${e.patient.address ?? null},
                ${e.patient.idNumber ?? null})
        ON CONFLICT (his_patient_id) DO UPDATE SET
          name = EXCLUDED.name,
          sex = COALESCE(EXCLUDED.sex, patients.sex),
          birth_date = COALESCE(EXCLUDED.birth_date, patients.birth_date),
          phone = COALESCE(EXCLUDED.phone, patients.phone),
          address = COALESCE(EXCLUDED.address, patients.address),
          id_number = COALESCE(EXCLUDED.id_number, patients.id_number),
          updated_at = now()
        RETURNING id, deceased_at
      ), department AS (
        SELECT d.code FROM unnest(${sql.array(departmentCandidates(e))}::text[]) WITH ORDINALITY AS his(code, position)
        CROSS JOIN LATERAL (
          SELECT department_code AS code, 1 AS priority FROM department_mappings WHERE his_code = his.code
          UNION ALL SELECT code, 2 FROM departments WHERE code = his.code
          UNION ALL SELECT code, 3 FROM departments WHERE name = his.code
        ) d
        ORDER BY his.position, d.priority LIMIT 1
      )
      INSERT INTO encounters (his_encounter_id, patient_id, his_department_code, department_code, diagnosis_code,
                              diagnosis_name, procedure_name, attending_doctor, nurse, ward, room, bed, admitted_at,
                              discharged_at, status, workflow_id)
      SELECT ${e.encounterId}, patient.id, ${hisDepartmentKey(e)}, (SELECT code FROM department),
             ${e.diagnosis?.code ?? null}, ${e.diagnosis?.name ?? null}, ${e.procedure ?? null},
             ${e.attendingDoctor ?? null}, ${e.nurse ?? null}, ${e.ward ?? null}, ${e.room ?? null}, ${e.bed ?? null}, ${e.admittedAt ?? null}::timestamptz,
             ${e.dischargedAt ?? null}::timestamptz, ${status}, ${followUpWorkflowId(e.encounterId)}
      FROM patient
      ON CONFLICT (his_encounter_id) DO UPDATE SET
        diagnosis_code = COALESCE(EXCLUDED.diagnosis_code, encounters.diagnosis_code),
        diagnosis_name = COALESCE(EXCLUDED.diagnosis_name, encounters.diagnosis_name),
        procedure_name = COALESCE(EXCLUDED.procedure_name, encounters.procedure_name),
        attending_doctor = COALESCE(EXCLUDED.attending_doctor, encounters.attending_doctor),
        nurse = COALESCE(EXCLUDED.nurse, encounters.nurse),
        ward = COALESCE(EXCLUDED.ward, encounters.ward),
        room = COALESCE(EXCLUDED.room, encounters.room),
        bed = COALESCE(EXCLUDED.bed, encounters.bed),
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

  /** Encounters of the patient, other than this one, whose follow-up may still be running. */
  async function otherDischarged(patientId: string, encounterId: string): Promise<string[]> {
    const rows = await sql<{ his_encounter_id: string }[]>`
      SELECT his_encounter_id FROM encounters
      WHERE patient_id = ${patientId} AND his_encounter_id <> ${encounterId} AND status = 'discharged'`;
    return rows.map((r) => r.his_encounter_id);
  }

  /**
   * A discharge: stores patient and encounter and starts the follow-up. The workflow start is
   * attempted even for a duplicate: if the first attempt stored the encounter but could not
   * reach Temporal, processing the message again completes the job.
   */
  async function discharge(e: HisEncounter & { dischargedAt: string }): Promise<ApplyResult> {
    const stored = await storeEncounter(e, 'discharged');
    let duplicate = !stored.inserted && stored.previousStatus === 'discharged';
    const workflowId = followUpWorkflowId(e.encounterId);
    // A department not (yet) enabled for follow-up keeps its discharges, but nobody is contacted.
    const verdict = (await followsUp(stored.departmentCode))
      ? followUpVerdict(new Date(e.dischargedAt), await planTimings(stored.departmentCode), now(), dischargeAge)
      : ({ followUp: false, reason: '科室未启用随访' } as const);
    if (!verdict.followUp && !e.deceased) {
      // Stored and shown, but nobody calls a patient about a stay that ended long ago.
      await sql`UPDATE encounters SET follow_up_skipped = ${verdict.reason} WHERE his_encounter_id = ${e.encounterId} AND follow_up_skipped IS NULL`;
      return { outcome: duplicate ? 'duplicate' : 'accepted', encounterId: e.encounterId, note: verdict.reason };
    }
    if (e.deceased) {
      await sql`UPDATE patients SET deceased_at = COALESCE(deceased_at, ${e.dischargedAt}) WHERE id = ${stored.patientId}`;
      const pending = await otherDischarged(stored.patientId, e.encounterId);
      await onTemporal(async () => {
        for (const encounterId of pending) await cancelFollowUp(encounterId, 'death');
      });
    } else if (!stored.deceasedAt) {
      // No follow-up calls to the family of a patient the HIS has reported deceased.
      const started = await onTemporal(() => startFollowUp(e.encounterId, stored.departmentCode, stored.previousStatus === 'discharge_cancelled'));
      // Stored by an attempt that could not reach Temporal, started now: this message did the work.
      if (started) duplicate = false;
    }
    return { outcome: duplicate ? 'duplicate' : 'accepted', encounterId: e.encounterId, workflowId };
  }

  async function followsUp(departmentCode: string | null): Promise<boolean> {
    if (departmentCode === null) return true;
    const [d] = await sql<{ follow_up_enabled: boolean }[]>`SELECT follow_up_enabled FROM departments WHERE code = ${departmentCode}`;
    return d?.follow_up_enabled ?? true;
  }

  /** The touchpoint timings of the plans that may apply: the department's active rules, else the hospital-wide ones. */
  async function planTimings(departmentCode: string | null): Promise<TouchpointTiming[]> {
    const rows = await sql<{ own: boolean; touchpoints: TouchpointTiming[] }[]>`
      SELECT department_code IS NOT NULL AS own, touchpoints FROM follow_up_rules
      WHERE active AND (department_code = ${departmentCode} OR department_code IS NULL)`;
    const own = rows.filter((r) => r.own);
    return (own.length > 0 ? own : rows).flatMap((r) => r.touchpoints);
  }

  /** New patient data (A08/A28/A31) for a patient the system knows; others are no concern here. */
  async function updatePatient(p: HisPatientUpdate): Promise<ApplyResult> {
    const rows = await sql`
      UPDATE patients SET
        name = COALESCE(${p.name ?? null}, name),
        sex = COALESCE(${p.sex ?? null}, sex),
        birth_date = COALESCE(${p.birthDate ?? null}::date, birth_date),
        phone = COALESCE(${p.phone ?? null}, phone),
        address = COALESCE(${p.address ?? null}, address),
        id_number = COALESCE(${p.idNumber ?? null}, id_number),
        updated_at = now()
      WHERE his_patient_id = ${p.id}
      RETURNING id`;
    if (rows.length === 0) return { outcome: 'ignored', note: `患者 ${p.id} 不在随访系统中,无需更新` };
    return { outcome: 'accepted', note: '已更新患者信息' };
  }

  /**
   * An admission or registration (A01/A04): keeps patient data current. A new admission of a
   * patient whose earlier discharge is still being followed up cancels that follow-up (readmission).
   */
  async function admit(e: HisEncounter): Promise<ApplyResult> {
    const stored = await storeEncounter(e, 'admitted');
    const cancelled: string[] = [];
    // Also when the encounter was stored before but is still only admitted: an attempt that
    // could not reach Temporal is completed when the message is processed again.
    if (stored.inserted || stored.previousStatus === 'admitted') {
      const earlier = await otherDischarged(stored.patientId, e.encounterId);
      await onTemporal(async () => {
        for (const encounterId of earlier) if (await cancelFollowUp(encounterId, 'readmission')) cancelled.push(encounterId);
      });
    }
    return { outcome: stored.inserted || cancelled.length > 0 ? 'accepted' : 'duplicate', encounterId: e.encounterId, cancelledFollowUps: cancelled };
  }

  /** Cancel admit / cancel discharge (A11/A13): pending follow-ups of the encounter are cancelled. */
  async function cancelEncounter(encounterId: string, kind: 'admission' | 'discharge'): Promise<ApplyResult> {
    // Cancel discharge applies to a discharged encounter; cancel admission to one not cancelled yet.
    const cancelledStatus = kind === 'discharge' ? 'discharge_cancelled' : 'admission_cancelled';
    const [row] = await sql<{ changed: boolean; status: string }[]>`
      WITH changed AS (
        UPDATE encounters SET status = ${cancelledStatus}
        WHERE his_encounter_id = ${encounterId} AND status = ANY(${kind === 'discharge' ? ['discharged'] : ['admitted', 'discharged']})
        RETURNING status)
      SELECT EXISTS (SELECT 1 FROM changed) AS changed,
             COALESCE((SELECT status FROM changed), (SELECT status FROM encounters WHERE his_encounter_id = ${encounterId}), '') AS status`;
    // Signalled again when already cancelled: the first attempt may not have reached Temporal.
    if (row!.status === cancelledStatus) await onTemporal(() => cancelFollowUp(encounterId, 'discharge_cancelled'));
    return { outcome: row!.changed ? 'accepted' : 'duplicate', encounterId };
  }

  return {
    /** Takes one event into effect. Throws a 503 ServiceError when Temporal is unreachable (what is stored stays). */
    async apply(event: HisEvent): Promise<ApplyResult> {
      switch (event.kind) {
        case 'discharge':
          return discharge(event.encounter);
        case 'admit':
          return admit(event.encounter);
        case 'cancel':
          return cancelEncounter(event.encounterId, event.what);
        case 'patient_update':
          return updatePatient(event.patient);
        case 'ignored':
          return { outcome: 'ignored', note: event.reason };
      }
    },
  };
}

export type HisApply = ReturnType<typeof createHisApply>;

/** What the department is looked up by, in order: the codes, then the names as written and as the mapping keeps them. */
function departmentCandidates(e: HisEncounter): string[] {
  const names = e.departmentNames ?? [];
  return [...new Set([...e.departmentCodes, ...names.flatMap((n) => [n, shortCode(n)])])];
}
