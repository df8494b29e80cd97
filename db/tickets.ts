/**
 * Opening a ticket row: shared by the workflows' activities (complaints and red flags from
 * follow-ups) and the ticket service (complaints taken directly). Idempotent per source key.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Sql } from './client.js';

export interface OpenTicketInput {
  /** Idempotency key of the step that opens it, e.g. `feedback:<id>` or `red-flag:<task id>`. */
  sourceKey: string;
  category: string;
  subtag?: string | null;
  description: string;
  patientId: string;
  feedbackId?: string | null;
  sourceTaskId?: string | null;
  /** Chosen by the agent (with a reason) instead of the routing table. */
  departmentCode?: string | null;
  /** Used when the routing table names no department (red flags: the follow-up's department). */
  fallbackDepartmentCode?: string | null;
  urgent?: boolean;
  createdBy?: string | null;
  /** When the complaint was received (defaults to now); the SLA runs from it. */
  receivedAt?: string;
  /** The caller starts the workflow itself (not a parent workflow): marked until it has (see services/workflow-reconcile.ts). */
  workflowPending?: boolean;
}


export async function insertTicket(sql: Sql, input: OpenTicketInput): Promise<{ ticketId: string; number: string }> {
  const [existing] = await sql<{ id: string; number: string }[]>`SELECT id, number FROM tickets WHERE source_key = ${input.sourceKey}`;
  if (existing) return { ticketId: existing.id, number: existing.number };
  const [route] = await sql<{ department_code: string | null; sla_seconds: number; escalate_seconds: number; rating_wait_seconds: number }[]>`
    SELECT department_code, sla_seconds, escalate_seconds, rating_wait_seconds FROM feedback_routes WHERE category = ${input.category}`;
  if (!route) throw ApplicationFailure.nonRetryable(`No route for category ${input.category}`, 'UnknownCategory');
  const department = input.departmentCode ?? route.department_code ?? input.fallbackDepartmentCode ?? null;
  const receivedAt = input.receivedAt ?? new Date().toISOString();
  const [row] = await sql<{ id: string; number: string }[]>`
    INSERT INTO tickets (number, source_key, feedback_id, source_task_id, patient_id, category, subtag, description,
                         urgent, department_code, sla_seconds, escalate_seconds, rating_wait_seconds, received_at, sla_due_at, created_by,
                         workflow_pending)
    VALUES ('FK' || to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD') || '-' || lpad(nextval('ticket_number_seq')::text, 5, '0'),
            ${input.sourceKey}, ${input.feedbackId ?? null}, ${input.sourceTaskId ?? null}, ${input.patientId}, ${input.category},
            ${input.subtag ?? null}, ${input.description}, ${input.urgent ?? false}, ${department},
            ${route.sla_seconds}, ${route.escalate_seconds}, ${route.rating_wait_seconds},
            ${receivedAt}, ${receivedAt}::timestamptz + make_interval(secs => ${route.sla_seconds}), ${input.createdBy ?? null},
            ${input.workflowPending ?? false})
    ON CONFLICT (source_key) DO UPDATE SET updated_at = tickets.updated_at
    RETURNING id, number`;
  return { ticketId: row!.id, number: row!.number };
}
