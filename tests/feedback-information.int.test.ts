/**
 * Issue 15, on the real Temporal server and Postgres: praise and suggestions recorded in a
 * follow-up reach their department as information (no ticket, no SLA) and are counted in the
 * reports; 常用问题快捷回复 kept by admins (audited) and offered per department; and a ticket that
 * carries what its department needs (red-flag answers, the agent's note, ward/room/bed, the
 * discharging department), in the service and the REST detail.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReportRollupActivities } from '../activities/reports/rollup.js';
import type { Principal } from '../domain/access.js';
import { followUpWorkflowId, getFollowUpStateQuery } from '../workflows/follow-up/contracts.js';
import { createShortPlan, waitFor } from './support/follow-up-fixtures.js';
import { createTestOrg, dischargeBody, signIn, TEST_PASSWORD, type TestOrg } from './support/org.js';
import { startStack, uniq, type TestStack } from './support/stack.js';

let stack: TestStack;
let org: TestOrg;
const users: Record<string, Principal> = {};

beforeAll(async () => {
  stack = await startStack({ worker: true });
  org = await createTestOrg(stack.sql);
  for (const key of ['agentA', 'agentB', 'headA', 'staffB', 'manager', 'admin'] as const) {
    users[key] = (await stack.services.auth.login({ username: org.users[key].username, password: TEST_PASSWORD }, {})).user;
  }
});
afterAll(() => stack.stop());

/** A discharge of deptA (with ward/room/bed) whose first phone task is due at once; returns its task and workflow. */
async function dueTask(extra: Record<string, unknown> = {}) {
  const keyword = `术式${uniq()}`;
  await createShortPlan(stack.sql, org.deptA, [{ offsetSeconds: 0, channel: 'phone', maxAttempts: 3, retryAfterSeconds: 3600 }], {
    scenarioKind: 'procedure_keyword',
    scenarioValue: keyword,
  });
  const body = dischargeBody(org.deptA, { dischargedAt: new Date().toISOString(), procedure: keyword, ...extra });
  await stack.services.discharges.ingestJson(JSON.stringify(body));
  const workflowId = followUpWorkflowId(body.encounterId);
  const [task] = await waitFor(async () => {
    const rows = await stack.sql<{ id: string }[]>`SELECT id FROM follow_up_tasks WHERE workflow_id = ${workflowId}`;
    return rows.length ? rows : undefined;
  });
  return { taskId: task!.id, workflowId };
}

const ticketsOf = (taskId: string) => stack.sql<{ id: string }[]>`SELECT id FROM tickets WHERE source_task_id = ${taskId}`;

