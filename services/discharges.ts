/**
 * HIS ingest: receive → map → apply, the same for every route (HL7 v2 over MLLP, FHIR R4, JSON).
 *   receive  the message is stored in the inbox first, bytes as received (services/his-inbox.ts);
 *   map      one pure module per format turns it into encounter events (domain/his/); FHIR
 *            resources the message only references are read from the hospital's FHIR server first;
 *   apply    one service takes the events into effect (services/his-apply.ts).
 * The entry points (api/his/) only translate the outcome into their protocol's answer; the
 * reconciler (workflows/reconcile/) and the admin's replay process stored messages again.
 * Also the department's list of discharges, for the portal.
 */
import type { Client } from '@temporalio/client';
import type { Sql } from '../db/client.js';
import { asUser } from '../db/scope.js';
import { canAccessDepartment, seesAllDepartments, type Principal } from '../domain/access.js';
import type { DischargeAgePolicy } from '../domain/his/discharge-age.js';
import { eventEncounterId, eventSummary, HisMappingError, type HisEvent } from '../domain/his/event.js';
import { EMPTY_NOTIFICATION, fhirEvents, fhirReferencesToRead, parseFhirJson, type ExternalResource } from '../domain/his/fhir.js';
import { hl7EventFromBytes, type Hl7Options } from '../domain/his/hl7.js';
import { decodeHl7, lossyText } from '../domain/his/hl7-charset.js';
import { jsonEventFromText } from '../domain/his/json.js';
import { maskPhone } from '../domain/masking.js';
import { createAuditService, type RequestMeta } from './audit.js';
import { forbidden, isServiceError, ServiceError, ValidationError } from './errors.js';
import { createHisApply, type ApplyResult } from './his-apply.js';
import { FhirServerUnavailable, createFhirServer, type FhirServer } from './his-fhir-server.js';
import { createHisInbox, type InboundSource, type InboxOutcome, type StoredMessage } from './his-inbox.js';

export type { InboundSource } from './his-inbox.js';

/** How processing a stored message ended; each entry point turns it into its own answer. */
export type IngestOutcome =
  | { status: 'done'; inboxId: string; outcome: 'accepted' | 'duplicate' | 'ignored'; results: ApplyResult[] }
  /** Never acceptable as sent: stored as rejected with the reason. */
  | { status: 'rejected'; inboxId: string; error: HisMappingError }
  /** A dependency is down (Temporal, the hospital's FHIR server): stored, processed again later; a resend is harmless. */
  | { status: 'retry'; inboxId: string; error: ServiceError };

export interface IngestResult {
  encounterId: string;
  /** Absent when no follow-up starts (a discharge too old to contact the patient about). */
  workflowId?: string;
  note?: string;
}

export interface IngestSettings {
  hl7?: Hl7Options;
  fhirServer?: FhirServer;
  dischargeAge?: DischargeAgePolicy;
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
  /** Why nobody is contacted about this discharge (it arrived too late), if so. */
  followUpSkipped: string | null;
}

