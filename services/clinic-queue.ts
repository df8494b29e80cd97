/**
 * The live queue of a clinic session (叫号): consultation order by the clinic-queue rules
 * (`orderQueue`), the number being seen, calling the next patient (staff of the session's
 * department or admin; audited), walk-in registration (现场挂号), and the patient's own view
 * (`/queue/:number?code=…`, no sign-in, nothing personal).
 *
 * An entry is waiting until called (`called_at`), then being seen until the next call marks it
 * seen (`seen_at`). Appointment patients join the queue when they check in; walk-ins when they
 * register. The appointment's own status is left to its workflow.
 */
import { randomUUID } from 'node:crypto';
import type { Sql } from '../db/client.js';
import { runsClinic, type Principal } from '../domain/access.js';
import { estimatedWaitMinutes, orderQueue, positionOf, type QueueEntry, type QueueRule } from '../domain/clinic-queue.js';
import type { AuditService, RequestMeta } from './audit.js';
import { forbidden, isServiceError, notFound, ServiceError } from './errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Assumed mean length of one consultation, for the estimated time. */
export const MEAN_CONSULT_MINUTES = 10;

/** One message for an unknown number and a wrong code, so numbers cannot be probed. */
const NOT_FOUND_MESSAGE = '号码或查询码不正确';

export interface QueueItem {
  number: string;
  kind: 'appointment' | 'walk_in';
  slotIndex: number;
  rule: QueueRule;
  /** 1-based: 1 is next. */
  position: number;
  /** ISO 8601 check-in (appointments) or registration (walk-ins). */
  arrivedAt: string;
}

export interface QueueView {
  sessionId: string;
  expertName: string;
  departmentCode: string;
  departmentName: string;
  currentNumber: string | null;
  entries: QueueItem[];
}

export interface PatientView {
  expertName: string;
  departmentName: string;
  currentNumber: string | null;
  number: string;
  /** waiting: in the queue; called: being seen or seen; not_checked_in: booked, not yet checked in; closed: cancelled or no-show. */
  state: 'waiting' | 'called' | 'seen' | 'not_checked_in' | 'closed' | 'unpaid';
  position: number | null;
  /** Patients before this one. */
  ahead: number | null;
  /** ISO 8601 estimated start, and its Asia/Shanghai HH:mm. */
  estimatedAt: string | null;
  estimatedTime: string | null;
}

interface SessionRow {
  id: string;
  expert_name: string;
  department_code: string;
  department_name: string;
  grace_minutes: number;
}

/** HH:mm in Asia/Shanghai. */
export const shanghaiTime = (d: Date) =>
  d.toLocaleTimeString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false, hour: '2-digit', minute: '2-digit' });

