/**
 * The appointment workflow's side of prepayment: a held number (pending_payment) becomes booked
 * when the payment arrives — the confirmation SMS carries the queue link and short code — or is
 * released when the hold ends unpaid. Both idempotent (guarded by the status), so retries are safe.
 */
import type { Sql } from '../../db/client.js';
import type { Channels } from '../channels/settings.js';
import { queueLookup } from './appointments.js';
import { startOutboxDispatch } from '../channels/outbox.js';
import { HOLD_EXPIRED_REASON } from '../../workflows/appointment/contracts.js';

export function createOutpatientBookingActivities(deps: { sql: Sql; channels?: Channels }) {
  const { sql } = deps;
  return {
    /**
     * Releases a held number whose hold ended unpaid: cancelled, the slot's count given back.
     * Returns 'paid' when the payment was recorded meanwhile (then nothing is released).
     */
    async releaseHeldAppointment(input: { appointmentId: string }): Promise<'released' | 'paid' | 'not_held'> {
      return sql.begin(async (tx) => {
        const [paid] = await tx`SELECT 1 FROM payment_orders WHERE appointment_id = ${input.appointmentId} AND status = 'paid'`;
        if (paid) return 'paid' as const;
        const [a] = await tx<{ session_id: string; slot_index: number }[]>`
          UPDATE appointments SET status = 'cancelled', cancelled_at = now(), cancel_reason = ${HOLD_EXPIRED_REASON}
          WHERE id = ${input.appointmentId} AND status = 'pending_payment' RETURNING session_id, slot_index`;
        if (!a) return 'not_held' as const;
        await tx`UPDATE clinic_slots SET booked = booked - 1 WHERE session_id = ${a.session_id} AND slot_index = ${a.slot_index} AND booked > 0`;
        return 'released' as const;
      });
    },

    /** Paid → booked, and the confirmation (queue link + short code) queued once. */
    async confirmAppointmentPayment(input: { workflowId: string; appointmentId: string; transactionId: string }): Promise<void> {
      const [a] = await sql<{ patient_id: string; number: string; short_code: string; expert_name: string; department_name: string; slot_index: number; slot_starts_at: Date }[]>`
        UPDATE appointments a SET status = 'booked', prepaid = true, prepayment_ref = ${input.transactionId}, paid_at = coalesce(a.paid_at, now())
        FROM clinic_sessions s, departments d, clinic_slots sl
        WHERE a.id = ${input.appointmentId} AND a.status IN ('pending_payment', 'booked') AND s.id = a.session_id AND d.code = s.department_code
          AND sl.session_id = a.session_id AND sl.slot_index = a.slot_index
        RETURNING a.patient_id, a.number, a.short_code, s.expert_name, d.name AS department_name, a.slot_index, sl.starts_at AS slot_starts_at`;
      if (!a) return;
      const when = a.slot_starts_at.toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false, month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' });
      const body = `预约成功:${a.department_name} ${a.expert_name} 第 ${a.slot_index + 1} 时段(${when}),预约号 ${a.number},查询码 ${a.short_code}。${queueLookup(deps.channels?.publicBaseUrl, a)}`;
      await sql`
        INSERT INTO outbound_messages (workflow_id, step, patient_id, channel, body)
        VALUES (${input.workflowId}, 'confirmation', ${a.patient_id}, 'sms', ${body})
        ON CONFLICT (workflow_id, step) DO NOTHING`;
      await startOutboxDispatch(deps, input.workflowId, ['confirmation']);
    },
  };
}