export function createDischargeService({
  sql,
  temporal,
  taskQueue,
  settings = {},
}: {
  sql: Sql;
  temporal: Client;
  taskQueue: string;
  settings?: IngestSettings;
}) {
  const inbox = createHisInbox({ sql });
  const audit = createAuditService({ sql });
  const { apply } = createHisApply({ sql, temporal, taskQueue, dischargeAge: settings.dischargeAge });
  const fhirServer = settings.fhirServer ?? createFhirServer(undefined);

  /** Resources a FHIR message only references, read from the hospital's server (a notification's Encounter, then its Patient). */
  async function readReferenced(body: unknown): Promise<ExternalResource[]> {
    const external: ExternalResource[] = [];
    for (let round = 0; round < 2 && fhirServer.configured; round++) {
      const wanted = fhirReferencesToRead(body, external);
      if (wanted.length === 0) break;
      const found = await fhirServer.read(wanted);
      if (found.length === 0) break;
      external.push(...found);
    }
    return external;
  }

  /** One mapper per format: the stored message → its encounter events. */
  const MAPPERS: Record<InboundSource, (m: StoredMessage) => Promise<HisEvent[]>> = {
    json: async (m) => [jsonEventFromText(m.raw)],
    hl7: async (m) => [hl7EventFromBytes(m.bytes ?? Buffer.from(m.raw, 'utf8'), settings.hl7)],
    fhir: async (m) => {
      if (m.raw.trim() === '') return [EMPTY_NOTIFICATION];
      const body = parseFhirJson(m.raw);
      return fhirEvents(body, { receivedAt: m.receivedAt, external: await readReferenced(body) });
    },
  };

  /** Maps and applies a stored message, and records the outcome in the inbox. */
  async function process(message: StoredMessage): Promise<IngestOutcome> {
    let events: HisEvent[] = [];
    const results: ApplyResult[] = [];
    try {
      events = await MAPPERS[message.source](message);
      for (const event of events) results.push(await apply(event));
    } catch (err) {
      if (err instanceof HisMappingError) {
        await inbox.settle(message.id, { outcome: 'rejected', error: err.message });
        return { status: 'rejected', inboxId: message.id, error: err };
      }
      const unavailable = isServiceError(err) && err.status === 503 ? err : err instanceof FhirServerUnavailable ? dependencyDown(err) : undefined;
      if (!unavailable) throw err;
      const encounterId = results[0]?.encounterId ?? (events[0] ? eventEncounterId(events[0]) : undefined);
      await inbox.deferred(message.id, err instanceof Error ? String(err.cause ?? err.message) : String(err), encounterId);
      return { status: 'retry', inboxId: message.id, error: unavailable };
    }
    const outcome = results.every((r) => r.outcome === 'ignored')
      ? 'ignored'
      : results.every((r) => r.outcome !== 'accepted')
        ? 'duplicate'
        : 'accepted';
    const notes = [...new Set(results.map((r) => r.note).filter(Boolean))];
    await inbox.settle(message.id, {
      outcome,
      note: notes.length ? notes.join(';') : undefined,
      encounterId: results.find((r) => r.encounterId)?.encounterId,
      summary: events.map((e, i) => ({ ...eventSummary(e), outcome: results[i]?.outcome })),
    });
    return { status: 'done', inboxId: message.id, outcome, results };
  }

  /** Processes a stored message again (reconciler, admin replay). */
  async function reprocess(inboxId: string): Promise<{ outcome: InboxOutcome; error?: string }> {
    const message = await inbox.load(inboxId);
    if (!message) throw new ServiceError(404, 'not_found', '消息不存在');
    const result = await process(message);
    if (result.status === 'done') return { outcome: result.outcome };
    return { outcome: result.status === 'rejected' ? 'rejected' : 'received', error: result.error.message };
  }

  const service = {
    /** Stores a message as received (before anything else), without processing it. */
    receive: inbox.receive,
    /** Marks a stored message rejected for a reason found before mapping (e.g. its media type). */
    async reject(inboxId: string, reason: string): Promise<void> {
      await inbox.settle(inboxId, { outcome: 'rejected', error: reason });
    },

    /**
     * Receive → map → apply. HL7 comes as the bytes received (decoded per MSH-18 for the inbox's
     * text; kept as they are). Throws only when the message could not even be stored.
     */
    async ingest(source: InboundSource, payload: string | Uint8Array): Promise<IngestOutcome> {
      if (typeof payload === 'string') return process(await inbox.receive(source, payload));
      if (source !== 'hl7') return process(await inbox.receive(source, Buffer.from(payload).toString('utf8')));
      let text: string;
      let charset: string | undefined;
      try {
        ({ text, charset } = decodeHl7(payload, settings.hl7?.fallbackCharsets));
      } catch {
        text = lossyText(payload); // refused by the mapping with the reason; the bytes are kept
      }
      return process(await inbox.receive(source, text, { bytes: payload, charset }));
    },
    process,
    reprocess,

    /**
     * Messages stored but not processed (a dependency was down, the process stopped between
     * store and processing), at least `olderThanSeconds` old, processed again, oldest first.
     */
    async reprocessPending({ olderThanSeconds, limit }: { olderThanSeconds: number; limit: number }) {
      const pending = await inbox.pending({ olderThanSeconds, limit });
      const counts = { processed: 0, stillPending: 0, rejected: 0, failed: 0 };
      for (const message of pending) {
        let result: IngestOutcome;
        try {
          result = await process(message);
        } catch (err) {
          // One message that fails unexpectedly must not hold back the ones after it: its error is
          // kept (the inbox shows it) and it is tried again on the next run.
          await inbox.deferred(message.id, err instanceof Error ? err.message : String(err));
          counts.failed++;
          continue;
        }
        if (result.status === 'retry') {
          counts.stillPending++;
          break; // the dependency is still down: the next run tries again
        }
        if (result.status === 'rejected') counts.rejected++;
        else counts.processed++;
      }
      return { ...counts, found: pending.length };
    },

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
      const { encounterId, workflowId, note } = result.results[0]!;
      return { encounterId: encounterId!, ...(workflowId ? { workflowId } : {}), ...(note && !workflowId ? { note } : {}) };
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

    /**
     * Discharges of one department, newest first; refused (403) for users of another department.
     * An agent sees only the stays of the tasks they are responsible for (their own, their queue's
     * unassigned ones). Every listing, and every refusal, is audited.
     */
    async listForDepartment(
      user: Principal,
      departmentCode: string,
      { limit = 100, offset = 0, meta = {} }: { limit?: number; offset?: number; meta?: RequestMeta } = {},
    ): Promise<DischargeListItem[]> {
      if (!canAccessDepartment(user, departmentCode)) {
        await audit.listDenied(user, 'discharge_list', meta, { departmentCode });
        throw forbidden('只能查看本科室的出院患者');
      }
      const responsible =
        user.role === 'agent'
          ? sql`AND EXISTS (SELECT 1 FROM follow_up_tasks t WHERE t.encounter_id = e.id
                            AND (t.assigned_agent_id = ${user.id} OR (t.assigned_agent_id IS NULL AND t.department_code = ${user.departmentCode})))`
          : sql``;
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
          follow_up_skipped: string | null;
        }[]
      >`
        SELECT e.his_encounter_id, p.id AS patient_id, p.name, p.sex, p.phone, e.department_code, e.his_department_code,
               e.diagnosis_name,
               e.procedure_name, e.attending_doctor, e.discharged_at, e.workflow_id, e.follow_up_skipped,
               date_part('year', age(p.birth_date))::int AS age,
               ((now() AT TIME ZONE 'Asia/Shanghai')::date - (e.discharged_at AT TIME ZONE 'Asia/Shanghai')::date) AS days
        FROM encounters e JOIN patients p ON p.id = e.patient_id
        WHERE e.department_code = ${departmentCode} AND e.discharged_at IS NOT NULL ${responsible}
        ORDER BY e.discharged_at DESC
        LIMIT ${Math.min(limit, 500)} OFFSET ${offset}`);
      await audit.listed(user, 'discharge_list', rows.map((r) => r.patient_id), meta, { departmentCode });
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
        followUpSkipped: r.follow_up_skipped,
      }));
    },
  };
  return service;
}

export type DischargeService = ReturnType<typeof createDischargeService>;

/** A dependency other than Temporal is down: the same retryable answer. */
function dependencyDown(err: Error): ServiceError {
  return new ServiceError(503, 'dependency_unavailable', `消息已保存,但暂时无法处理(${err.message}),请稍后重发`);
}
