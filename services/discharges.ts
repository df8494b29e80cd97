/**
 * HIS ingest: receive → map → apply, the same for every route (HL7 v2 over MLLP, FHIR R4, JSON).
 *   receive  the raw message is stored in the inbox first (services/his-inbox.ts);
 *   map      one pure module per format turns it into encounter events (domain/his/);
 *   apply    one service takes the events into effect (services/his-apply.ts).
 * The entry points (api/his/) only translate the result into their protocol's answer. Also the
 * department's list of discharges, for the portal.
 */
import type { Client } from '@temporalio/client';
import type { Sql } from '../db/client.js';
import { asUser } from '../db/scope.js';
import { canAccessDepartment, seesAllDepartments, type Principal } from '../domain/access.js';
import { eventEncounterId, HisMappingError, type HisEvent } from '../domain/his/event.js';
import { fhirEventFromText } from '../domain/his/fhir.js';
import { hl7EventFromText } from '../domain/his/hl7.js';
import { jsonEventFromText } from '../domain/his/json.js';
import { maskPhone } from '../domain/masking.js';
import { forbidden, isServiceError, ServiceError, ValidationError } from './errors.js';
import { createHisApply, type ApplyResult } from './his-apply.js';
import { createHisInbox, type InboundSource, type StoredMessage } from './his-inbox.js';

export type { InboundSource } from './his-inbox.js';

/** One pure mapper per format: the stored message → its encounter events. */
const MAPPERS: Record<InboundSource, (m: StoredMessage) => HisEvent[]> = {
  json: (m) => [jsonEventFromText(m.raw)],
  hl7: (m) => [hl7EventFromText(m.raw)],
  fhir: (m) => [fhirEventFromText(m.raw, m.receivedAt)],
};

/** How processing a stored message ended; each entry point turns it into its own answer. */
export type IngestOutcome =
  | { status: 'done'; inboxId: string; outcome: 'accepted' | 'duplicate'; results: ApplyResult[] }
  /** Never acceptable as sent: stored as rejected with the reason. */
  | { status: 'rejected'; inboxId: string; error: HisMappingError }
  /** A dependency is down: stored, to be processed again; the sender may resend. */
  | { status: 'retry'; inboxId: string; error: ServiceError };

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
  const inbox = createHisInbox({ sql });
  const { apply } = createHisApply({ sql, temporal, taskQueue });

  /** Maps and applies a stored message, and records the outcome in the inbox. */
  async function process(message: StoredMessage): Promise<IngestOutcome> {
    let events: HisEvent[];
    try {
      events = MAPPERS[message.source](message);
    } catch (err) {
      if (!(err instanceof HisMappingError)) throw err;
      await inbox.settle(message.id, 'rejected', { error: err.message });
      return { status: 'rejected', inboxId: message.id, error: err };
    }
    const results: ApplyResult[] = [];
    try {
      for (const event of events) results.push(await apply(event));
    } catch (err) {
      if (!(isServiceError(err) && err.status === 503)) throw err;
      await inbox.deferred(message.id, String(err.cause ?? err.message), results[0]?.encounterId ?? eventEncounterId(events[0]!));
      return { status: 'retry', inboxId: message.id, error: err };
    }
    const outcome = results.every((r) => r.outcome === 'duplicate') ? 'duplicate' : 'accepted';
    await inbox.settle(message.id, outcome, { encounterId: results[0]?.encounterId });
    return { status: 'done', inboxId: message.id, outcome, results };
  }

  const service = {
    /** Stores a message as received (before anything else), without processing it. */
    receive: inbox.receive,
    /** Marks a stored message rejected for a reason found before mapping (e.g. its media type). */
    async reject(inboxId: string, reason: string): Promise<void> {
      await inbox.settle(inboxId, 'rejected', { error: reason });
    },

    /** Receive → map → apply. Throws only when the message could not even be stored. */
    async ingest(source: InboundSource, raw: string): Promise<IngestOutcome> {
      return process(await inbox.receive(source, raw));
    },
    process,
    /** Takes one event into effect without an inbox message (tests, tools that already hold the event). */
    apply,

    /**
     * One discharge sent as JSON text (POST /api/his/discharges, the demo data). Throws
     * ValidationError (400) naming each field, or 503 when Temporal is unreachable.
     */
    async ingestJson(rawText: string): Promise<IngestResult> {
      const result = await service.ingest('json', rawText);
      if (result.status === 'rejected') throw new ValidationError(result.error.problems);
      if (result.status === 'retry') throw result.error;
      const { encounterId, workflowId } = result.results[0]!;
      return { encounterId, workflowId: workflowId! };
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
