/**
 * Staff notifications reach the staff's phones through the same channel adapters and dispatch path
 * as patient messages (real Temporal and Postgres, provider simulators): an SLA escalation and a
 * red-flag alert arrive on the department head's phone and in the portal list; quiet hours hold an
 * escalation but not a red flag; a head who turned SMS off gets the portal only. And the printable
 * 微信绑定二维码: the code's content, scanned in the WeChat simulator, binds the patient.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../domain/access.js';
import type { Simulators } from '../scripts/simulators/providers.js';
import { ticketStart } from '../workflows/feedback-ticket/contracts.js';
import { followUpWorkflowId } from '../workflows/follow-up/contracts.js';
import { startWorkflow } from '../workflows/shared/start.js';
import { setContactRules, startChannelStack, uniquePhone } from './support/channels.js';
import { createShortPlan, waitFor } from './support/follow-up-fixtures.js';
import { createTestOrg, dischargeBody, TEST_PASSWORD, type TestOrg } from './support/org.js';
import { uniq, type TestStack } from './support/stack.js';

let stack: TestStack;
let sims: Simulators;
let org: TestOrg;
let head: Principal;
let headPhone: string;

beforeAll(async () => {
  ({ stack, sims } = await startChannelStack());
  org = await createTestOrg(stack.sql);
  headPhone = uniquePhone();
  await stack.sql`UPDATE users SET phone = ${headPhone} WHERE username = ${org.users.headA.username}`;
  head = (await stack.services.auth.login({ username: org.users.headA.username, password: TEST_PASSWORD }, {})).user;
});
afterAll(() => stack?.stop());

const onHeadPhone = (text: string) => sims.messages.filter((m) => m.address === `+86${headPhone}` && m.direction === 'outbound' && m.body.includes(text));

/** A ticket of deptA whose 1-second SLA breaks at once: its workflow escalates to the head. */
async function overdueTicket() {
  const id = uniq();
  const [patient] = await stack.sql<{ id: string }[]>`
    INSERT INTO patients (his_patient_id, name, phone) VALUES (${`SP-${id}`}, '钱文静', ${uniquePhone()}) RETURNING id`;
  const [ticket] = await stack.sql<{ id: string; number: string }[]>`
    INSERT INTO tickets (number, source_key, patient_id, category, description, department_code, sla_seconds, escalate_seconds, rating_wait_seconds, sla_due_at)
    VALUES (${`T${id}`}, ${`test:${id}`}, ${patient!.id}, 'service_attitude', '护士态度不好', ${org.deptA}, 1, 3600, 3600, now() + interval '1 second')
    RETURNING id, number`;
  await startWorkflow(stack.temporal, stack.taskQueue, ticketStart({ ticketId: ticket!.id, number: ticket!.number }, 'direct'));
  return ticket!;
}

/** A phone follow-up of deptA whose agent records a red-flag answer: the department's alert. */
async function redFlag() {
  const keyword = `术式${uniq()}`;
  await createShortPlan(stack.sql, org.deptA, [{ offsetSeconds: 0, channel: 'phone', maxAttempts: 3, retryAfterSeconds: 3600 }], {
    scenarioKind: 'procedure_keyword',
    scenarioValue: keyword,
  });
  const body = dischargeBody(org.deptA, { dischargedAt: new Date().toISOString(), procedure: `${keyword}切开复位内固定术` });
  await stack.services.discharges.ingestJson(JSON.stringify(body));
  const workflowId = followUpWorkflowId(body.encounterId);
  const task = await waitFor(async () => (await stack.sql<{ id: string }[]>`SELECT id FROM follow_up_tasks WHERE workflow_id = ${workflowId}`)[0], 30_000, 'phone task');
  const agent = (await stack.services.auth.login({ username: org.users.agentA.username, password: TEST_PASSWORD }, {})).user;
  await stack.services.tasks.recordContact(agent, task.id, { outcome: 'completed', answers: { pain: 5, wound_exudate: true } }, {});
  return { taskId: task.id, patientName: body.patient.name as string };
}

const staffMessagesOf = (where: { notificationTicket?: string; alertTask?: string }) =>
  where.notificationTicket
    ? stack.sql<{ status: string; sent_channel: string | null; urgent: boolean }[]>`
        SELECT s.status, s.sent_channel, s.urgent FROM staff_messages s JOIN staff_notifications n ON n.id = s.notification_id
        JOIN users u ON u.id = s.user_id
        WHERE n.ticket_id = ${where.notificationTicket} AND n.body LIKE '%超时%' AND u.username = ${org.users.headA.username}`
    : stack.sql<{ status: string; sent_channel: string | null; urgent: boolean }[]>`
        SELECT s.status, s.sent_channel, s.urgent FROM staff_messages s JOIN alerts a ON a.id = s.alert_id
        JOIN users u ON u.id = s.user_id
        WHERE a.task_id = ${where.alertTask!} AND u.username = ${org.users.headA.username}`;