describe('praise and suggestions (表扬/建议)', () => {
  it('go to the department as information, with no ticket, and the department acknowledges them (audited)', async () => {
    const { taskId, workflowId } = await dueTask();
    const [route] = await stack.sql<{ department_code: string | null }[]>`SELECT department_code FROM feedback_routes WHERE category = 'medical_quality'`;
    await stack.services.tasks.recordContact(
      users.agentA!,
      taskId,
      {
        outcome: 'completed',
        answers: { pain: 1, wound_exudate: false },
        note: '患者很满意',
        feedback: { kind: 'praise', category: 'medical_quality', description: '感谢李医生手术做得好，护士也很耐心' },
      },
      {},
    );
    const [record] = await waitFor(async () => {
      const rows = await stack.sql<{ id: string; kind: string; department_code: string | null }[]>`
        SELECT id, kind, department_code FROM feedback_records WHERE task_id = ${taskId}`;
      return rows[0]?.department_code ? rows : undefined;
    });
    // Routed as the routing table says for the topic (else the follow-up's own department) — and no ticket.
    expect(record).toMatchObject({ kind: 'praise', department_code: route!.department_code ?? org.deptA });
    expect(await ticketsOf(taskId)).toEqual([]);
    const [notice] = await stack.sql<{ audience: string; body: string; ticket_id: string | null }[]>`
      SELECT audience, body, ticket_id FROM staff_notifications WHERE feedback_id = ${record!.id}`;
    expect(notice).toMatchObject({ audience: 'department', ticket_id: null });
    expect(notice!.body).toContain('患者表扬');
    // The follow-up's log says where it went.
    const state = await stack.temporal.workflow.getHandle(workflowId).query(getFollowUpStateQuery);
    expect(state.history.map((h) => h.event)).toContain('已转表扬(信息)');
  });

  it('a suggestion sent to another department by the agent is that department’s to read; others may not acknowledge it', async () => {
    const { taskId } = await dueTask();
    await stack.services.tasks.recordContact(
      users.agentA!,
      taskId,
      {
        outcome: 'completed',
        answers: { pain: 2, wound_exudate: false },
        feedback: { kind: 'suggestion', category: 'process', description: '建议出院结算可以在病房直接办理', departmentCode: org.deptB, reason: '流程归该科室' },
      },
      {},
    );
    const [record] = await waitFor(async () => {
      const rows = await stack.sql<{ id: string; department_code: string | null }[]>`SELECT id, department_code FROM feedback_records WHERE task_id = ${taskId}`;
      return rows[0]?.department_code ? rows : undefined;
    });
    expect(record!.department_code).toBe(org.deptB);
    expect(await ticketsOf(taskId)).toEqual([]);

    const forB = await stack.services.feedbackInfo.list(users.staffB!);
    expect(forB.find((f) => f.id === record!.id)).toMatchObject({ kindLabel: '建议', categoryLabel: '流程问题', readAt: null, recordedByName: 'agentA' });
    expect((await stack.services.feedbackInfo.list(users.headA!)).some((f) => f.id === record!.id)).toBe(false);
    expect((await stack.services.feedbackInfo.list(users.agentA!)).some((f) => f.id === record!.id)).toBe(true);
    await expect(stack.services.feedbackInfo.markRead(users.headA!, record!.id, {})).rejects.toMatchObject({ status: 403 });

    const read = await stack.services.feedbackInfo.markRead(users.staffB!, record!.id, {});
    expect(read.readAt).not.toBeNull();
    expect(read.readByName).toBe('staffB');
    const [audit] = await stack.sql<{ action: string }[]>`SELECT action FROM audit_log WHERE entity_type = 'feedback' AND entity_id = ${record!.id}`;
    expect(audit?.action).toBe('feedback.read');
    const [notice] = await stack.sql<{ read_at: Date | null }[]>`SELECT read_at FROM staff_notifications WHERE feedback_id = ${record!.id}`;
    expect(notice!.read_at).not.toBeNull();

    // Counted per department in the reports (rollup, then the management report and its tables).
    await createReportRollupActivities({ sql: stack.sql }).refreshReportRollups({});
    const month = new Date().toLocaleDateString('sv-SE', { timeZone: 'Asia/Shanghai' }).slice(0, 7);
    const report = await stack.services.reports.collect(users.manager!, { report: 'assessment', period: { from: month, to: month }, departmentCode: org.deptB });
    expect(report.feedback?.departments).toEqual([{ departmentCode: org.deptB, name: expect.stringContaining('内分泌科'), praise: 0, suggestions: 1 }]);
    const { reportTables } = await import('../domain/reports/tables.js');
    const table = reportTables(report).find((t) => t.title === '表扬与建议');
    expect(table?.rows.at(-1)).toEqual(['合计', 0, 1]);
  });

  it('a complaint still becomes a ticket with the SLA clock', async () => {
    const { taskId } = await dueTask();
    await stack.services.tasks.recordContact(
      users.agentA!,
      taskId,
      { outcome: 'completed', answers: { pain: 1, wound_exudate: false }, feedback: { kind: 'complaint', category: 'service_attitude', description: '夜班护士态度差' } },
      {},
    );
    const [ticket] = await waitFor(async () => {
      const rows = await stack.sql<{ sla_due_at: Date }[]>`SELECT sla_due_at FROM tickets WHERE source_task_id = ${taskId}`;
      return rows.length ? rows : undefined;
    });
    expect(ticket!.sla_due_at.getTime()).toBeGreaterThan(Date.now());
    const [record] = await stack.sql<{ kind: string }[]>`SELECT kind FROM feedback_records WHERE task_id = ${taskId}`;
    expect(record!.kind).toBe('complaint');
  });
});

