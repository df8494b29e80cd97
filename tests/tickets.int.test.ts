/**
 * The feedback ticket workflow on the real Temporal server and Postgres, with SLA, escalation and
 * rating periods of seconds (they are data: each ticket keeps its route's timings).
 */
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { Principal } from '../domain/access.js';
import type { ValidationError } from '../services/errors.js';
import { followUpWorkflowId } from '../workflows/follow-up/contracts.js';
import {
  SlaBreachedKey,
  TicketStatusKey,
  getTicketStateQuery,
  rateTicketSignal,
  ticketStart,
  ticketWorkflowId,
  type TicketState,
} from '../workflows/feedback-ticket/contracts.js';
import { startOnce, startWorkflow } from '../workflows/shared/start.js';
import { createShortPlan, maybeRecordHistory, waitFor } from './support/follow-up-fixtures.js';
import { createTestOrg, dischargeBody, TEST_PASSWORD, type TestOrg } from './support/org.js';
import { startStack, uniq, type TestStack } from './support/stack.js';

let stack: TestStack;
let org: TestOrg;
const users: Record<string, Principal> = {};

beforeAll(async () => {
  stack = await startStack({ worker: true });
  org = await createTestOrg(stack.sql);
  for (const key of ['agentA', 'agentB', 'headA', 'staffB', 'admin'] as const) {
    users[key] = (await stack.services.auth.login({ username: org.users[key].username, password: TEST_PASSWORD }, {})).user;
  }
});
afterAll(() => stack.stop());

/** A ticket of deptA with the given timings (seconds), raised by `createdBy` if given, and its running workflow. */
async function openTicket(timing: { sla?: number; escalate?: number; ratingWait?: number; createdBy?: string } = {}) {
  const id = uniq();
  const [patient] = await stack.sql<{ id: string }[]>`
    INSERT INTO patients (his_patient_id, name, phone) VALUES (${`TP-${id}`}, '李桂兰', '13912345678') RETURNING id`;
  const [ticket] = await stack.sql<{ id: string; number: string }[]>`
    INSERT INTO tickets (number, source_key, patient_id, category, description, department_code,
                         sla_seconds, escalate_seconds, rating_wait_seconds, sla_due_at, created_by)
    VALUES (${`T${id}`}, ${`test:${id}`}, ${patient!.id}, 'environment', '病房空调坏了 3 天没人修', ${org.deptA},
            ${timing.sla ?? 3600}, ${timing.escalate ?? 3600}, ${timing.ratingWait ?? 3600},
            now() + make_interval(secs => ${timing.sla ?? 3600}), ${timing.createdBy ?? null})
    RETURNING id, number`;
  const handle = await startWorkflow(stack.temporal, stack.taskQueue, ticketStart({ ticketId: ticket!.id, number: ticket!.number }, 'direct'));
  await waitFor(async () => (await stack.sql`SELECT 1 FROM ticket_events WHERE ticket_id = ${ticket!.id} AND kind = 'created'`)[0]);
  return { ticketId: ticket!.id, number: ticket!.number, handle };
}

const ticketRow = (ticketId: string) =>
  stack.sql<{ status: string; department_code: string; sla_due_at: Date; sla_breached: boolean; escalation_level: number; rating: number | null; closed_reason: string | null; reopen_count: number }[]>`
    SELECT status, department_code, sla_due_at, sla_breached, escalation_level, rating, closed_reason, reopen_count FROM tickets WHERE id = ${ticketId}`.then((r) => r[0]!);

const notifications = (ticketId: string) =>
  stack.sql<{ audience: string; department_code: string | null }[]>`
    SELECT audience, department_code FROM staff_notifications WHERE ticket_id = ${ticketId} ORDER BY id`;

