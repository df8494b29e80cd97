/**
 * A small month of a department, driven through the real workflows, for the report tests: three
 * follow-ups due at once in deptA (satisfied with a complaint about the queue, unsatisfied with a
 * complaint about noise, one never reached), the queue complaint resolved by the department head,
 * then the rollups brought up to date by reportRollupWorkflow.
 */
import type { Principal } from '../../domain/access.js';
import type { Question } from '../../domain/questions.js';
import { followUpWorkflowId } from '../../workflows/follow-up/contracts.js';
import { reportRollupStart } from '../../workflows/reports/contracts.js';
import { executeWorkflow } from '../../workflows/shared/start.js';
import { createShortPlan, waitFor } from './follow-up-fixtures.js';
import { dischargeBody, type TestOrg } from './org.js';
import { uniq, type TestStack } from './stack.js';

export const REPORT_QUESTIONS: Question[] = [
  { id: 'pain', text: '疼痛程度(1–5)', type: 'rating' },
  { id: 'satisfaction', text: '对本次住院服务的满意度(1–5)', type: 'rating' },
  { id: 'comments', text: '其他', type: 'text' },
];

/** Runs reportRollupWorkflow once (as the Schedule does) and waits for it. */
export const refreshReports = (stack: TestStack) => executeWorkflow(stack.temporal, stack.taskQueue, reportRollupStart({}, `report-rollup-test-${uniq()}`));

/** Discharges a patient of the department and returns the task its follow-up opens (due at once). */
async function dueTask(stack: TestStack, department: string): Promise<string> {
  const body = dischargeBody(department, { dischargedAt: new Date().toISOString() });
  await stack.services.discharges.ingestJson(JSON.stringify(body));
  const [task] = await waitFor(async () => {
    const rows = await stack.sql<{ id: string }[]>`SELECT id FROM follow_up_tasks WHERE workflow_id = ${followUpWorkflowId(body.encounterId)}`;
    return rows.length ? rows : undefined;
  });
  return task!.id;
}

export async function driveReportMonth(stack: TestStack, org: TestOrg, users: { agentA: Principal; headA: Principal }): Promise<{ tickets: { id: string; subtag: string }[] }> {
  await createShortPlan(stack.sql, org.deptA, [{ offsetSeconds: 0, channel: 'phone', maxAttempts: 1, retryAfterSeconds: 3600 }], { questions: REPORT_QUESTIONS });
  const [t1, t2, t3] = [await dueTask(stack, org.deptA), await dueTask(stack, org.deptA), await dueTask(stack, org.deptA)];
  const complaint = (category: string, subtag: string, description: string) => ({ category, subtag, description, departmentCode: org.deptA, reason: '本科室负责' });
  await stack.services.tasks.recordContact(users.agentA, t1, { outcome: 'completed', answers: { pain: 2, satisfaction: 5 }, feedback: complaint('process', '排队时间长', '出院结账排了两个小时') }, {});
  await stack.services.tasks.recordContact(users.agentA, t2, { outcome: 'completed', answers: { pain: 1, satisfaction: 3 }, feedback: complaint('environment', '噪音大', '夜里走廊很吵') }, {});
  await stack.services.tasks.recordContact(users.agentA, t3, { outcome: 'no_answer' }, {});
  await waitFor(async () => ((await stack.sql`SELECT status FROM follow_up_tasks WHERE id = ${t3}`)[0]?.status === 'unreachable' ? true : undefined));
  const tickets = await waitFor(async () => {
    const rows = await stack.sql<{ id: string; subtag: string }[]>`
      SELECT t.id, t.subtag FROM tickets t JOIN feedback_records f ON f.id = t.feedback_id JOIN follow_up_tasks k ON k.id = f.task_id
      WHERE k.department_code = ${org.deptA} ORDER BY t.subtag`;
    const started = await stack.sql`SELECT 1 FROM ticket_events e WHERE e.ticket_id = ANY(${rows.map((r) => r.id)}) AND e.kind = 'created'`;
    return rows.length === 2 && started.length === 2 ? [...rows] : undefined;
  });
  const queue = tickets.find((t) => t.subtag === '排队时间长')!;
  await stack.services.tickets.act(users.headA, queue.id, 'resolve', { resolution: '已增加结账窗口' }, {});
  await waitFor(async () => ((await stack.sql`SELECT status FROM tickets WHERE id = ${queue.id}`)[0]?.status === 'resolved' ? true : undefined));
  await refreshReports(stack);
  return { tickets };
}