describe('常用问题快捷回复', () => {
  it('admins keep them (audited); staff get their department’s and the hospital-wide ones, searchable', async () => {
    const tag = uniq();
    await expect(
      stack.services.cannedReplies.save(users.headA!, { topic: 'medication', title: `x${tag}`, body: '内容内容' }, {}),
    ).rejects.toMatchObject({ status: 403 });
    const wide = await stack.services.cannedReplies.save(users.admin!, { topic: 'billing', title: `医保报销${tag}`, body: '带上发票和出院小结到医保办办理' }, {});
    const own = await stack.services.cannedReplies.save(
      users.admin!,
      { departmentCode: org.deptA, topic: 'medication', title: `抗凝药${tag}`, body: '利伐沙班每天固定时间服用，不要自行停药' },
      {},
    );
    expect(own).toMatchObject({ topicLabel: '用药', departmentCode: org.deptA, active: true });
    await expect(
      stack.services.cannedReplies.save(users.admin!, { departmentCode: org.deptA, topic: 'other', title: `抗凝药${tag}`, body: '重复标题' }, {}),
    ).rejects.toMatchObject({ status: 400, details: { problems: [{ field: 'title', message: expect.stringContaining('已有标题') }] } });
    await expect(stack.services.cannedReplies.save(users.admin!, { topic: 'nope', title: 't', body: '' }, {})).rejects.toMatchObject({ status: 400 });

    const forA = (await stack.services.cannedReplies.forWork(users.agentA!, org.deptA)).map((r) => r.id);
    expect(forA).toEqual(expect.arrayContaining([wide.id, own.id]));
    const forB = (await stack.services.cannedReplies.forWork(users.agentB!, org.deptB)).map((r) => r.id);
    expect(forB).toContain(wide.id);
    expect(forB).not.toContain(own.id);
    expect((await stack.services.cannedReplies.forWork(users.agentA!, org.deptA, `停药 ${tag}`)).map((r) => r.id)).toEqual([own.id]);

    // Edited and disabled: no longer offered; both changes audited with before and after.
    await stack.services.cannedReplies.save(users.admin!, { id: own.id, departmentCode: org.deptA, topic: 'medication', title: `抗凝药${tag}`, body: '新版内容：按时服药' }, {});
    await stack.services.cannedReplies.setActive(users.admin!, own.id, false, {});
    expect((await stack.services.cannedReplies.forWork(users.agentA!, org.deptA)).map((r) => r.id)).not.toContain(own.id);
    const audits = await stack.sql<{ action: string; details: { before: unknown } }[]>`
      SELECT action, details FROM audit_log WHERE entity_type = 'canned_reply' AND entity_id = ${String(own.id)} ORDER BY id`;
    expect(audits.map((a) => a.action)).toEqual(['canned_reply.saved', 'canned_reply.saved', 'canned_reply.active_set']);
    expect(audits[1]!.details.before).toMatchObject({ body: '利伐沙班每天固定时间服用，不要自行停药' });

    // The same list over REST, searchable.
    const cookie = await signIn(stack.app, org.users.agentA.username);
    const res = await stack.app.request(`/api/canned-replies?department=${org.deptA}&q=${encodeURIComponent(`医保 ${tag}`)}`, { headers: { cookie } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { items: { id: number }[] }).items.map((r) => r.id)).toEqual([wide.id]);
  });
});

