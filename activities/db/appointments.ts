/**
 * Database activities of the appointment and no-show ledger workflows: the appointment row (its
 * projection), the day-before reminder, the no-show rule, and the ledger's projection row. Every
 * write is idempotent: a retried activity finds the row already moved and changes nothing.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Sql } from '../../db/client.js';
import { startOutboxDispatch } from '../channels/outbox.js';
import type { Channels } from '../channels/settings.js';
import type {
  AppointmentFacts,
  AppointmentStatus,
  Arrival,
  NoShowLedgerProjection,
  NoShowSettings,
} from '../../workflows/appointment/contracts.js';

/** The patient's queue page with the short code (the link where the public address is known). */
export function queueLookup(publicBaseUrl: string | undefined, a: { number: string; short_code: string }): string {
  const path = `/queue/${encodeURIComponent(a.number)}?code=${encodeURIComponent(a.short_code)}`;
  return publicBaseUrl ? `候诊查询 ${publicBaseUrl}${path} ,查询码 ${a.short_code}。` : `候诊查询码 ${a.short_code}。`;
}

export function createAppointmentDbActivities(deps: { sql: Sql; channels?: Channels }) {
  const { sql } = deps;
  return {
    async loadAppointment(appointmentId: string): Promise<AppointmentFacts> {
      const [row] = await sql<
        {
          number: string;
          patient_id: string;
          status: AppointmentStatus;
          slot_index: number;
          slot_starts_at: Date;
          slot_ends_at: Date;
          starts_at: Date;
          registration_opens_at: Date;
          ends_at: Date;
          booked_at: Date;
          grace_minutes: number;
          expert_name: string;
          department_name: string;
          hold_expires_at: Date | null;
        }[]
      >`
        SELECT a.number, a.patient_id, a.status, a.slot_index, sl.starts_at AS slot_starts_at, sl.ends_at AS slot_ends_at,
               s.starts_at, s.registration_opens_at, s.ends_at, a.booked_at, s.grace_minutes, s.expert_name,
               d.name AS department_name, a.hold_expires_at
        FROM appointments a
        JOIN clinic_sessions s ON s.id = a.session_id
        JOIN clinic_slots sl ON sl.session_id = a.session_id AND sl.slot_index = a.slot_index
        JOIN departments d ON d.code = s.department_code
        WHERE a.id = ${appointmentId}`;
      if (!row) throw ApplicationFailure.nonRetryable(`Appointment ${appointmentId} does not exist`, 'UnknownAppointment');
      return {
        appointmentId,
        number: row.number,
        patientId: row.patient_id,
        status: row.status,
        slotIndex: row.slot_index,
        slotStartsAt: row.slot_starts_at.toISOString(),
        slotEndsAt: row.slot_ends_at.toISOString(),
        sessionStartsAt: row.starts_at.toISOString(),
        registrationOpensAt: row.registration_opens_at.toISOString(),
        sessionEndsAt: row.ends_at.toISOString(),
        bookedAt: row.booked_at.toISOString(),
        graceMinutes: row.grace_minutes,
        expertName: row.expert_name,
        departmentName: row.department_name,
        ...(row.status === 'pending_payment' ? { holdExpiresAt: row.hold_expires_at?.toISOString() ?? null } : {}),
      };
    },

    /** Queues a message (reminder) to the appointment's patient, once per workflow + step. */
    async queueAppointmentMessage(input: { workflowId: string; step: string; appointmentId: string; body: string }): Promise<void> {
      const [a] = await sql<{ patient_id: string; number: string; short_code: string }[]>`
        SELECT patient_id, number, short_code FROM appointments WHERE id = ${input.appointmentId}`;
      if (!a) return;
      await sql`
        INSERT INTO outbound_messages (workflow_id, step, patient_id, channel, body)
        VALUES (${input.workflowId}, ${input.step}, ${a.patient_id}, 'sms', ${input.body.replaceAll('{候诊查询}', queueLookup(deps.channels?.publicBaseUrl, a))})
        ON CONFLICT (workflow_id, step) DO NOTHING`;
      await startOutboxDispatch(deps, input.workflowId, [input.step]);
    },

    /** Cancels a booked appointment and gives its number back to the slot (only the first time). */
    async cancelAppointment(input: { appointmentId: string; reason?: string }): Promise<void> {
      await sql.begin(async (tx) => {
        const [a] = await tx<{ session_id: string; slot_index: number }[]>`
          UPDATE appointments SET status = 'cancelled', cancelled_at = now(), cancel_reason = ${input.reason ?? null}
          WHERE id = ${input.appointmentId} AND status = 'booked'
          RETURNING session_id, slot_index`;
        if (!a) return;
        await tx`UPDATE clinic_slots SET booked = booked - 1 WHERE session_id = ${a.session_id} AND slot_index = ${a.slot_index} AND booked > 0`;
      });
    },

    async recordCheckIn(input: { appointmentId: string; checkedInAt: string; arrival: Arrival; queueNote: string }): Promise<void> {
      await sql`
        UPDATE appointments SET status = 'checked_in', checked_in_at = ${input.checkedInAt}, arrival = ${input.arrival}, queue_note = ${input.queueNote}
        WHERE id = ${input.appointmentId} AND status = 'booked'`;
    },

    async markNoShow(input: { appointmentId: string; at: string }): Promise<void> {
      await sql`UPDATE appointments SET status = 'no_show', no_show_at = ${input.at} WHERE id = ${input.appointmentId} AND status = 'booked'`;
    },

    async loadNoShowSettings(): Promise<NoShowSettings> {
      const [row] = await sql<{ threshold: number; window_seconds: number; blacklist_seconds: number }[]>`
        SELECT threshold, window_seconds, blacklist_seconds FROM noshow_settings WHERE id`;
      return row
        ? { threshold: row.threshold, windowSeconds: row.window_seconds, blacklistSeconds: row.blacklist_seconds }
        : { threshold: 3, windowSeconds: 90 * 86400, blacklistSeconds: 90 * 86400 };
    },

    /** Writes the ledger's whole state (the workflow calls it one write at a time, so the last write wins). */
    async projectNoShowLedger(input: NoShowLedgerProjection): Promise<void> {
      const lift = input.lift;
      await sql`
        INSERT INTO noshow_ledger (patient_id, no_shows, blacklisted_until, blacklist_count, lifted_at, lifted_by, lift_reason, updated_at)
        VALUES (${input.patientId}, ${sql.json(input.noShows)}, ${input.blacklistedUntil}, ${input.blacklistCount},
                ${lift ? new Date() : null}, ${lift?.actorId ?? null}, ${lift?.reason ?? null}, now())
        ON CONFLICT (patient_id) DO UPDATE SET
          no_shows = EXCLUDED.no_shows,
          blacklisted_until = EXCLUDED.blacklisted_until,
          blacklist_count = EXCLUDED.blacklist_count,
          lifted_at = COALESCE(EXCLUDED.lifted_at, noshow_ledger.lifted_at),
          lifted_by = COALESCE(EXCLUDED.lifted_by, noshow_ledger.lifted_by),
          lift_reason = COALESCE(EXCLUDED.lift_reason, noshow_ledger.lift_reason),
          updated_at = now()`;
    },
  };
}
