/**
 * 流程监控: workflows made to fail, and one whose step keeps failing and retrying, show up for
 * supervisors with their process's Chinese name and a link into the Temporal UI. A Postgres error
 * no retry can fix fails the step for good instead of retrying it forever. The failures are
 * caused by a trigger that refuses one test workflow's rows only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../domain/access.js';
import { followUpWorkflowId, type FollowUpWorkflow } from '../workflows/follow-up/contracts.js';
import { createShortPlan, waitFor } from './support/follow-up-fixtures.js';
import { createTestOrg, dischargeBody, signIn, TEST_PASSWORD, type TestOrg } from './support/org.js';
import { startStack, uniq, type TestStack } from './support/stack.js';

let stack: TestStack;
let org: TestOrg;
let manager: Principal;
const refused: string[] = [];

beforeAll(async () => {
  stack = await startStack({ worker: true, web: true, env: { WORKFLOW_RETRY_ALERT_ATTEMPTS: 2 } });
  org = await createTestOrg(stack.sql);
  manager = (await stack.services.auth.login({ username: org.users.manager.username, password: TEST_PASSWORD }, {})).user;
});
afterAll(async () => {
  for (const name of refused) {
    await stack.sql.unsafe(`DROP TRIGGER IF EXISTS ${name} ON follow_up_tasks; DROP FUNCTION IF EXISTS ${name}()`);
  }
  await stack.stop();
});

/** A follow-up whose task cannot be stored: the database refuses it with `sqlstate`. */
async function followUpRefusedWith(sqlstate: string) {
  const keyword = `术式${uniq()}`;
  await createShortPlan(stack.sql, org.deptA, [{ offsetSeconds: 0, channel: 'phone', maxAttempts: 3, retryAfterSeconds: 3600 }], {
    scenarioKind: 'procedure_keyword',
    scenarioValue: keyword,
  });
  const body = dischargeBody(org.deptA, { dischargedAt: new Date().toISOString(), procedure: `${keyword}术` });
  const workflowId = followUpWorkflowId(body.encounterId);
  const name = `refuse_${uniq().toLowerCase()}`;
  refused.push(name);
  await stack.sql.unsafe(`
    CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION '测试:数据库拒绝写入任务' USING ERRCODE = '${sqlstate}'; END $$;
    CREATE TRIGGER ${name} BEFORE INSERT ON follow_up_tasks FOR EACH ROW
      WHEN (NEW.workflow_id = '${workflowId}') EXECUTE FUNCTION ${name}();`);
  await stack.services.discharges.ingestJson(JSON.stringify(body));
  return { workflowId, trigger: name };
}

const listed = (workflowId: string, problem: string) => async () =>
  (await stack.services.workflowMonitor.list(manager, { problem })).find((r) => r.workflowId === workflowId);

describe('流程监控', () => {
  it('lists a follow-up whose step fails for good (a constraint no retry fixes) as failed, with a link into the Temporal UI', async () => {
    const { workflowId } = await followUpRefusedWith('23514'); // check_violation
    await expect(stack.temporal.workflow.getHandle<FollowUpWorkflow>(workflowId).result()).rejects.toThrow();
    const row = await waitFor(listed(workflowId, 'failed'), 30_000, 'failed workflow listed');
    expect(row).toMatchObject({ process: 'followUpWorkflow', processLabel: '出院随访', problem: 'failed', problemLabel: '失败' });
    expect(row.detail).toMatch(/^步骤“生成随访任务”失败:测试:数据库拒绝写入任务 \(SQLSTATE 23514\)/);
    expect(row.temporalUrl).toBe(`${stack.env.TEMPORAL_UI_URL}/namespaces/default/workflows/${workflowId}/${row.runId}/history`);
    // Failed at the first attempt: it was not retried.
    const [attempts] = await stack.sql`SELECT count(*)::int AS n FROM activity_retries WHERE workflow_id = ${workflowId}`;
    expect(attempts!.n).toBe(0);

    // The page, for a manager; refused to an agent.
    const page = await stack.app.request('/supervisor/workflows?problem=failed', { headers: { cookie: await signIn(stack.app, org.users.manager.username) } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('流程监控');
    expect(html).toContain(workflowId);
    expect(html).toContain(row.temporalUrl);
    const agentPage = await stack.app.request('/supervisor/workflows', { headers: { cookie: await signIn(stack.app, org.users.agentA.username) } });
    expect(agentPage.status).toBe(403);
    await expect(stack.services.workflowMonitor.list((await stack.services.auth.login({ username: org.users.agentA.username, password: TEST_PASSWORD }, {})).user)).rejects.toMatchObject({ status: 403 });
  });

  it('lists a follow-up whose step keeps failing and retrying, and drops it once the step succeeds', async () => {
    const { workflowId, trigger } = await followUpRefusedWith('P0001'); // raise_exception: may pass later
    const row = await waitFor(listed(workflowId, 'retrying'), 30_000, 'retrying workflow listed');
    expect(row).toMatchObject({ processLabel: '出院随访', problem: 'retrying', problemLabel: '步骤反复重试' });
    expect(row.detail).toMatch(/^步骤“生成随访任务”已失败 \d+ 次:测试:数据库拒绝写入任务/);

    await stack.sql.unsafe(`DROP TRIGGER ${trigger} ON follow_up_tasks`);
    await waitFor(async () => (await stack.sql`SELECT 1 FROM follow_up_tasks WHERE workflow_id = ${workflowId}`).length > 0, 30_000, 'task stored');
    await waitFor(async () => !(await listed(workflowId, 'retrying')()), 10_000, 'no longer listed');
    await stack.temporal.workflow.getHandle(workflowId).signal('cancelFollowUp', { reason: 'opt_out' });
  });
});
