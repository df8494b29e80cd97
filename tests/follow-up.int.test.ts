/**
 * The follow-up workflow on the real Temporal server and Postgres, with touchpoints due seconds
 * after discharge (timings are data, so the production day-3/7/14 rules run the same code).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowFailedError, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { Principal } from '../domain/access.js';
import {
  CONTACT_REFUSED,
  DepartmentKey,
  UNASSIGNED_DEPARTMENT,
  UrgentKey,
  FollowUpStatusKey,
  followUpWorkflowId,
  getFollowUpStateQuery,
  recordContactUpdate,
  surveyAnsweredSignal,
  type FollowUpState,
} from '../workflows/follow-up/contracts.js';
import { refusalOf } from '../workflows/shared/refusal.js';
import { createShortPlan, maybeRecordHistory, recentDaytime, waitFor } from './support/follow-up-fixtures.js';
import { createTestOrg, dischargeBody, type TestOrg } from './support/org.js';
import { startStack, uniq, type TestStack } from './support/stack.js';

let stack: TestStack;
let org: TestOrg;
let agentA: Principal;

beforeAll(async () => {
  stack = await startStack({ worker: true });
  org = await createTestOrg(stack.sql);
  agentA = (await stack.services.auth.login({ username: org.users.agentA.username, password: 'test-password-123' }, {})).user;
});
afterAll(() => stack.stop());

/** Discharges a patient into a department of its own with the given touchpoints. */
async function discharge(touchpoints: Parameters<typeof createShortPlan>[2], overrides: Record<string, unknown> = {}) {
  const dept = org.deptA;
  // Each scenario gets its own rule by a unique procedure keyword, so rules of other tests do not interfere.
  const keyword = `术式${uniq()}`;
  await createShortPlan(stack.sql, dept, touchpoints, { scenarioKind: 'procedure_keyword', scenarioValue: keyword });
  const body = dischargeBody(dept, { dischargedAt: new Date().toISOString(), procedure: `${keyword}切开复位内固定术`, ...overrides });
  await stack.services.discharges.ingestJson(JSON.stringify(body));
  const workflowId = followUpWorkflowId(body.encounterId);
  return { body, workflowId, handle: stack.temporal.workflow.getHandle(workflowId) };
}

const taskOf = (workflowId: string, index = 0) =>
  stack.sql<{ id: string; status: string; attempts: number; urgent: boolean; assigned_agent_id: string | null; due_at: Date }[]>`
    SELECT id, status, attempts, urgent, assigned_agent_id, due_at FROM follow_up_tasks
    WHERE workflow_id = ${workflowId} AND touchpoint_index = ${index}`.then((rows) => rows[0]);

const phone = (offsetSeconds: number, maxAttempts = 3, retryAfterSeconds = 3600) => ({
  offsetSeconds,
  channel: 'phone' as const,
  maxAttempts,
  retryAfterSeconds,
});

