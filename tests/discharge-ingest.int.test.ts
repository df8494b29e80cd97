import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { touchpointDueAt } from '../domain/schedule.js';
import { DepartmentKey, followUpWorkflowId, getFollowUpStateQuery } from '../workflows/follow-up/contracts.js';
import { createTestOrg, dischargeBody, type TestOrg } from './support/org.js';
import { startStack, type TestStack } from './support/stack.js';
import { waitFor } from './support/follow-up-fixtures.js';

const post = (stack: TestStack, body: unknown, headers: Record<string, string> = {}) =>
  stack.app.request('/api/his/discharges', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });


describe('POST /api/his/discharges', () => {
  let stack: TestStack;
  let org: TestOrg;
  beforeAll(async () => {
    stack = await startStack({ worker: true });
    org = await createTestOrg(stack.sql);
  });
  afterAll(() => stack.stop());

  it('stores the discharge and starts one follow-up workflow, however often it is sent', async () => {
    const body = dischargeBody(org.deptA, { dischargedAt: new Date().toISOString() });
    const first = await post(stack, body);
    const second = await post(stack, body);
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    const answer = await first.json();
    expect(await second.json()).toEqual(answer);
    expect(answer).toEqual({ encounterId: body.encounterId, workflowId: `followup-${body.encounterId}` });

    const [encounters] = await stack.sql<{ count: number }[]>`
      SELECT count(*)::int FROM encounters WHERE his_encounter_id = ${body.encounterId}`;
    expect(encounters!.count).toBe(1);
    const inbox = await stack.sql<{ outcome: string }[]>`
      SELECT outcome FROM inbound_messages WHERE his_encounter_id = ${body.encounterId} ORDER BY id`;
    expect(inbox.map((r) => r.outcome)).toEqual(['accepted', 'duplicate']);

    const workflowId = followUpWorkflowId(body.encounterId);
    const runs = await waitFor(async () => {
      const found = [];
      for await (const wf of stack.temporal.workflow.list({ query: `WorkflowId = '${workflowId}'` })) found.push(wf);
      return found.length > 0 ? found : undefined;
    });
    expect(runs).toHaveLength(1);

    // The worker ran it: it planned the follow-up (hospital-wide default: day 7), published its department and sleeps.
    await waitFor(async () => {
      const [row] = await stack.sql`SELECT 1 FROM follow_up_events WHERE workflow_id = ${workflowId} AND step = 'planned'`;
      return row;
    });
    const handle = stack.temporal.workflow.getHandle(workflowId);
    const state = await handle.query(getFollowUpStateQuery);
    expect(state).toMatchObject({ encounterId: body.encounterId, departmentCode: org.deptA, status: 'scheduled' });
    expect(state.touchpoints[0]).toMatchObject({
      dueAt: touchpointDueAt(new Date(body.dischargedAt), { offsetDays: 7 }).toISOString(),
      status: 'scheduled',
    });
    const description = await handle.describe();
    expect(description.typedSearchAttributes.get(DepartmentKey)).toBe(org.deptA);
    expect(description.status.name).toBe('RUNNING');
  });

  it('rejects an invalid discharge with 400 naming the field, stores no patient or encounter, keeps the raw message', async () => {
    const body = dischargeBody(org.deptA, { dischargedAt: 'yesterday' });
    const res = await post(stack, body);
    expect(res.status).toBe(400);
    const error = (await res.json()) as { error: string; problems: { field: string; message: string }[] };
    expect(error.error).toBe('invalid_input');
    expect(error.problems.map((p) => p.field)).toEqual(['dischargedAt']);

    const missingName = dischargeBody(org.deptA);
    delete (missingName.patient as Record<string, unknown>).name;
    const res2 = await post(stack, missingName);
    expect(res2.status).toBe(400);
    expect(((await res2.json()) as { problems: { field: string }[] }).problems.map((p) => p.field)).toContain('patient.name');

    for (const b of [body, missingName]) {
      const [patients] = await stack.sql`SELECT count(*)::int AS n FROM patients WHERE his_patient_id = ${b.patient.id}`;
      const [encounters] = await stack.sql`SELECT count(*)::int AS n FROM encounters WHERE his_encounter_id = ${b.encounterId}`;
      expect(patients!.n).toBe(0);
      expect(encounters!.n).toBe(0);
    }
    const [kept] = await stack.sql<{ outcome: string; error: string }[]>`
      SELECT outcome, error FROM inbound_messages WHERE raw = ${JSON.stringify(body)}`;
    expect(kept).toMatchObject({ outcome: 'rejected' });
    expect(kept!.error).toContain('dischargedAt');
  });

  it('answers 400 for a body that is not JSON', async () => {
    const res = await post(stack, '{not json');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_input', problems: [{ field: '(body)' }] });
  });
});

describe('POST /api/his/discharges with HIS_API_TOKEN set', () => {
  let stack: TestStack;
  const token = 'his-token-0123456789abcdef';
  beforeAll(async () => {
    stack = await startStack({ env: { HIS_API_TOKEN: token } });
  });
  afterAll(() => stack.stop());

  it('refuses a request without the token and stores nothing', async () => {
    const body = dischargeBody('GK');
    const res = await post(stack, body);
    expect(res.status).toBe(401);
    const wrong = await post(stack, body, { authorization: 'Bearer wrong-token-0123456789ab' });
    expect(wrong.status).toBe(401);
    const [row] = await stack.sql`SELECT count(*)::int AS n FROM inbound_messages WHERE raw = ${JSON.stringify(body)}`;
    expect(row!.n).toBe(0);
  });
});