describe('a ticket carries what the department needs to act', () => {
  it('red flag: the answers that raised it and the agent’s note; the stay: ward, room, bed and the discharging department', async () => {
    const { taskId } = await dueTask({ ward: '骨科一病区', room: '305', bed: '2' });
    await stack.services.tasks.recordContact(
      users.agentA!,
      taskId,
      { outcome: 'completed', answers: { pain: 5, wound_exudate: true, comments: '夜里疼得睡不着' }, note: '患者诉伤口红肿渗液，已嘱其明早来院' },
      {},
    );
    const [ticket] = await waitFor(async () => {
      const rows = await stack.sql<{ id: string }[]>`SELECT id FROM tickets WHERE source_task_id = ${taskId} AND category = 'red_flag'`;
      return rows.length ? rows : undefined;
    });
    const detail = await stack.services.tickets.get(users.headA!, ticket!.id, {});
    expect(detail.context).toEqual({
      redFlagAnswers: [
        { questionId: 'pain', question: '疼痛程度(1–5)', answer: '5 分', redFlag: true },
        { questionId: 'wound_exudate', question: '伤口有无渗液?', answer: '是', redFlag: true },
      ],
      agentNote: '患者诉伤口红肿渗液，已嘱其明早来院',
      agentName: 'agentA',
      stay: {
        departmentName: expect.stringContaining('骨科'),
        ward: '骨科一病区',
        room: '305',
        bed: '2',
        attendingDoctor: '李明',
        dischargedAt: expect.any(String),
      },
    });

    // The REST detail carries the same.
    const cookie = await signIn(stack.app, org.users.headA.username);
    const res = await stack.app.request(`/api/tickets/${ticket!.id}`, { headers: { cookie } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { context: typeof detail.context };
    expect(body.context.redFlagAnswers.map((a) => a.answer)).toEqual(['5 分', '是']);
    expect(body.context.stay?.bed).toBe('2');
  });

  it('the HIS ingest keeps the room and bed of PV1-3 (point of care^room^bed) on the stay', async () => {
    const id = uniq();
    const stamp = '20261120103000';
    const hl7 = [
      `MSH|^~\\&|HIS|H|SUIFANG|H|20261120103512||ADT^A03^ADT_A03|M${id}|P|2.5`,
      `EVN|A03|${stamp}`,
      `PID|1||P${id}^^^H^MR||赵德明||19560302|M|||||13812340000`,
      `PV1|1|I|${org.deptA}^508^3||||D1^王^强|||${org.deptA}|||||||||ZY${id}|||||||||||||||||||||||||20261110083000|${stamp}`,
    ].join('\r');
    const result = await stack.services.discharges.ingest('hl7', hl7);
    expect(result).toMatchObject({ status: 'done', outcome: 'accepted' });
    const [stay] = await stack.sql<{ ward: string | null; room: string | null; bed: string | null }[]>`
      SELECT ward, room, bed FROM encounters WHERE his_encounter_id = ${`ZY${id}`}`;
    expect(stay).toEqual({ ward: org.deptA, room: '508', bed: '3' });
  });

  it('a facilities complaint sent to another department shows where the patient lay and who discharged them', async () => {
    const { taskId } = await dueTask({ ward: '骨科二病区', room: '212', bed: '1' });
    await stack.services.tasks.recordContact(
      users.agentA!,
      taskId,
      {
        outcome: 'completed',
        answers: { pain: 1, wound_exudate: false },
        note: '空调问题已反映多次',
        feedback: { category: 'environment', description: '病房空调不制冷', departmentCode: org.deptB, reason: '后勤维修' },
      },
      {},
    );
    const [ticket] = await waitFor(async () => {
      const rows = await stack.sql<{ id: string }[]>`SELECT id FROM tickets WHERE source_task_id = ${taskId} AND category = 'environment'`;
      return rows.length ? rows : undefined;
    });
    const detail = await stack.services.tickets.get(users.staffB!, ticket!.id, {});
    expect(detail.departmentCode).toBe(org.deptB);
    expect(detail.context.redFlagAnswers).toEqual([]);
    expect(detail.context.agentNote).toBe('空调问题已反映多次');
    expect(detail.context.stay).toMatchObject({ departmentName: expect.stringContaining('骨科'), ward: '骨科二病区', room: '212', bed: '1' });
  });
});
