/**
 * A phone task nobody works: after FOLLOW_UP_ESCALATE_AFTER_SECONDS (3 s here) the department's
 * head is told, and the next touchpoint still opens on its own time, beside the open task.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../domain/access.js';
import { followUpWorkflowId, getFollowUpStateQuery, type FollowUpWorkflow } from '../workflows/follow-up/contracts.js';
import { createShortPlan, maybeRecordHistory, waitFor } from './support/follow-up-fixtures.js';
import { createTestOrg, dischargeBody, TEST_PASSWORD, type TestOrg } from './support/org.js';
import { startStack, uniq, type TestStack } from './support/stack.js';

let stack: TestStack;
let org: TestOrg;
let agentA: Principal;

beforeAll(async () => {
  stack = await startStack({ worker: true, env: { FOLLOW_UP_ESCALATE_AFTER_SECONDS: 3 } });
  org = await createTestOrg(stack.sql);
  agentA = (await stack.services.auth.login({ username: org.users.agentA.username, password: TEST_PASSWORD }, {})).user;
});
afterAll(() => stack.stop());

const phone = (offsetSeconds: number) => ({ offsetSeconds, channel: 'phone' as const, maxAttempts: 3, retryAfterSeconds: 3600 });

const taskOf = (workflowId: string, index: number) =>
  stack.sql<{ id: string; status: string; due_at: Date; created_at: Date; escalated_at: Date | null }[]>`
    SELECT id, status, due_at, created_at, escalated_at FROM follow_up_tasks
    WHERE workflow_id = ${workflowId} AND touchpoint_index = ${index}`.then((rows) => rows[0]);

describe('a phone task nobody works', () => {
  it('escalates to the department head after its limit, and the next touchpoint opens on time regardless', async () => {
    const keyword = `术式${uniq()}`;
    await createShortPlan(stack.sql, org.deptA, [phone(0), phone(8)], { scenarioKind: 'procedure_keyword', scenarioValue: keyword });
    const body = dischargeBody(org.deptA, { dischargedAt: new Date().toISOString(), procedure: `${keyword}术` });
    await stack.services.discharges.ingestJson(JSON.stringify(body));
    const workflowId = followUpWorkflowId(body.encounterId);
    const handle = stack.temporal.workflow.getHandle<FollowUpWorkflow>(workflowId);

    const first = await waitFor(() => taskOf(workflowId, 0), 20_000, 'first task');
    expect(first.status).toBe('open');
    expect(first.escalated_at).toBeNull();

    // Past the 3 s limit, still open: one notice to the department's head about this task.
    const notice = await waitFor(
      async () => (await stack.sql<{ audience: string; department_code: string; body: string }[]>`
        SELECT audience, department_code, body FROM staff_notifications WHERE task_id = ${first.id}`)[0],
      20_000,
      'escalation notice',
    );
    expect(notice).toMatchObject({ audience: 'dept_head', department_code: org.deptA });
    expect(notice.body).toContain('超时未处理');
    expect((await taskOf(workflowId, 0))!.escalated_at).not.toBeNull();

    // The day-"8 s" touchpoint opens on its own time while the first task is still open.
    const second = await waitFor(() => taskOf(workflowId, 1), 20_000, 'second task');
    expect(second.created_at.getTime() - second.due_at.getTime()).toBeLessThan(5_000);
    expect((await taskOf(workflowId, 0))!.status).toBe('open');
    const state = await handle.query(getFollowUpStateQuery);
    expect(state.status).toBe('awaiting_contact');
    expect(state.touchpoints.map((t) => t.status)).toEqual(['open', 'open']);
    expect(state.history.map((h) => h.event)).toContain('第 1 次随访任务超时未处理');

    // Late work on the first task is still taken; the follow-up ends once both are settled.
    const answers = { pain: 2, wound_exudate: false };
    await stack.services.tasks.recordContact(agentA, second.id, { outcome: 'completed', answers }, {});
    await stack.services.tasks.recordContact(agentA, first.id, { outcome: 'completed', answers }, {});
    const result = await handle.result();
    expect(result.status).toBe('completed');
    expect(result.touchpoints.map((t) => t.status)).toEqual(['completed', 'completed']);
    const notices = await stack.sql`SELECT 1 FROM staff_notifications WHERE task_id IN (${first.id}, ${second.id})`;
    expect(notices).toHaveLength(1);
    await maybeRecordHistory(stack.temporal, workflowId, 'unworked-phone-escalated');
  });
});