describe('feedbackTicketWorkflow', () => {
  it('routes a complaint recorded during a follow-up to the department of its category, as a ticket with its own workflow', async () => {
    // feedback_routes has one row per category, shared by every test file: put 'process' back afterwards.
    const [route] = await stack.sql<{ department_code: string | null }[]>`SELECT department_code FROM feedback_routes WHERE category = 'process'`;
    onTestFinished(async () => {
      await stack.sql`UPDATE feedback_routes SET department_code = ${route!.department_code} WHERE category = 'process'`;
    });
    await stack.sql`UPDATE feedback_routes SET department_code = ${org.deptB} WHERE category = 'process'`;
    const keyword = `术式${uniq()}`;
    await createShortPlan(stack.sql, org.deptA, [{ offsetSeconds: 0, channel: 'phone', maxAttempts: 3, retryAfterSeconds: 3600 }], {
      scenarioKind: 'procedure_keyword',
      scenarioValue: keyword,
    });
    const body = dischargeBody(org.deptA, { dischargedAt: new Date().toISOString(), procedure: keyword });
    await stack.services.discharges.ingestJson(JSON.stringify(body));
    const [task] = await waitFor(async () => {
      const rows = await stack.sql<{ id: string }[]>`SELECT id FROM follow_up_tasks WHERE workflow_id = ${followUpWorkflowId(body.encounterId)}`;
      return rows.length ? rows : undefined;
    });
    await stack.services.tasks.recordContact(
      users.agentA!,
      task!.id,
      { outcome: 'completed', answers: { pain: 1, wound_exudate: false }, feedback: { category: 'process', subtag: '出院手续繁琐', description: '出院结账排了两个小时' } },
      {},
    );
    const [ticket] = await stack.sql<{ id: string; number: string; department_code: string; subtag: string; created_by: string }[]>`
      SELECT t.id, t.number, t.department_code, t.subtag, t.created_by FROM tickets t JOIN feedback_records f ON f.id = t.feedback_id
      WHERE f.task_id = ${task!.id}`;
    expect(ticket).toMatchObject({ department_code: org.deptB, subtag: '出院手续繁琐', created_by: users.agentA!.id });
    const handle = stack.temporal.workflow.getHandle(ticketWorkflowId(ticket!.number));
    const state = await waitFor(async () => {
      const s = await handle.query(getTicketStateQuery);
      return s.number ? s : undefined; // loaded
    });
    expect(state).toMatchObject({ status: 'open', departmentCode: org.deptB, escalationLevel: 0 });
    expect(await waitFor(async () => ((await notifications(ticket!.id)).length ? notifications(ticket!.id) : undefined))).toEqual([
      { audience: 'department', department_code: org.deptB },
    ]);
    // The agent follows the tickets they raised.
    expect((await stack.services.tickets.list(users.agentA!)).map((t) => t.id)).toContain(ticket!.id);
  });

  it('escalates once per level when the SLA passes, setting SlaBreached, and still takes the resolution', async () => {
    const { ticketId, handle } = await openTicket({ sla: 1, escalate: 1 });
    await waitFor(async () => ((await ticketRow(ticketId)).escalation_level === 2 ? true : undefined), 20_000, 'second escalation');
    // Well past both deadlines: no further escalation rows appear.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await notifications(ticketId)).map((n) => n.audience)).toEqual(['department', 'dept_head', 'supervisors', 'management']);
    expect(await ticketRow(ticketId)).toMatchObject({ sla_breached: true, escalation_level: 2, status: 'open' });
    const description = await handle.describe();
    expect(description.typedSearchAttributes.get(SlaBreachedKey)).toBe(true);
    const events = await stack.sql`SELECT kind FROM ticket_events WHERE ticket_id = ${ticketId} AND kind LIKE 'escalated%' ORDER BY id`;
    expect(events.map((e) => e.kind)).toEqual(['escalated-1', 'escalated-2']);

    // Supervisors read in the Temporal UI what the ticket is and what it waits for now.
    const metadata = async () => (await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata')).currentDetails ?? '';
    expect(await metadata()).toMatch(/^\*\*工单 \S+\*\* · 环境设施 · 待处理 · 已超时（二级（管理层））\n\n等待科室处理（已升级至管理层）$/);

    const resolved = await stack.services.tickets.act(users.headA!, ticketId, 'resolve', { resolution: '已更换空调' }, {});
    expect(resolved.status).toBe('resolved');
    expect(await waitFor(async () => ((await metadata()).includes('等待患者评价：截止') ? metadata() : undefined))).toContain('已解决');
    await handle.signal(rateTicketSignal, { rating: 3, via: 'patient' });
    expect(await handle.result()).toMatchObject({ status: 'closed', slaBreached: true, escalationLevel: 2 });
    await maybeRecordHistory(stack.temporal, handle.workflowId, 'ticket-escalated');
  });

  it('keeps the SLA clock when the ticket is transferred to another department', async () => {
    const { ticketId, handle } = await openTicket();
    const before = await ticketRow(ticketId);
    await stack.services.tickets.act(users.headA!, ticketId, 'accept', {}, {});
    const state = await stack.services.tickets.act(users.headA!, ticketId, 'transfer', { departmentCode: org.deptB, reason: '空调归总务科维修' }, {});
    expect(state).toMatchObject({ departmentCode: org.deptB, slaDueAt: before.sla_due_at.toISOString() });
    const after = await ticketRow(ticketId);
    expect(after.department_code).toBe(org.deptB);
    expect(after.sla_due_at.getTime()).toBe(before.sla_due_at.getTime());
    expect((await notifications(ticketId)).at(-1)).toEqual({ audience: 'department', department_code: org.deptB });
    // The old department has no say any more; the new one has.
    await expect(stack.services.tickets.act(users.headA!, ticketId, 'note', { note: '跟进中' }, {})).rejects.toMatchObject({ status: 403 });
    await stack.services.tickets.act(users.staffB!, ticketId, 'note', { note: '已联系厂家' }, {});
    expect((await handle.describe()).typedSearchAttributes.get(TicketStatusKey)).toBe('in_progress');
  });

  it('resolves, tells the patient, takes the rating from the agent who raised the ticket and closes', async () => {
    const { ticketId, handle } = await openTicket({ createdBy: users.agentA!.id });
    await stack.services.tickets.act(users.headA!, ticketId, 'resolve', { resolution: '空调已维修' }, {});
    const workflowId = ticketWorkflowId((await handle.query(getTicketStateQuery)).number);
    const message = await waitFor(async () => (await stack.sql`SELECT body FROM outbound_messages WHERE workflow_id = ${workflowId}`)[0]);
    expect(message!.body).toContain('已处理');
    // Only an agent who may see the ticket records the patient's rating: not the department head
    // who resolved it, nor an agent of another department who did not raise it.
    for (const someone of [users.headA!, users.agentB!]) {
      await expect(stack.services.tickets.recordRating(someone, ticketId, { rating: 1, reason: '没修好' }, {})).rejects.toMatchObject({ status: 403, message: '只有客服可以记录患者评价' });
    }
    expect(await ticketRow(ticketId)).toMatchObject({ status: 'resolved', rating: null });
    await stack.services.tickets.recordRating(users.agentA!, ticketId, { rating: 4 }, {});
    const result: TicketState = await handle.result();
    expect(result).toMatchObject({ status: 'closed', rating: 4, closedReason: 'rated' });
    expect(await ticketRow(ticketId)).toMatchObject({ status: 'closed', rating: 4, closed_reason: 'rated' });
    const audited = await stack.sql`SELECT actor_id FROM audit_log WHERE action = 'ticket.rating' AND entity_id = ${ticketId}`;
    expect(audited).toEqual([{ actor_id: users.agentA!.id }]);
    await maybeRecordHistory(stack.temporal, workflowId, 'ticket-rated');
  });

  it('a rating of 1–2 taken by the agent needs the reason, which reaches the department on the reopened ticket', async () => {
    const { ticketId, handle } = await openTicket({ createdBy: users.agentA!.id });
    await stack.services.tickets.act(users.headA!, ticketId, 'resolve', { resolution: '空调已维修' }, {});
    const missing = await stack.services.tickets.recordRating(users.agentA!, ticketId, { rating: 2, reason: '  ' }, {}).catch((e: unknown) => e);
    expect(missing).toMatchObject({ status: 400 });
    expect((missing as ValidationError).problems.map((p) => p.field)).toEqual(['reason']);
    expect(await ticketRow(ticketId)).toMatchObject({ status: 'resolved' });
    await stack.services.tickets.recordRating(users.agentA!, ticketId, { rating: 2, reason: '空调还是不制冷' }, {});
    await waitFor(async () => ((await handle.query(getTicketStateQuery)).status === 'open' ? true : undefined));
    const detail = await stack.services.tickets.get(users.headA!, ticketId, {});
    expect(detail.events.find((e) => e.kind === 'rating_reason')).toMatchObject({ details: { rating: 2, reason: '空调还是不制冷' } });
    await handle.terminate('test done');
  });

  it('reopens with a fresh SLA on a rating of 1–2 and tells the department head', async () => {
    const { ticketId, handle } = await openTicket({ sla: 3600 });
    await stack.services.tickets.act(users.headA!, ticketId, 'resolve', { resolution: '已处理' }, {});
    await waitFor(async () => ((await handle.query(getTicketStateQuery)).nextDeadline ? true : undefined));
    await handle.signal(rateTicketSignal, { rating: 2, via: 'patient' });
    const reopened = await waitFor(async () => {
      const s = await handle.query(getTicketStateQuery);
      return s.status === 'open' ? s : undefined;
    });
    expect(reopened).toMatchObject({ reopenCount: 1, rating: 2, slaBreached: false, escalationLevel: 0 });
    expect(Date.parse(reopened.slaDueAt)).toBeGreaterThan(Date.now() + 3500 * 1000);
    expect(await ticketRow(ticketId)).toMatchObject({ status: 'open', reopen_count: 1 });
    await waitFor(async () => (await notifications(ticketId)).some((n) => n.audience === 'dept_head'), 10_000, 'department head told');
    await stack.services.tickets.act(users.headA!, ticketId, 'resolve', { resolution: '再次维修并回访' }, {});
    await waitFor(async () => ((await handle.query(getTicketStateQuery)).nextDeadline ? true : undefined));
    await handle.signal(rateTicketSignal, { rating: 5, via: 'patient' });
    expect(await handle.result()).toMatchObject({ status: 'closed', rating: 5, reopenCount: 1 });
    await maybeRecordHistory(stack.temporal, handle.workflowId, 'ticket-reopened');
  });

  it('closes as 未评价 when the patient does not rate in time', async () => {
    const { ticketId, handle } = await openTicket({ ratingWait: 1 });
    await stack.services.tickets.act(users.headA!, ticketId, 'resolve', { resolution: '已处理' }, {});
    expect(await handle.result()).toMatchObject({ status: 'closed', closedReason: 'no_rating' });
    expect(await ticketRow(ticketId)).toMatchObject({ status: 'closed', closed_reason: 'no_rating', rating: null });
    // A closed ticket is never run again, whichever way a duplicate start comes (one reuse policy).
    const number = (await handle.query(getTicketStateQuery)).number;
    for (const source of ['follow-up', 'direct'] as const) {
      expect(await startOnce(stack.temporal, stack.taskQueue, ticketStart({ ticketId, number }, source))).toBe(false);
    }
    expect((await handle.describe()).status.name).toBe('COMPLETED');
    await maybeRecordHistory(stack.temporal, handle.workflowId, 'ticket-no-rating');
  });

  it('refuses an action the state does not allow, with the reason', async () => {
    const { ticketId, handle } = await openTicket({ ratingWait: 1 });
    await stack.services.tickets.act(users.headA!, ticketId, 'accept', {}, {});
    await expect(stack.services.tickets.act(users.headA!, ticketId, 'accept', {}, {})).rejects.toMatchObject({
      status: 409,
      message: expect.stringContaining('处理中'),
    });
    await expect(stack.services.tickets.act(users.headA!, ticketId, 'resolve', { resolution: '' }, {})).rejects.toMatchObject({ status: 400 });
    await stack.services.tickets.act(users.headA!, ticketId, 'resolve', { resolution: '已处理' }, {});
    await handle.result();
    await expect(stack.services.tickets.act(users.headA!, ticketId, 'resolve', { resolution: '再处理一次' }, {})).rejects.toMatchObject({ status: 409 });
  });

  it("refuses a department user another department's ticket (403), and answers 404 for a guessed id", async () => {
    const { ticketId } = await openTicket();
    await expect(stack.services.tickets.get(users.staffB!, ticketId, {})).rejects.toMatchObject({ status: 403 });
    await expect(stack.services.tickets.act(users.staffB!, ticketId, 'resolve', { resolution: '越权处理' }, {})).rejects.toMatchObject({ status: 403 });
    expect((await stack.services.tickets.list(users.staffB!)).map((t) => t.id)).not.toContain(ticketId);
    await expect(stack.services.tickets.get(users.staffB!, '00000000-0000-0000-0000-000000000000', {})).rejects.toMatchObject({ status: 404 });
    expect((await stack.services.tickets.get(users.headA!, ticketId, {})).phoneMasked).toBe('139****5678');
  });
});
