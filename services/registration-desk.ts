/**
 * The registration desk (挂号窗口): staff of the session's department (or admins) check a patient in
 * by appointment number or ID card — the appointment's workflow judges the arrival and the queue
 * rules place them (early → their slot; after the slot's end → end of the last slot; a passed
 * number → next) — and book for a patient at the window or on the phone with the same rules as
 * /book (no SMS code: the desk has identified the patient). Audited.
 */
import type { Client } from '@temporalio/client';
import type { Sql } from '../db/client.js';
import { sessionEndedSignal } from '../workflows/appointment/contracts.js';
import { runsClinic, type Principal } from '../domain/access.js';
import { readDeskLookup } from '../domain/desk-lookup.js';
import type { AppointmentService } from './appointments.js';
import type { AuditService, RequestMeta } from './audit.js';
import type { ClinicQueueService } from './clinic-queue.js';
import { forbidden, notFound, ServiceError } from './errors.js';
import type { BookingInput, HeldBooking, OutpatientBookingService } from './outpatient-booking.js';

export interface DeskCheckIn {
  number: string;
  /** How the arrival was judged (queue note in Chinese). */
  queueNote: string | null;
  rule: string | null;
  /** 1 = next; null when not in the queue (e.g. already called). */
  position: number | null;
}

export function createRegistrationDeskService(deps: {
  sql: Sql;
  temporal: Client;
  audit: AuditService;
  appointments: AppointmentService;
  clinicQueue: ClinicQueueService;
  booking: OutpatientBookingService | null;
}) {
  const { sql, audit } = deps;

  async function session(user: Principal, sessionId: string) {
    const [s] = await sql<{ id: string; department_code: string }[]>`
      SELECT id, department_code FROM clinic_sessions WHERE id::text = ${sessionId}`;
    if (!s) throw notFound('门诊不存在');
    if (!runsClinic(user, s.department_code)) throw forbidden('只有本科室人员可以在窗口办理该门诊');
    return s;
  }

  return {
    /** The window's sessions on a Shanghai date: the user's department (all for an admin), with slots and numbers left. */
    async sessions(user: Principal, date: string) {
      const day = /^\d{4}-\d{2}-\d{2}$/.test(date) ? date : new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
      const rows = await sql<{ id: string; department_code: string; department_name: string; expert_name: string; starts_at: Date; ends_at: Date; prepay_fen: number }[]>`
        SELECT s.id, s.department_code, coalesce(d.name, s.department_code) AS department_name, s.expert_name, s.starts_at, s.ends_at, s.prepay_fen
        FROM clinic_sessions s LEFT JOIN departments d ON d.code = s.department_code
        WHERE s.session_date = ${day}::date ORDER BY s.starts_at, s.expert_name`;
      const mine = rows.filter((r) => runsClinic(user, r.department_code));
      const slots = mine.length
        ? await sql<{ session_id: string; slot_index: number; starts_at: Date; ends_at: Date; left: number }[]>`
            SELECT session_id, slot_index, starts_at, ends_at, greatest(appointment_quota - booked, 0)::int AS left
            FROM clinic_slots WHERE session_id IN ${sql(mine.map((r) => r.id))} ORDER BY slot_index`
        : [];
      return {
        date: day,
        bookingOffered: Boolean(deps.booking),
        sessions: mine.map((r) => ({
          id: r.id,
          departmentName: r.department_name,
          expertName: r.expert_name,
          startsAt: r.starts_at.toISOString(),
          endsAt: r.ends_at.toISOString(),
          prepayFen: r.prepay_fen,
          slots: slots.filter((sl) => sl.session_id === r.id).map((sl) => ({ slotIndex: sl.slot_index, startsAt: sl.starts_at.toISOString(), endsAt: sl.ends_at.toISOString(), left: sl.left })),
        })),
      };
    },

    /**
     * Check-in by appointment number or ID card number: named (`number` / `idNumber`), or as the
     * desk's one box (`lookup`), which {@link readDeskLookup} reads as one or the other.
     */
    async checkIn(user: Principal, sessionId: string, input: { number?: unknown; idNumber?: unknown; lookup?: unknown }, meta: RequestMeta, now: Date = new Date()): Promise<DeskCheckIn> {
      const s = await session(user, sessionId);
      const typed = input.lookup === undefined ? null : readDeskLookup(input.lookup);
      const named = (v: unknown) => (typeof v === 'string' ? v.trim().toUpperCase() : '');
      const number = typed ? (typed.by === 'number' ? typed.number : '') : named(input.number);
      const idNumber = typed ? (typed.by === 'idNumber' ? typed.idNumber : '') : named(input.idNumber);
      if (!number && !idNumber) throw new ServiceError(400, 'invalid_input', '请输入预约号或身份证号', { problems: [{ field: input.lookup === undefined ? 'number' : 'lookup', message: '请输入预约号或身份证号' }] });
      const [a] = await sql<{ id: string; number: string; status: string; passed_at: Date | null; patient_id: string }[]>`
        SELECT a.id, a.number, a.status, a.passed_at, a.patient_id FROM appointments a JOIN patients p ON p.id = a.patient_id
        WHERE a.session_id = ${s.id} AND ${number ? sql`a.number = ${number}` : sql`p.id_number = ${idNumber}`}
          AND a.status IN ('pending_payment', 'booked', 'checked_in')
        ORDER BY a.booked_at DESC LIMIT 1`;
      if (!a) throw notFound(number ? '本门诊没有该预约号' : '该证件号在本门诊没有预约');
      if (a.status === 'pending_payment') throw new ServiceError(409, 'unpaid', '该预约尚未支付,请先完成预缴费');
      if (a.passed_at) {
        // 过号: back in the queue, next by the passed-number rule.
        const back = await deps.clinicQueue.returnPassed(user, sessionId, a.number, meta, now);
        return { number: a.number, queueNote: '过号后返回,下一位就诊', rule: 'late_called', position: back.position };
      }
      const state = await deps.appointments.checkIn(a.id, { actorId: user.id });
      await audit.record({ actor: user, action: 'desk.check_in', entityType: 'clinic_session', entityId: s.id, patientId: a.patient_id, details: { number: a.number, arrival: state.arrival ?? null } }, meta);
      // The workflow stamps the check-in when it takes it: after `now` was read.
      const queue = await deps.clinicQueue.queue(sessionId, new Date(Math.max(now.getTime(), Date.now())));
      const entry = queue.entries.find((e) => e.number === a.number);
      return { number: a.number, queueNote: state.queueNote ?? null, rule: entry?.rule ?? null, position: entry?.position ?? null };
    },

    /**
     * Ends the session (clinic page "结束出诊"): the patient in the room is seen, and every booking
     * not checked in becomes a no-show now (its workflow tells the no-show ledger, which may
     * blacklist). Audited. Returns the numbers marked.
     */
    async endSession(user: Principal, sessionId: string, meta: RequestMeta, now: Date = new Date()): Promise<{ noShows: string[] }> {
      const s = await session(user, sessionId);
      await sql`UPDATE consultations SET ended_at = greatest(${now}, started_at), outcome = 'seen' WHERE session_id = ${s.id} AND outcome = 'in_progress'`;
      await sql`
        UPDATE appointments SET seen_at = ${now}
        WHERE session_id = ${s.id} AND called_at IS NOT NULL AND seen_at IS NULL AND passed_at IS NULL AND checked_in_at <= called_at`;
      await sql`UPDATE walk_in_registrations SET status = 'seen', seen_at = ${now} WHERE session_id = ${s.id} AND status = 'called'`;
      const open = await sql<{ number: string; workflow_id: string }[]>`
        SELECT number, workflow_id FROM appointments WHERE session_id = ${s.id} AND status = 'booked' ORDER BY number`;
      for (const a of open) await deps.temporal.workflow.getHandle(a.workflow_id).signal(sessionEndedSignal);
      await audit.record({ actor: user, action: 'clinic.end_session', entityType: 'clinic_session', entityId: s.id, details: { noShows: open.map((a) => a.number) } }, meta);
      return { noShows: open.map((a) => a.number) };
    },

    /** Books for a patient at the window or on the phone: same rules as /book, without the SMS code. */
    async book(user: Principal, input: BookingInput, meta: RequestMeta): Promise<HeldBooking> {
      if (!deps.booking) throw new ServiceError(503, 'booking_unavailable', '预约缴费通道未配置');
      const s = await session(user, typeof input.sessionId === 'string' ? input.sessionId : '');
      const held = await deps.booking.book(input, { byDesk: true });
      await audit.record({ actor: user, action: 'desk.book', entityType: 'clinic_session', entityId: s.id, details: { number: held.number } }, meta);
      return held;
    },
  };
}

export type RegistrationDeskService = ReturnType<typeof createRegistrationDeskService>;