describe('followUpWorkflow', () => {
  it('plans from the rule, greets, and opens the task only once its offset has passed, assigned to an agent of the department', async () => {
    // Discharged during the day (so the greeting goes out at once); the touchpoint falls due 3 s from now.
    const dischargedAt = recentDaytime();
    const offset = Math.ceil((Date.now() - dischargedAt.getTime()) / 1000) + 3;
    const { workflowId, handle } = await discharge([phone(offset)], { dischargedAt: dischargedAt.toISOString() });
    const planned = await waitFor(async () => {
      const s = await handle.query(getFollowUpStateQuery);
      return s.touchpoints.length > 0 ? s : undefined;
    });
    expect(planned.touchpoints[0]).toMatchObject({ status: 'scheduled', attempts: 0, maxAttempts: 3 });
    expect(planned.nextWakeUp).toBe(planned.touchpoints[0]!.dueAt);
    expect(await taskOf(workflowId)).toBeUndefined();

    const task = await waitFor(() => taskOf(workflowId), 20_000, 'task created');
    expect(task.status).toBe('open');
    expect(task.assigned_agent_id).toBe(agentA.id);
    const [greeting] = await stack.sql`SELECT channel, body FROM outbound_messages WHERE workflow_id = ${workflowId} AND step = 'greeting'`;
    expect(greeting).toMatchObject({ channel: 'sms', body: '祝您早日康复' });
    const state = await handle.query(getFollowUpStateQuery);
    expect(state.status).toBe('awaiting_contact');
    expect(state.touchpoints[0]).toMatchObject({ status: 'open', taskId: task.id });
    expect((await handle.describe()).typedSearchAttributes.get(FollowUpStatusKey)).toBe('awaiting_contact');
    await handle.signal('cancelFollowUp', { reason: 'opt_out' });
  });

  it('stores answers through the Update, refuses a second completion with a reason, and finishes', async () => {
    const { workflowId, handle } = await discharge([phone(0)]);
    const task = await waitFor(() => taskOf(workflowId));
    const reply = await stack.services.tasks.recordContact(
      agentA,
      task.id,
      { outcome: 'completed', answers: { pain: 2, wound_exudate: false, comments: '恢复不错' } },
      {},
    );
    expect(reply).toMatchObject({ taskStatus: 'completed', urgent: false, redFlags: [] });
    const answers = await stack.sql<{ question_id: string; value: unknown }[]>`
      SELECT question_id, value FROM task_answers WHERE task_id = ${task.id} ORDER BY question_id`;
    expect(answers).toEqual([
      { question_id: 'comments', value: '恢复不错' },
      { question_id: 'pain', value: 2 },
      { question_id: 'wound_exudate', value: false },
    ]);
    expect(await taskOf(workflowId)).toMatchObject({ status: 'completed', attempts: 1 });

    await expect(stack.services.tasks.recordContact(agentA, task.id, { outcome: 'completed', answers: { pain: 1, wound_exudate: false } }, {})).rejects.toMatchObject({
      status: 409,
      message: expect.stringContaining('已结束'),
    });
    const result = await handle.result();
    expect(result.status).toBe('completed');
    await maybeRecordHistory(stack.temporal, workflowId, 'completed');
  });

  it('refuses answers that do not fit the template, naming the question', async () => {
    const { workflowId, handle } = await discharge([phone(0)]);
    const task = await waitFor(() => taskOf(workflowId));
    const update = handle.executeUpdate(recordContactUpdate, { args: [{ taskId: task.id, outcome: 'completed', answers: { pain: 9 } }] });
    // The refusal crosses the Update boundary as data: the questions at fault, not only a sentence.
    const refused: unknown = await update.catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
    expect(refusalOf((refused as WorkflowUpdateFailedError).cause)).toMatchObject({
      type: CONTACT_REFUSED,
      problems: expect.arrayContaining([{ field: 'answers.pain', message: expect.any(String) }]),
    });
    await expect(stack.services.tasks.recordContact(agentA, task.id, { outcome: 'completed', answers: { pain: 9, wound_exudate: false } }, {})).rejects.toMatchObject({
      status: 400,
      problems: [{ field: 'answers.pain', message: expect.any(String) }],
    });
    expect(await taskOf(workflowId)).toMatchObject({ status: 'open', attempts: 0 });
    await handle.signal('cancelFollowUp', { reason: 'opt_out' });
  });

  it('lets the agent mark an open task urgent by hand (标红) with a reason: row, workflow and search attribute follow, audited', async () => {
    const { workflowId, handle } = await discharge([phone(0)]);
    const task = await waitFor(() => taskOf(workflowId));
    const missing = await stack.services.tasks.markUrgent(agentA, task.id, { reason: ' ' }, {}).catch((e: unknown) => e);
    expect(missing).toMatchObject({ status: 400 });
    const agentB = (await stack.services.auth.login({ username: org.users.agentB.username, password: 'test-password-123' }, {})).user;
    await expect(stack.services.tasks.markUrgent(agentB, task.id, { reason: '患者诉伤口红肿' }, {})).rejects.toMatchObject({ status: 403 });
    expect(await taskOf(workflowId)).toMatchObject({ urgent: false });

    await stack.services.tasks.markUrgent(agentA, task.id, { reason: '患者诉伤口红肿，需尽快回电' }, {});
    expect(await taskOf(workflowId)).toMatchObject({ urgent: true, status: 'open' });
    const state = await waitFor(async () => {
      const s = await handle.query(getFollowUpStateQuery);
      return s.urgent ? s : undefined;
    });
    expect(state.history.at(-1)).toMatchObject({ event: '第 1 次随访:客服标红', detail: '患者诉伤口红肿，需尽快回电' });
    expect((await handle.describe()).typedSearchAttributes.get(UrgentKey)).toBe(true);
    const audited = await stack.sql`SELECT details FROM audit_log WHERE action = 'task.mark_urgent' AND entity_id = ${task.id}`;
    expect(audited).toEqual([{ details: { reason: '患者诉伤口红肿，需尽快回电' } }]);
    await handle.terminate('test done');
  });

  it('turns a red-flag answer into an urgent task and an alert to the department', async () => {
    const { workflowId, handle } = await discharge([phone(0)]);
    const task = await waitFor(() => taskOf(workflowId));
    const reply = await stack.services.tasks.recordContact(agentA, task.id, { outcome: 'completed', answers: { pain: 5, wound_exudate: true } }, {});
    expect(reply).toMatchObject({ urgent: true, redFlags: ['pain', 'wound_exudate'] });
    expect(await taskOf(workflowId)).toMatchObject({ urgent: true, status: 'completed' });
    const [alert] = await stack.sql`SELECT department_code, kind, details FROM alerts WHERE task_id = ${task.id}`;
    expect(alert).toMatchObject({
      department_code: org.deptA,
      kind: 'red_flag',
      details: { questionIds: ['pain', 'wound_exudate'], questions: ['疼痛程度(1–5)', '伤口有无渗液?'] },
    });
    const [shown] = await stack.services.alerts.forDepartment(agentA, org.deptA);
    expect(shown).toMatchObject({ taskId: task.id, questions: ['疼痛程度(1–5)', '伤口有无渗液?'], acknowledgedAt: null });
    // The patient page shows the follow-up with its answers, questions by their text, and the department by its name.
    const [owner] = await stack.sql<{ patient_id: string }[]>`SELECT patient_id FROM follow_up_tasks WHERE id = ${task.id}`;
    const page = await stack.services.patients.view(agentA, owner!.patient_id, {});
    const [dept] = await stack.sql<{ name: string }[]>`SELECT name FROM departments WHERE code = ${org.deptA}`;
    expect(page.encounters[0]!.departmentName).toBe(dept!.name);
    expect(page.followUps).toEqual([
      expect.objectContaining({
        taskId: task.id,
        touchpoint: 1,
        status: 'completed',
        urgent: true,
        answers: expect.arrayContaining([
          { question: '疼痛程度(1–5)', answer: '5', redFlag: true },
          { question: '伤口有无渗液?', answer: '是', redFlag: true },
        ]) as unknown,
      }),
    ]);
    const flagged = await stack.sql`SELECT question_id FROM task_answers WHERE task_id = ${task.id} AND red_flag ORDER BY question_id`;
    expect(flagged.map((r) => r.question_id)).toEqual(['pain', 'wound_exudate']);
    await handle.result();
    expect((await handle.describe()).typedSearchAttributes.get(UrgentKey)).toBe(true);
    // Supervisors read in the Temporal UI what the follow-up is and how it ended.
    const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    expect(metadata.currentDetails).toMatch(/^\*\*出院随访 \S+\*\* · 已完成 · 红旗预警\n\n已完成\n\n第 1 次（电话，.+）：已完成$/);
    // The follow-up's log names the questions by their text, never by their ids.
    const { history } = await handle.query(getFollowUpStateQuery);
    expect(history.map((h) => h.detail ?? '')).toContain('疼痛程度(1–5)、伤口有无渗液?');
    expect(JSON.stringify(history)).not.toContain('wound_exudate');
    await maybeRecordHistory(stack.temporal, workflowId, 'red-flag-with-ticket');
  });

  it('moves the task on after each unanswered call and marks it unreachable after the last attempt', async () => {
    const { workflowId, handle } = await discharge([phone(0, 3, 7200)]);
    const task = await waitFor(() => taskOf(workflowId));
    const first = await stack.services.tasks.recordContact(agentA, task.id, { outcome: 'no_answer' }, {});
    expect(first.taskStatus).toBe('open');
    const after = await taskOf(workflowId);
    expect(after!.attempts).toBe(1);
    expect(after!.due_at.getTime() - task.due_at.getTime()).toBeGreaterThan(7000 * 1000);
    const state = await handle.query(getFollowUpStateQuery);
    expect(state.touchpoints[0]!.retryAt).toBeDefined();

    await stack.services.tasks.recordContact(agentA, task.id, { outcome: 'no_answer' }, {});
    const last = await stack.services.tasks.recordContact(agentA, task.id, { outcome: 'no_answer' }, {});
    expect(last.taskStatus).toBe('unreachable');
    const result = await handle.result();
    expect(result.status).toBe('unreachable');
    const attempts = await stack.sql`SELECT attempt, outcome FROM task_attempts WHERE task_id = ${task.id} ORDER BY attempt`;
    expect(attempts).toEqual([
      { attempt: 1, outcome: 'no_answer' },
      { attempt: 2, outcome: 'no_answer' },
      { attempt: 3, outcome: 'no_answer' },
    ]);
    await maybeRecordHistory(stack.temporal, workflowId, 'unreachable');
  });

  it('resends an unanswered SMS survey on its timer and gives up after the last attempt', async () => {
    const { workflowId, handle } = await discharge([{ offsetSeconds: 0, channel: 'sms', maxAttempts: 2, retryAfterSeconds: 1 }]);
    const result = await handle.result();
    expect(result.status).toBe('unreachable');
    expect(result.touchpoints[0]).toMatchObject({ status: 'unreachable', attempts: 2 });
    const surveys = await stack.sql`SELECT step FROM outbound_messages WHERE workflow_id = ${workflowId} AND step LIKE 'survey:%' ORDER BY step`;
    expect(surveys.map((s) => s.step)).toEqual(['survey:0:1', 'survey:0:2']);
    await maybeRecordHistory(stack.temporal, workflowId, 'sms-timeout');
  });

  it("completes a task from the patient's own survey reply", async () => {
    const { workflowId, handle } = await discharge([{ offsetSeconds: 0, channel: 'wechat', maxAttempts: 3, retryAfterSeconds: 3600 }]);
    const task = await waitFor(() => taskOf(workflowId));
    await handle.signal(surveyAnsweredSignal, { taskId: task.id, outcome: 'completed', answers: { pain: 1, wound_exudate: false } });
    const result = await handle.result();
    expect(result.status).toBe('completed');
    const [attempt] = await stack.sql`SELECT by_patient, outcome FROM task_attempts WHERE task_id = ${task.id}`;
    expect(attempt).toEqual({ by_patient: true, outcome: 'completed' });
  });

  it('takes an answer still being recorded when the survey deadline passes, and does not record the silence after it', async () => {
    const { workflowId, handle } = await discharge([{ offsetSeconds: 0, channel: 'sms', maxAttempts: 2, retryAfterSeconds: 2 }]);
    const task = await waitFor(() => taskOf(workflowId));
    // The task's row is locked while the answer is recorded, so the recording outlasts the deadline.
    await stack.sql.begin(async (tx) => {
      await tx`SELECT 1 FROM follow_up_tasks WHERE id = ${task.id} FOR UPDATE`;
      await handle.signal(surveyAnsweredSignal, { taskId: task.id, outcome: 'completed', answers: { pain: 1, wound_exudate: false } });
      await new Promise((r) => setTimeout(r, 4000));
    });
    const result = await handle.result();
    expect(result.status).toBe('completed');
    const attempts = await stack.sql`SELECT outcome FROM task_attempts WHERE task_id = ${task.id} ORDER BY attempt`;
    expect(attempts.map((a) => a.outcome)).toEqual(['completed']);
  });

  it('cancels pending work on readmission of the same patient', async () => {
    const { body, workflowId, handle } = await discharge([phone(0), phone(3600)]);
    await waitFor(() => taskOf(workflowId));
    const { cancelledFollowUps } = await stack.services.discharges.apply({
      kind: 'admit',
      encounter: { encounterId: `RE-${uniq()}`, patient: body.patient as never, departmentCodes: [org.deptA] },
    });
    expect(cancelledFollowUps).toContain(body.encounterId);
    const result: FollowUpState = await handle.result();
    expect(result).toMatchObject({ status: 'cancelled', cancelReason: 'readmission' });
    expect(result.touchpoints.map((t) => t.status)).toEqual(['cancelled', 'cancelled']);
    expect(await taskOf(workflowId)).toMatchObject({ status: 'cancelled' });
    await maybeRecordHistory(stack.temporal, workflowId, 'readmission');
  });

  it("ends a patient's pending follow-up when the HIS reports the patient deceased, and starts none for that discharge", async () => {
    const { body, handle } = await discharge([phone(3600)]);
    await waitFor(async () => (await handle.query(getFollowUpStateQuery)).status === 'scheduled');
    const deathEncounter = `EXP-${uniq()}`;
    await stack.services.discharges.apply({
      kind: 'discharge',
      encounter: {
        encounterId: deathEncounter,
        patient: body.patient as never,
        departmentCodes: [org.deptA],
        dischargedAt: new Date().toISOString(),
        deceased: true,
      },
    });
    const result: FollowUpState = await handle.result();
    expect(result).toMatchObject({ status: 'cancelled', cancelReason: 'death' });
    expect(result.touchpoints.map((t) => t.status)).toEqual(['cancelled']);
    await maybeRecordHistory(stack.temporal, handle.workflowId, 'death-while-sleeping');
    // No workflow was started for the death discharge (the server knows no such ID).
    await expect(stack.temporal.workflow.getHandle(followUpWorkflowId(deathEncounter)).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    const [patient] = await stack.sql`SELECT deceased_at IS NOT NULL AS deceased FROM patients WHERE his_patient_id = ${body.patient.id}`;
    expect(patient).toEqual({ deceased: true });
  });

  it('ends as cancelled in Temporal when the workflow itself is cancelled while it sleeps', async () => {
    const { handle } = await discharge([phone(3600)]);
    await waitFor(async () => (await handle.query(getFollowUpStateQuery)).status === 'scheduled');
    await handle.cancel();
    await expect(handle.result()).rejects.toThrow(WorkflowFailedError);
    expect((await handle.describe()).status.name).toBe('CANCELLED');
  });

  it('keeps a discharge with an unknown department: its task waits unassigned until an admin maps the code', async () => {
    const code = `HIS${uniq()}`;
    const body = dischargeBody(code, { dischargedAt: new Date(Date.now() - 8 * 86_400_000).toISOString() });
    await stack.services.discharges.ingestJson(JSON.stringify(body));
    const workflowId = followUpWorkflowId(body.encounterId);
    // The hospital-wide default rule (day 7) applies; the discharge was 8 days ago, so it is due.
    const task = await waitFor(() => taskOf(workflowId));
    expect(task.assigned_agent_id).toBeNull();
    const [row] = await stack.sql`SELECT department_code, his_department_code FROM encounters WHERE his_encounter_id = ${body.encounterId}`;
    expect(row).toEqual({ department_code: null, his_department_code: code });
    const handle = stack.temporal.workflow.getHandle(workflowId);
    expect((await handle.describe()).typedSearchAttributes.get(DepartmentKey)).toBe(UNASSIGNED_DEPARTMENT);

    const admin = (await stack.services.auth.login({ username: org.users.admin.username, password: 'test-password-123' }, {})).user;
    await stack.services.plans.saveMapping(admin, { hisCode: code, departmentCode: org.deptA, note: '测试映射' }, {});
    expect(await taskOf(workflowId)).toMatchObject({ assigned_agent_id: agentA.id });
    await waitFor(async () => ((await handle.describe()).typedSearchAttributes.get(DepartmentKey) === org.deptA ? true : undefined));
    expect((await handle.query(getFollowUpStateQuery)).departmentCode).toBe(org.deptA);
    await handle.signal('cancelFollowUp', { reason: 'opt_out' });
  });
});
