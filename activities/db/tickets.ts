/**
 * Database activities of the feedback ticket workflow: the ticket row (its projection), its event
 * timeline, and notifications to staff and patient. Each write is keyed by ticket + step.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Sql } from '../../db/client.js';
import { insertTicket, type OpenTicketInput } from '../../db/tickets.js';
import { startStaffDispatch } from '../channels/staff.js';
import { startOutboxDispatch } from '../channels/outbox.js';
import type { Channels } from '../channels/settings.js';
import type { StaffAudience, TicketChange, TicketFacts } from '../../workflows/feedback-ticket/contracts.js';

export function createTicketDbActivities(deps: { sql: Sql; channels?: Channels }) {
  const { sql } = deps;
  const activities = {
    /** Creates the ticket row (number, department from the routing table, SLA deadline) once per source. */
    openTicket: (input: OpenTicketInput) => insertTicket(sql, input),

    /** The ticket's facts; its workflow runs, so nothing is pending for the reconciler any more. */
    async loadTicket(ticketId: string): Promise<TicketFacts> {
      await sql`UPDATE tickets SET workflow_pending = false WHERE id = ${ticketId} AND workflow_pending`;
      const [row] = await sql<
        {
          number: string;
          category: string;
          department_code: string | null;
          urgent: boolean;
          received_at: Date;
          sla_due_at: Date;
          sla_seconds: number;
          escalate_seconds: number;
          rating_wait_seconds: number;
        }[]
      >`
        SELECT t.number, t.category, t.department_code, t.urgent, t.received_at, t.sla_due_at,
               t.sla_seconds, t.escalate_seconds, t.rating_wait_seconds
        FROM tickets t WHERE t.id = ${ticketId}`;
      if (!row) throw ApplicationFailure.nonRetryable(`Ticket ${ticketId} does not exist`, 'UnknownTicket');
      return {
        ticketId,
        number: row.number,
        category: row.category,
        departmentCode: row.department_code,
        urgent: row.urgent,
        receivedAt: row.received_at.toISOString(),
        slaDueAt: row.sla_due_at.toISOString(),
        slaSeconds: row.sla_seconds,
        escalateSeconds: row.escalate_seconds,
        ratingWaitSeconds: row.rating_wait_seconds,
      };
    },

    /** Writes the ticket's new state and its timeline event in one transaction. */
    async recordTicketStep(input: {
      change: TicketChange;
      step: string;
      kind: string;
      actorId?: string;
      details?: Record<string, unknown>;
    }): Promise<void> {
      const c = input.change;
      await sql.begin(async (tx) => {
        const inserted = await tx`
          INSERT INTO ticket_events (ticket_id, step, kind, actor_id, details)
          VALUES (${c.ticketId}, ${input.step}, ${input.kind}, ${input.actorId ?? null}, ${tx.json((input.details ?? {}) as never)})
          ON CONFLICT (ticket_id, step) DO NOTHING RETURNING id`;
        if (inserted.length === 0) return;
        await tx`
          UPDATE tickets SET
            status = COALESCE(${c.status ?? null}, status),
            department_code = COALESCE(${c.departmentCode ?? null}, department_code),
            sla_due_at = COALESCE(${c.slaDueAt ?? null}::timestamptz, sla_due_at),
            sla_breached = COALESCE(${c.slaBreached ?? null}::boolean, sla_breached),
            escalation_level = COALESCE(${c.escalationLevel ?? null}::int, escalation_level),
            resolution = COALESCE(${c.resolution ?? null}, resolution),
            resolved_at = CASE WHEN ${c.status ?? null}::text = 'resolved' THEN now() ELSE resolved_at END,
            rating = COALESCE(${c.rating ?? null}::int, rating),
            closed_reason = COALESCE(${c.closedReason ?? null}, closed_reason),
            closed_at = CASE WHEN ${c.status ?? null}::text = 'closed' THEN now() ELSE closed_at END,
            reopen_count = reopen_count + ${c.reopened ? 1 : 0},
            updated_at = now()
          WHERE id = ${c.ticketId}`;
      });
    },

    async notifyStaff(input: {
      dedupeKey: string;
      ticketId: string;
      departmentCode: string | null;
      audience: StaffAudience;
      body: string;
    }): Promise<void> {
      await sql`
        INSERT INTO staff_notifications (dedupe_key, department_code, audience, ticket_id, body)
        VALUES (${input.dedupeKey}, ${input.departmentCode}, ${input.audience}, ${input.ticketId}, ${input.body})
        ON CONFLICT (dedupe_key) DO NOTHING`;
      // Also to the recipients' phones (SMS / WeChat) where configured.
      await startStaffDispatch(deps, { notificationDedupeKey: input.dedupeKey });
    },

    /** Queues a message to the ticket's patient on the patient's channel. */
    async notifyPatient(input: { workflowId: string; step: string; ticketId: string; body: string }): Promise<void> {
      await sql`
        INSERT INTO outbound_messages (workflow_id, step, patient_id, channel, body)
        SELECT ${input.workflowId}, ${input.step}, t.patient_id, 'sms', ${input.body} FROM tickets t WHERE t.id = ${input.ticketId}
        ON CONFLICT (workflow_id, step) DO NOTHING`;
      await startOutboxDispatch(deps, input.workflowId, [input.step]);
    },

    /** The ticket for a complaint recorded during a follow-up call (feedback record of task + attempt). */
    async openTicketForFeedback(input: { taskId: string; attempt: number }): Promise<{ ticketId: string; number: string }> {
      const [f] = await sql<
        { id: string; patient_id: string; category: string; subtag: string | null; description: string; target_department_code: string | null; created_by: string | null; department_code: string | null }[]
      >`
        SELECT f.id, f.patient_id, f.category, f.subtag, f.description, f.target_department_code, f.created_by, t.department_code
        FROM feedback_records f JOIN follow_up_tasks t ON t.id = f.task_id
        WHERE f.source_key = ${`${input.taskId}:${input.attempt}`}`;
      if (!f) throw ApplicationFailure.nonRetryable(`No feedback for task ${input.taskId} attempt ${input.attempt}`, 'UnknownFeedback');
      return activities.openTicket({
        sourceKey: `feedback:${f.id}`,
        category: f.category,
        subtag: f.subtag,
        description: f.description,
        patientId: f.patient_id,
        feedbackId: f.id,
        sourceTaskId: input.taskId,
        departmentCode: f.target_department_code,
        fallbackDepartmentCode: f.department_code,
        createdBy: f.created_by,
      });
    },

    /** An urgent ticket for red-flag answers, to the follow-up's department, on the short red-flag SLA. */
    async openTicketForRedFlag(input: { taskId: string }): Promise<{ ticketId: string; number: string }> {
      const [a] = await sql<{ patient_id: string; department_code: string | null; questions: string[] | null }[]>`
        SELECT t.patient_id, t.department_code, a.details->'questions' AS questions
        FROM follow_up_tasks t LEFT JOIN alerts a ON a.task_id = t.id AND a.kind = 'red_flag'
        WHERE t.id = ${input.taskId}`;
      if (!a) throw ApplicationFailure.nonRetryable(`Task ${input.taskId} does not exist`, 'UnknownTask');
      return activities.openTicket({
        sourceKey: `red-flag:${input.taskId}`,
        category: 'red_flag',
        description: `随访红旗预警:${(a.questions ?? []).join('、') || '异常回答'}`,
        patientId: a.patient_id,
        sourceTaskId: input.taskId,
        fallbackDepartmentCode: a.department_code,
        urgent: true,
      });
    },
  };
  return activities;
}