export function createClinicQueueService({ sql, audit }: { sql: Sql; audit: AuditService }) {
  async function sessionRow(db: Sql, sessionId: string): Promise<SessionRow | undefined> {
    if (!UUID.test(sessionId)) return undefined;
    const [row] = await db<SessionRow[]>`
      SELECT s.id, s.expert_name, s.department_code, coalesce(d.name, s.department_code) AS department_name, s.grace_minutes
      FROM clinic_sessions s LEFT JOIN departments d ON d.code = s.department_code
      WHERE s.id = ${sessionId}`;
    return row;
  }

  async function staffSession(user: Principal, sessionId: string, db: Sql = sql): Promise<SessionRow> {
    const session = await sessionRow(db, sessionId);
    if (!session) throw notFound('门诊不存在');
    if (!runsClinic(user, session.department_code)) throw forbidden('只有本科室人员可以管理该门诊的叫号');
    return session;
  }

  async function currentNumber(db: Sql, sessionId: string): Promise<string | null> {
    const [row] = await db<{ called_number: string }[]>`
      SELECT called_number FROM clinic_calls WHERE session_id = ${sessionId} ORDER BY id DESC LIMIT 1`;
    return row?.called_number ?? null;
  }

  /** Waiting entries of a session in consultation order. */
  async function ordered(db: Sql, session: SessionRow, now: Date) {
    const slots = await db<{ slot_index: number; starts_at: Date; ends_at: Date }[]>`
      SELECT slot_index, starts_at, ends_at FROM clinic_slots WHERE session_id = ${session.id} ORDER BY slot_index`;
    // Waiting: checked in, not called — or called while absent (passed) and back since (过号).
    const appointments = await db<{ number: string; slot_index: number; checked_in_at: Date; booked_at: Date; called_at: Date | null }[]>`
      SELECT number, slot_index, checked_in_at, booked_at, called_at FROM appointments
      WHERE session_id = ${session.id} AND status = 'checked_in' AND checked_in_at IS NOT NULL
        AND seen_at IS NULL AND passed_at IS NULL AND (called_at IS NULL OR checked_in_at > called_at)`;
    const walkIns = await db<{ number: string; registered_at: Date }[]>`
      SELECT number, registered_at FROM walk_in_registrations WHERE session_id = ${session.id} AND status = 'waiting'`;
    const bySlot = new Map(slots.map((s) => [s.slot_index, s]));
    const last = slots[slots.length - 1];
    const entries: QueueEntry[] = [];
    for (const a of appointments) {
      const slot = bySlot.get(a.slot_index);
      if (!slot) continue;
      entries.push({
        ticket: a.number,
        kind: 'appointment',
        slotIndex: a.slot_index,
        slotStart: slot.starts_at.getTime(),
        slotEnd: slot.ends_at.getTime(),
        checkedInAt: a.checked_in_at.getTime(),
        registeredAt: a.booked_at.getTime(),
        calledAt: a.called_at?.getTime() ?? null,
      });
    }
    for (const w of walkIns) {
      // A walk-in joins the slot running when they registered (the last one after the session).
      const slot = slots.find((s) => s.ends_at.getTime() > w.registered_at.getTime()) ?? last;
      entries.push({
        ticket: w.number,
        kind: 'walk_in',
        slotIndex: slot?.slot_index ?? 0,
        slotEnd: slot?.ends_at.getTime() ?? w.registered_at.getTime(),
        checkedInAt: w.registered_at.getTime(),
        registeredAt: w.registered_at.getTime(),
      });
    }
    return orderQueue(entries, now.getTime(), { graceMinutes: session.grace_minutes });
  }

  async function view(db: Sql, session: SessionRow, now: Date): Promise<QueueView> {
    const [queue, current] = await Promise.all([ordered(db, session, now), currentNumber(db, session.id)]);
    return {
      sessionId: session.id,
      expertName: session.expert_name,
      departmentCode: session.department_code,
      departmentName: session.department_name,
      currentNumber: current,
      entries: queue.map((e, i) => ({
        number: e.ticket,
        kind: e.kind,
        slotIndex: e.slotIndex,
        rule: e.rule,
        position: i + 1,
        arrivedAt: new Date(e.checkedInAt!).toISOString(),
      })),
    };
  }

  return {
    /** The session's waiting patients in consultation order and the number being seen (no personal data). */
    async queue(sessionId: string, now: Date = new Date()): Promise<QueueView> {
      const session = await sessionRow(sql, sessionId);
      if (!session) throw notFound('门诊不存在');
      return view(sql, session, now);
    },

    /** The queue for the clinic page: staff of the session's department or admin. */
    async board(user: Principal, sessionId: string, now: Date = new Date(), meta: RequestMeta = {}): Promise<QueueView> {
      const session = await staffSession(user, sessionId).catch(async (err: unknown) => {
        if (isServiceError(err) && err.status === 403) await audit.listDenied(user, 'clinic_board', meta, { sessionId });
        throw err;
      });
      const shown = await view(sql, session, now);
      await audit.listed(user, 'clinic_board', [], meta, { sessionId, numbers: shown.entries.map((e) => e.number) });
      return shown;
    },

    /**
     * The patient's page: number and short code, no sign-in. An unknown number and a wrong code
     * get the same 404.
     */
    async patientView(number: string, shortCode: string, now: Date = new Date()): Promise<PatientView> {
      const wanted = typeof number === 'string' ? number.trim().toUpperCase() : '';
      const code = typeof shortCode === 'string' ? shortCode.trim().toUpperCase() : '';
      if (!/^[A-Z0-9-]{1,40}$/.test(wanted) || !/^[A-Z0-9]{4,6}$/.test(code)) throw notFound(NOT_FOUND_MESSAGE);
      const [found] = await sql<{ session_id: string; short_code: string; state: PatientView['state'] }[]>`
        SELECT session_id, short_code,
               CASE WHEN seen_at IS NOT NULL THEN 'seen' WHEN passed_at IS NOT NULL THEN 'not_checked_in'
                    WHEN called_at IS NOT NULL AND checked_in_at <= called_at THEN 'called'
                    WHEN status = 'checked_in' THEN 'waiting' WHEN status = 'booked' THEN 'not_checked_in'
                    WHEN status = 'pending_payment' THEN 'unpaid'
                    WHEN status = 'seen' THEN 'seen' ELSE 'closed' END AS state
        FROM appointments WHERE number = ${wanted}
        UNION ALL
        SELECT session_id, short_code, CASE WHEN status = 'passed' THEN 'not_checked_in' ELSE status END AS state FROM walk_in_registrations WHERE number = ${wanted}
        LIMIT 1`;
      if (!found || found.short_code !== code) throw notFound(NOT_FOUND_MESSAGE);
      const session = await sessionRow(sql, found.session_id);
      if (!session) throw notFound(NOT_FOUND_MESSAGE);
      const [queue, current] = await Promise.all([ordered(sql, session, now), currentNumber(sql, session.id)]);
      const position = found.state === 'waiting' ? (positionOf(queue, wanted) ?? null) : null;
      const estimated = position !== null ? new Date(now.getTime() + estimatedWaitMinutes(position, MEAN_CONSULT_MINUTES) * 60_000) : null;
      return {
        expertName: session.expert_name,
        departmentName: session.department_name,
        currentNumber: current,
        number: wanted,
        state: found.state,
        position,
        ahead: position !== null ? position - 1 : null,
        estimatedAt: estimated?.toISOString() ?? null,
        estimatedTime: estimated ? shanghaiTime(estimated) : null,
      };
    },

    /**
     * Calls the first waiting patient: the patient being seen is marked seen, the next one called,
     * the call recorded (the new current number) and audited. 409 when nobody is waiting.
     */
    async callNext(user: Principal, sessionId: string, meta: RequestMeta, now: Date = new Date()): Promise<{ number: string; kind: 'appointment' | 'walk_in' }> {
      const called = await sql.begin(async (tx) => {
        const db = tx as unknown as Sql;
        const session = await staffSession(user, sessionId, db);
        // One call at a time per session.
        await db`SELECT 1 FROM clinic_sessions WHERE id = ${session.id} FOR UPDATE`;
        const [next] = await ordered(db, session, now);
        if (!next) throw new ServiceError(409, 'queue_empty', '当前没有候诊的患者');
        // The patient in the room is done: their consultation ends now (its length is the history
        // the nightly quota plan learns from). A passed patient back in the queue was called before
        // checking in again, so `checked_in_at <= called_at` leaves them out.
        await db`UPDATE consultations SET ended_at = greatest(${now}, started_at), outcome = 'seen' WHERE session_id = ${session.id} AND outcome = 'in_progress'`;
        await db`
          UPDATE appointments SET seen_at = ${now}
          WHERE session_id = ${session.id} AND called_at IS NOT NULL AND seen_at IS NULL AND passed_at IS NULL AND checked_in_at <= called_at`;
        await db`UPDATE walk_in_registrations SET status = 'seen', seen_at = ${now} WHERE session_id = ${session.id} AND status = 'called'`;
        let patientId: string | undefined;
        if (next.kind === 'appointment') {
          const [row] = await db<{ patient_id: string }[]>`
            UPDATE appointments SET called_at = ${now} WHERE session_id = ${session.id} AND number = ${next.ticket} RETURNING patient_id`;
          patientId = row?.patient_id;
        } else {
          await db`UPDATE walk_in_registrations SET status = 'called', called_at = ${now} WHERE session_id = ${session.id} AND number = ${next.ticket}`;
        }
        await db`INSERT INTO clinic_calls (session_id, called_number, called_at) VALUES (${session.id}, ${next.ticket}, ${now})`;
        await db`INSERT INTO consultations (session_id, number, kind, started_at) VALUES (${session.id}, ${next.ticket}, ${next.kind}, ${now})`;
        return { number: next.ticket, kind: next.kind, patientId };
      });
      await audit.record(
        {
          actor: user,
          action: 'clinic.call_next',
          entityType: 'clinic_session',
          entityId: sessionId,
          ...(called.patientId ? { patientId: called.patientId } : {}),
          details: { number: called.number, kind: called.kind },
        },
        meta,
      );
      return { number: called.number, kind: called.kind };
    },

    /**
     * The called patient is not there (过号): their consultation is void, they leave the queue, and
     * when they arrive again ({@link returnPassed}) the passed-number rule puts them next. 409 when
     * nobody is being seen.
     */
    async markPassed(user: Principal, sessionId: string, meta: RequestMeta, now: Date = new Date()): Promise<{ number: string; kind: 'appointment' | 'walk_in' }> {
      const passed = await sql.begin(async (tx) => {
        const db = tx as unknown as Sql;
        const session = await staffSession(user, sessionId, db);
        await db`SELECT 1 FROM clinic_sessions WHERE id = ${session.id} FOR UPDATE`;
        const [current] = await db<{ number: string; kind: 'appointment' | 'walk_in' }[]>`
          UPDATE consultations SET ended_at = greatest(${now}, started_at), outcome = 'passed'
          WHERE session_id = ${session.id} AND outcome = 'in_progress' RETURNING number, kind`;
        if (!current) throw new ServiceError(409, 'nobody_called', '当前没有正在就诊的患者');
        let patientId: string | undefined;
        if (current.kind === 'appointment') {
          const [row] = await db<{ patient_id: string }[]>`
            UPDATE appointments SET passed_at = ${now} WHERE session_id = ${session.id} AND number = ${current.number} RETURNING patient_id`;
          patientId = row?.patient_id;
        } else {
          await db`UPDATE walk_in_registrations SET status = 'passed' WHERE session_id = ${session.id} AND number = ${current.number}`;
        }
        return { ...current, patientId };
      });
      await audit.record(
        {
          actor: user,
          action: 'clinic.pass',
          entityType: 'clinic_session',
          entityId: sessionId,
          ...(passed.patientId ? { patientId: passed.patientId } : {}),
          details: { number: passed.number, kind: passed.kind },
        },
        meta,
      );
      return { number: passed.number, kind: passed.kind };
    },

    /**
     * A passed patient is back (签到 again): they re-join the queue, and the passed-number rule
     * (过号优先) puts them next. 409 when the number was not passed.
     */
    async returnPassed(user: Principal, sessionId: string, number: string, meta: RequestMeta, now: Date = new Date()): Promise<{ number: string; position: number | null }> {
      const session = await staffSession(user, sessionId);
      const wanted = typeof number === 'string' ? number.trim().toUpperCase() : '';
      const back = await sql.begin(async (tx) => {
        const [a] = await tx<{ patient_id: string }[]>`
          UPDATE appointments SET checked_in_at = ${now}, passed_at = NULL
          WHERE session_id = ${session.id} AND number = ${wanted} AND passed_at IS NOT NULL RETURNING patient_id`;
        if (a) return { patientId: a.patient_id as string | undefined };
        const [w] = await tx<{ id: string }[]>`
          UPDATE walk_in_registrations SET status = 'waiting' WHERE session_id = ${session.id} AND number = ${wanted} AND status = 'passed' RETURNING id`;
        if (w) return { patientId: undefined };
        return null;
      });
      if (!back) throw new ServiceError(409, 'not_passed', '该号码没有过号');
      await audit.record(
        {
          actor: user,
          action: 'clinic.return_passed',
          entityType: 'clinic_session',
          entityId: sessionId,
          ...(back.patientId ? { patientId: back.patientId } : {}),
          details: { number: wanted },
        },
        meta,
      );
      const queue = await ordered(sql, session, now);
      return { number: wanted, position: positionOf(queue, wanted) ?? null };
    },

    /** Registers a walk-in patient (现场挂号): a number and the short code for the patient's page. */
    async registerWalkIn(user: Principal, sessionId: string, now: Date = new Date()): Promise<{ id: string; number: string; shortCode: string }> {
      const session = await staffSession(user, sessionId);
      const number = `XC${randomUUID().replace(/-/g, '').slice(0, 10).toUpperCase()}`;
      // Walk-in numbers: what the appointment quotas leave, plus, once registration is open, the
      // appointment numbers nobody booked (cancellations release theirs). Locked per session.
      const row = await sql.begin(async (tx) => {
        const [pool] = await tx<{ total: number; quota: number; booked: number; open: boolean; walk_ins: number }[]>`
          SELECT s.total_numbers AS total,
                 (SELECT coalesce(sum(appointment_quota), 0)::int FROM clinic_slots WHERE session_id = s.id) AS quota,
                 (SELECT count(*)::int FROM appointments WHERE session_id = s.id AND status <> 'cancelled') AS booked,
                 s.registration_opens_at <= ${now} AS open,
                 (SELECT count(*)::int FROM walk_in_registrations WHERE session_id = s.id) AS walk_ins
          FROM clinic_sessions s WHERE s.id = ${session.id} FOR UPDATE`;
        const available = pool!.total - (pool!.open ? pool!.booked : pool!.quota);
        if (pool!.walk_ins >= available) throw new ServiceError(409, 'numbers_exhausted', '今日号源已满');
        const [inserted] = await tx<{ id: string; number: string; short_code: string }[]>`
          INSERT INTO walk_in_registrations (session_id, number, registered_at)
          VALUES (${session.id}, ${number}, ${now}) RETURNING id, number, short_code`;
        return inserted!;
      });
      return { id: row.id, number: row.number, shortCode: row.short_code };
    },
  };
}

export type ClinicQueueService = ReturnType<typeof createClinicQueueService>;
