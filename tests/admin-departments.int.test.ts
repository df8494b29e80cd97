/**
 * Departments administered over REST: created and changed by admins only, with field errors, and
 * switched on or off for follow-up — a disabled department's discharges are stored and shown, but
 * no follow-up workflow starts.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { followUpWorkflowId } from '../workflows/follow-up/contracts.js';
import { createTestOrg, dischargeBody, signIn, type TestOrg } from './support/org.js';
import { startStack, uniq, type TestStack } from './support/stack.js';

const send = (stack: TestStack, method: string, path: string, cookie: string, body: unknown) =>
  stack.app.request(path, { method, headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('departments administration', () => {
  let stack: TestStack;
  let org: TestOrg;
  let admin: string;
  beforeAll(async () => {
    stack = await startStack();
    org = await createTestOrg(stack.sql);
    admin = await signIn(stack.app, org.users.admin.username);
  });
  afterAll(() => stack.stop());

  it('creates a department for admins only, with 409 for a taken code and 400 naming the field', async () => {
    const code = `GK${uniq()}`;
    const created = await send(stack, 'POST', '/api/admin/departments', admin, { code, name: '骨科二病区', kind: 'clinical' });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ department: { code, name: '骨科二病区', kind: 'clinical', followUpEnabled: true, hisCodes: [], staffCount: 0 } });
    expect((await send(stack, 'POST', '/api/admin/departments', admin, { code, name: '重复', kind: 'clinical' })).status).toBe(409);
    const head = await signIn(stack.app, org.users.headA.username);
    expect((await send(stack, 'POST', '/api/admin/departments', head, { code: `${code}X`, name: 'x', kind: 'clinical' })).status).toBe(403);
    const bad = await send(stack, 'POST', '/api/admin/departments', admin, { code: 'has space', name: '', kind: 'ward' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { problems: { field: string }[] }).problems.map((p) => p.field).sort()).toEqual(['code', 'kind', 'name']);
    // The head must work in that department.
    const [outsider] = await stack.sql<{ id: string }[]>`SELECT id FROM users WHERE username = ${org.users.headA.username}`;
    const wrongHead = await send(stack, 'PUT', `/api/admin/departments/${code}`, admin, { name: '骨科二病区', kind: 'clinical', headUserId: outsider!.id });
    expect(await wrongHead.json()).toMatchObject({ problems: [{ field: 'headUserId' }] });
    const actions = await stack.sql`SELECT action FROM audit_log WHERE entity_type = 'department' AND entity_id = ${code}`;
    expect(actions).toEqual([{ action: 'department.create' }]);
  });

  it('stores a disabled department’s discharges without starting a follow-up, and starts them once enabled', async () => {
    const dept = org.deptB;
    const off = await send(stack, 'PUT', `/api/admin/departments/${dept}`, admin, { name: '内分泌科', kind: 'clinical', followUpEnabled: false });
    expect(off.status).toBe(200);
    expect(await off.json()).toMatchObject({ department: { code: dept, followUpEnabled: false } });

    const first = dischargeBody(dept);
    expect(await stack.services.discharges.ingestJson(JSON.stringify(first))).toMatchObject({ encounterId: first.encounterId, note: '科室未启用随访' });
    const [stored] = await stack.sql`SELECT department_code, follow_up_skipped FROM encounters WHERE his_encounter_id = ${first.encounterId}`;
    expect(stored).toEqual({ department_code: dept, follow_up_skipped: '科室未启用随访' });
    await expect(stack.temporal.workflow.getHandle(followUpWorkflowId(first.encounterId)).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);

    await send(stack, 'PUT', `/api/admin/departments/${dept}`, admin, { name: '内分泌科', kind: 'clinical', followUpEnabled: true });
    const second = dischargeBody(dept);
    expect(await stack.services.discharges.ingestJson(JSON.stringify(second))).toMatchObject({ workflowId: followUpWorkflowId(second.encounterId) });
    const described = await stack.temporal.workflow.getHandle(followUpWorkflowId(second.encounterId)).describe();
    expect(described.status.name).toBe('RUNNING');
    await stack.temporal.workflow.getHandle(followUpWorkflowId(second.encounterId)).terminate('test over');
  });
});
