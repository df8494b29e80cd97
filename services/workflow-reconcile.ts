/**
 * "Database row written, workflow not yet told": a ticket opened, a booking made, an encounter
 * moved by a department mapping. Each such row is written with a durable marker (workflow_pending,
 * department_signal_pending) that is cleared only once Temporal has taken the start or the
 * signal; when Temporal cannot be reached the row stays marked, and the reconciler (workflows/reconcile/, a Temporal Schedule) tells the
 * workflow later, kind by kind, without anyone sending anything again.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Sql } from '../db/client.js';
import { appointmentStart } from '../workflows/appointment/contracts.js';
import { ticketStart } from '../workflows/feedback-ticket/contracts.js';
import { departmentMappedSignal } from '../workflows/follow-up/contracts.js';
import type { ReconcileInput, SweepKind, SweepResult } from '../workflows/reconcile/contracts.js';
import { startOnce } from '../workflows/shared/start.js';

/** Bounds the client's own retries, so a caller gets its answer while Temporal is down. */
const TEMPORAL_DEADLINE_MS = 5000;

export interface WorkflowStartDeps {
  sql: Sql;
  temporal: Client;
  taskQueue: string;
}

const onTemporal = <T>(temporal: Client, call: () => Promise<T>): Promise<T> =>
  temporal.connection.withDeadline(Date.now() + TEMPORAL_DEADLINE_MS, call);

/** Starts a ticket's workflow (or finds it started) and clears the row's marker. */
export async function startTicketWorkflow({ sql, temporal, taskQueue }: WorkflowStartDeps, ticket: { ticketId: string; number: string }): Promise<void> {
  await onTemporal(temporal, () => startOnce(temporal, taskQueue, ticketStart(ticket, 'direct')));
  await sql`UPDATE tickets SET workflow_pending = false WHERE id = ${ticket.ticketId} AND workflow_pending`;
}

/** Starts a booking's workflow (or finds it started) and clears the row's marker. */
export async function startAppointmentWorkflow(
  { sql, temporal, taskQueue }: WorkflowStartDeps,
  appointment: { appointmentId: string; number: string },
): Promise<void> {
  await onTemporal(temporal, () => startOnce(temporal, taskQueue, appointmentStart(appointment)));
  await sql`UPDATE appointments SET workflow_pending = false WHERE id = ${appointment.appointmentId} AND workflow_pending`;
}

/**
 * Tells an encounter's follow-up the department it was mapped to, and clears the marker. A
 * follow-up that has ended (or not started yet: it reads the department when it plans) needs nothing.
 */
export async function signalDepartmentMapped(
  { sql, temporal }: Omit<WorkflowStartDeps, 'taskQueue'>,
  encounter: { id: string; workflowId: string; departmentCode: string },
): Promise<void> {
  try {
    await onTemporal(temporal, () => temporal.workflow.getHandle(encounter.workflowId).signal(departmentMappedSignal, { departmentCode: encounter.departmentCode }));
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
  await sql`UPDATE encounters SET department_signal_pending = false WHERE id = ${encounter.id} AND department_code = ${encounter.departmentCode}`;
}

/** The reconciler's sweeps, one per kind of row; each tells the workflows of the rows still marked. */
export function createWorkflowReconciler(deps: WorkflowStartDeps) {
  const { sql } = deps;
  const age = (seconds: number) => sql`now() - make_interval(secs => ${seconds})`;

  /** Oldest first; stops at the first failure (Temporal still down), leaving the rest for the next run. */
  async function tellEach<R>(rows: R[], tell: (row: R) => Promise<void>): Promise<SweepResult> {
    let done = 0;
    for (const row of rows) {
      try {
        await tell(row);
      } catch (err) {
        return { found: rows.length, done, stillPending: rows.length - done, error: err instanceof Error ? err.message : String(err) };
      }
      done++;
    }
    return { found: rows.length, done, stillPending: 0 };
  }

  const sweeps: Record<SweepKind, (input: ReconcileInput) => Promise<SweepResult>> = {
    async tickets({ olderThanSeconds, limit }) {
      const rows = await sql<{ ticketId: string; number: string }[]>`
        SELECT id AS "ticketId", number FROM tickets
        WHERE workflow_pending AND created_at < ${age(olderThanSeconds)}
        ORDER BY created_at LIMIT ${limit}`;
      return tellEach(rows, (row) => startTicketWorkflow(deps, row));
    },
    async appointments({ olderThanSeconds, limit }) {
      const rows = await sql<{ appointmentId: string; number: string }[]>`
        SELECT id AS "appointmentId", number FROM appointments
        WHERE workflow_pending AND booked_at < ${age(olderThanSeconds)}
        ORDER BY booked_at LIMIT ${limit}`;
      return tellEach(rows, (row) => startAppointmentWorkflow(deps, row));
    },
    async departmentSignals({ limit }) {
      // Signalling twice is harmless (only an unassigned follow-up moves), so no waiting period.
      const rows = await sql<{ id: string; workflowId: string; departmentCode: string }[]>`
        SELECT id, workflow_id AS "workflowId", department_code AS "departmentCode" FROM encounters
        WHERE department_signal_pending AND department_code IS NOT NULL
        LIMIT ${limit}`;
      return tellEach(rows, (row) => signalDepartmentMapped(deps, row));
    },
  };
  return sweeps;
}