describe('staff notifications on the phone', () => {
  it("sends an SLA escalation to the department head's phone by SMS, delivered, and lists it in the portal", async () => {
    await setContactRules(stack.sql, org.deptA, {});
    const ticket = await overdueTicket();
    const sms = await waitFor(async () => onHeadPhone(`工单 ${ticket.number} 已超时未处理`)[0], 30_000, 'escalation SMS on the head phone');
    expect(sms.body).toMatch(/^【随访平台】/);
    const listed = (await stack.services.notifications.list(head)).find((n) => n.ticketId === ticket.id && n.body.includes('超时'));
    expect(listed).toMatchObject({ kind: 'notice', doneAt: null });
    // The provider's signed status callback came back through the webhook: delivered, one delivery.
    const [row] = await waitFor(async () => {
      const rows = await staffMessagesOf({ notificationTicket: ticket.id });
      return rows[0]?.status === 'delivered' ? rows : undefined;
    }, 30_000, 'staff message delivered');
    expect(row).toMatchObject({ sent_channel: 'sms', urgent: false });
    expect(onHeadPhone(`工单 ${ticket.number} 已超时未处理`)).toHaveLength(1);
  });

  it('sends a red-flag alert to the head at once in the quiet hours, while an escalation waits for them to end', async () => {
    const shanghai = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().slice(11, 19);
    const quietEnds = Date.now() + 15_000;
    await setContactRules(stack.sql, org.deptA, { quietStart: shanghai(Date.now() - 60_000), quietEnd: shanghai(quietEnds) });
    const ticket = await overdueTicket();
    const { taskId, patientName } = await redFlag();
    const alertSms = await waitFor(async () => onHeadPhone(`红旗预警:${patientName}`)[0], 30_000, 'red-flag SMS on the head phone');
    expect(Date.parse(alertSms.at)).toBeLessThan(quietEnds);
    expect(alertSms.body).toContain('疼痛程度');
    expect((await stack.services.notifications.list(head)).some((n) => n.kind === 'red_flag' && n.taskId === taskId)).toBe(true);
    expect((await staffMessagesOf({ alertTask: taskId }))[0]).toMatchObject({ urgent: true, sent_channel: 'sms' });

    const escalation = await waitFor(async () => onHeadPhone(`工单 ${ticket.number} 已超时未处理`)[0], 40_000, 'escalation after the quiet hours');
    expect(Date.parse(escalation.at)).toBeGreaterThanOrEqual(quietEnds - 1000);
  });

  it('keeps to the portal for a head who turned SMS off', async () => {
    await setContactRules(stack.sql, org.deptA, {});
    await stack.services.notifications.setPhoneSettings(head, { sms: false, wechat: true }, {});
    expect(await stack.services.notifications.phoneSettings(head)).toEqual({ sms: false, wechat: true, hasPhone: true, wechatBound: false });
    expect(await stack.sql`SELECT details FROM audit_log WHERE action = 'user.notify_settings' AND entity_id = ${head.id}`).toEqual([{ details: { sms: false, wechat: true } }]);
    try {
      const ticket = await overdueTicket();
      await waitFor(async () => (await stack.services.notifications.list(head)).find((n) => n.ticketId === ticket.id && n.body.includes('超时')), 30_000, 'escalation in the portal');
      // The other notices of this ticket went out meanwhile: nothing of it reached the phone.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      expect(onHeadPhone(ticket.number)).toHaveLength(0);
      expect(await staffMessagesOf({ notificationTicket: ticket.id })).toHaveLength(0);
    } finally {
      await stack.services.notifications.setPhoneSettings(head, { sms: true, wechat: true }, {});
    }
  });
});

describe('微信绑定二维码', () => {
  it("prints a parametrised code whose scan (subscribe event, signed by the simulator) binds the scanner's WeChat to the patient", async () => {
    const agent = (await stack.services.auth.login({ username: org.users.agentA.username, password: TEST_PASSWORD }, {})).user;
    const { taskId } = await redFlag(); // any discharge of deptA with a task the agent is responsible for
    const [patient] = await stack.sql<{ id: string }[]>`SELECT patient_id AS id FROM follow_up_tasks WHERE id = ${taskId}`;
    const qr = await stack.services.wechatBinding.bindingQr(agent, patient!.id, {});
    expect(qr.qrContent).toMatch(/^http:\/\/weixin\.qq\.com\/q\//);
    expect(qr.qrSvg).toMatch(/^<svg/);
    expect(qr.bound).toBe(false);
    // Printing again shows the same code.
    expect((await stack.services.wechatBinding.bindingQr(agent, patient!.id, {})).qrContent).toBe(qr.qrContent);
    expect(await stack.sql`SELECT action FROM audit_log WHERE action = 'patient.wechat_qr' AND entity_id = ${patient!.id}`).toHaveLength(1);
    // Staff of another department cannot print it.
    const staffB = (await stack.services.auth.login({ username: org.users.staffB.username, password: TEST_PASSWORD }, {})).user;
    await expect(stack.services.wechatBinding.bindingQr(staffB, patient!.id, {})).rejects.toMatchObject({ status: 403 });

    const openid = `o${uniq()}${uniq()}`;
    expect((await sims.scanQrUrl(openid, qr.qrContent)).status).toBe(200);
    const [bound] = await stack.sql`SELECT wechat_openid FROM patients WHERE id = ${patient!.id}`;
    expect(bound).toEqual({ wechat_openid: openid });
    expect((await stack.services.wechatBinding.bindingQr(agent, patient!.id, {})).bound).toBe(true);
  });
});
