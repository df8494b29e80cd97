/**
 * The chaos run's accounting, once the system is quiet: everything the platform confirmed is
 * there exactly once. Each line says what was expected, what is missing (lost) and what is there
 * more than once (duplicated).
 */
import type { Client } from '@temporalio/client';
import type { Sql } from '../../db/client.js';
import { verifyAuditChain } from '../../services/audit-verify.js';

export interface CheckLine {
  what: string;
  expected: number;
  lost: number;
  duplicated: number;
  note?: string;
}

export interface Confirmed {
  /** Encounter ids of discharges the HIS got a confirmation for. */
  discharges: string[];
  /** Tasks whose call the platform confirmed, and whether the call carried a complaint. */
  contacts: Map<string, { feedback: boolean }>;
  /** Tickets whose resolution the platform confirmed. */
  resolved: Set<string>;
}

const count = <T>(items: Iterable<T>) => {
  const m = new Map<T, number>();
  for (const i of items) m.set(i, (m.get(i) ?? 0) + 1);
  return m;
};

/** Lost: expected keys with no row; duplicated: rows beyond the first per key. */
function tally(what: string, expected: string[], found: Map<string, number>, note?: string): CheckLine {
  let lost = 0;
  let duplicated = 0;
  for (const key of expected) {
    const n = found.get(key) ?? 0;
    if (n === 0) lost++;
    else duplicated += n - 1;
  }
  return { what, expected: expected.length, lost, duplicated, note };
}

export async function runChecks(o: { sql: Sql; temporal: Client; confirmed: Confirmed; department: string }): Promise<{ lines: CheckLine[]; auditOk: boolean; auditRows: number; unprocessedInbox: number }> {
  const { sql, confirmed } = o;
  const workflowIds = confirmed.discharges.map((e) => `followup-${e}`);
  const lines: CheckLine[] = [];

  // One follow-up workflow per confirmed discharge (every run of that workflow ID counts).
  const runs = new Map<string, number>();
  for await (const wf of o.temporal.workflow.list({ query: `WorkflowType = 'followUpWorkflow'` })) {
    runs.set(wf.workflowId, (runs.get(wf.workflowId) ?? 0) + 1);
  }
  lines.push(tally('follow-up workflow per confirmed discharge (Temporal visibility)', workflowIds, runs));

  const planned = await sql<{ workflow_id: string; n: number }[]>`
    SELECT workflow_id, count(*)::int AS n FROM follow_up_events WHERE step = 'planned' AND workflow_id = ANY(${workflowIds}) GROUP BY 1`;
  lines.push(tally('follow-up planned (follow_up_events)', workflowIds, new Map(planned.map((r) => [r.workflow_id, r.n]))));

  // Every task that has fallen due exists once: the rule has one touchpoint per discharge.
  const due = await sql<{ workflow_id: string }[]>`
    SELECT e.workflow_id FROM encounters e
    JOIN follow_up_rules r ON r.department_code = e.department_code
    WHERE e.workflow_id = ANY(${workflowIds})
      AND e.discharged_at + make_interval(secs => (r.touchpoints->0->>'offsetSeconds')::int) < now()`;
  const tasks = await sql<{ workflow_id: string; n: number }[]>`
    SELECT workflow_id, count(*)::int AS n FROM follow_up_tasks WHERE workflow_id = ANY(${workflowIds}) GROUP BY 1`;
  lines.push(tally('due task (follow_up_tasks)', due.map((r) => r.workflow_id), new Map(tasks.map((r) => [r.workflow_id, r.n]))));

  // Each confirmed call is recorded on its task, once.
  const contactTasks = [...confirmed.contacts.keys()];
  const recorded = await sql<{ id: string; status: string; completed: number }[]>`
    SELECT t.id, t.status, (SELECT count(*)::int FROM task_attempts a WHERE a.task_id = t.id AND a.outcome = 'completed') AS completed
    FROM follow_up_tasks t WHERE t.id = ANY(${contactTasks})`;
  lines.push(
    tally(
      'confirmed call recorded (task completed, task_attempts)',
      contactTasks,
      new Map(recorded.filter((r) => r.status === 'completed').map((r) => [r.id, Math.max(1, r.completed)])),
    ),
  );

  // Each confirmed complaint became one ticket; each confirmed resolution stuck.
  const complaintTasks = contactTasks.filter((t) => confirmed.contacts.get(t)!.feedback);
  const tickets = await sql<{ source_task_id: string; id: string; status: string }[]>`
    SELECT source_task_id, id, status FROM tickets WHERE source_task_id = ANY(${complaintTasks})`;
  lines.push(tally('ticket per confirmed complaint (tickets)', complaintTasks, count(tickets.map((t) => t.source_task_id))));
  const resolved = [...confirmed.resolved];
  const stillResolved = await sql<{ id: string }[]>`SELECT id FROM tickets WHERE id = ANY(${resolved}) AND status IN ('resolved', 'closed')`;
  lines.push(tally('confirmed ticket resolution kept (tickets.status)', resolved, count(stillResolved.map((t) => t.id))));

  // Nothing queued to go out twice. The channels that send them are not built yet (another issue):
  // what would be sent is the queue, one row per workflow step / dedupe key.
  const outbound = await sql<{ key: string; n: number }[]>`
    SELECT workflow_id || '/' || step AS key, count(*)::int AS n FROM outbound_messages GROUP BY 1`;
  lines.push(tally('patient message queued once per workflow step (outbound_messages)', outbound.map((r) => r.key), new Map(outbound.map((r) => [r.key, r.n])), 'no sender yet: queue rows'));
  const notifications = await sql<{ key: string; n: number }[]>`SELECT dedupe_key AS key, count(*)::int AS n FROM staff_notifications GROUP BY 1`;
  lines.push(tally('staff notification once per dedupe key (staff_notifications)', notifications.map((r) => r.key), new Map(notifications.map((r) => [r.key, r.n])), 'no sender yet: queue rows'));

  const audit = await verifyAuditChain(sql);
  const [{ n: unprocessedInbox } = { n: 0 }] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM inbound_messages WHERE outcome = 'received'`;
  return { lines, auditOk: audit.ok, auditRows: audit.checked, unprocessedInbox };
}
