/**
 * Reaching the patient end to end on the real Temporal server and Postgres: follow-ups and tickets
 * queue messages, the outbox dispatcher sends them through the provider simulators (Twilio,
 * WeChat), and the simulators' signed callbacks come back through the public webhooks.
 */
import { readFileSync } from 'node:fs';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAliyunSms } from '../activities/channels/aliyun-sms.js';
import { twilioSignature } from '../scripts/simulators/providers.js';
import { getFollowUpStateQuery } from '../workflows/follow-up/contracts.js';
import { getTicketStateQuery, ticketStart } from '../workflows/feedback-ticket/contracts.js';
import { startWorkflow } from '../workflows/shared/start.js';
import { PUBLIC_BASE_URL, dischargeWithSurvey, setContactRules, startChannelStack, uniquePhone, type DischargeOptions } from './support/channels.js';
import { waitFor } from './support/follow-up-fixtures.js';
import { createTestOrg, TEST_PASSWORD, type TestOrg } from './support/org.js';
import { uniq, type TestStack } from './support/stack.js';
import type { Simulators } from '../scripts/simulators/providers.js';
import type { Principal } from '../domain/access.js';

let stack: TestStack;
let sims: Simulators;
let org: TestOrg;

beforeAll(async () => {
  ({ stack, sims } = await startChannelStack());
  org = await createTestOrg(stack.sql);
});
afterAll(() => stack?.stop());

/** A daytime discharge into deptA whose SMS survey falls due `afterSeconds` from now. */
const discharge = (o: DischargeOptions = {}) => dischargeWithSurvey(stack, org.deptA, o);

const received = (address: string) => sims.messages.filter((m) => m.address === address && m.direction === 'outbound');
const taskOf = (workflowId: string) =>
  waitFor(async () => (await stack.sql<{ id: string; status: string; channel: string }[]>`SELECT id, status, channel FROM follow_up_tasks WHERE workflow_id = ${workflowId}`)[0]);
const tokenOf = (link: string | undefined) => link!.split('/s/')[1]!;

describe('outbox dispatcher through the simulators', () => {
  it('sends the greeting with the care instructions and the survey link; the patient answering the link completes the task with no agent', async () => {
    await setContactRules(stack.sql, org.deptA, {});
    const { phone, workflowId, handle } = await discharge({ afterSeconds: 2 });
    const greeting = await waitFor(async () => received(phone).find((m) => m.body.includes('伤口保持干燥')), 30_000, 'greeting SMS');
    expect(greeting.body).toContain('王秀英您好');
    expect(greeting.body).toContain('内固定术');
    expect(greeting.body).toContain('李明医生');
    const survey = await waitFor(async () => received(phone).find((m) => m.link), 30_000, 'survey SMS');
    expect(survey.link).toMatch(new RegExp(`^${PUBLIC_BASE_URL}/s/[A-Za-z0-9_-]{32}$`));
    // Twilio's status callback came back signed and was taken: the greeting is delivered.
    await waitFor(async () => (await stack.sql`SELECT 1 FROM outbound_messages WHERE workflow_id = ${workflowId} AND step = 'greeting' AND status = 'delivered'`)[0], 20_000, 'greeting delivered');

    const token = tokenOf(survey.link);
    expect(await stack.services.surveys.view(token)).toMatchObject({ state: 'survey' });
    await expect(stack.services.surveys.submit(token, { 'answers.pain': '9' })).rejects.toMatchObject({ status: 400 });
    expect(await stack.services.surveys.submit(token, { 'answers.pain': '2', 'answers.wound_exudate': 'false', 'answers.comments': '恢复很好' })).toBe('survey');
    const state = await waitFor(async () => ((await handle.query(getFollowUpStateQuery)).status === 'completed' ? handle.query(getFollowUpStateQuery) : undefined), 20_000);
    expect(state.touchpoints[0]).toMatchObject({ status: 'completed' });
    const [attempt] = await stack.sql`SELECT by_patient, by_user FROM task_attempts a JOIN follow_up_tasks t ON t.id = a.task_id WHERE t.workflow_id = ${workflowId}`;
    expect(attempt).toMatchObject({ by_patient: true, by_user: null });
    // Single use: a second visit says so.
    expect(await stack.services.surveys.view(token)).toEqual({ state: 'used' });
  });

  it('holds messages through the quiet hours and sends them when they end', async () => {
    const shanghai = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().slice(11, 19);
    await setContactRules(stack.sql, org.deptA, { quietStart: shanghai(Date.now() - 60_000), quietEnd: shanghai(Date.now() + 8_000) });
    const quietEnds = Date.now() + 8_000;
    const { phone, workflowId } = await discharge({ afterSeconds: 1 });
    await waitFor(async () => (await stack.sql`SELECT 1 FROM outbound_messages WHERE workflow_id = ${workflowId} AND step = 'greeting'`)[0]);
    const greeting = await waitFor(async () => received(phone).find((m) => m.body.includes('伤口保持干燥')), 40_000, 'greeting after the quiet hours');
    expect(Date.parse(greeting.at)).toBeGreaterThanOrEqual(quietEnds - 1000);
    const survey = await waitFor(async () => received(phone).find((m) => m.link), 40_000, 'survey after the quiet hours');
    expect(Date.parse(survey.at)).toBeGreaterThanOrEqual(quietEnds - 1000);
  });

  it('turns a survey link unanswered past the limit into a phone task', async () => {
    await setContactRules(stack.sql, org.deptA, { linkUnansweredSeconds: 3 });
    const { phone, workflowId, handle } = await discharge({ afterSeconds: 1 });
    await waitFor(async () => received(phone).find((m) => m.link), 30_000, 'survey SMS');
    const task = await waitFor(async () => {
      const t = await taskOf(workflowId);
      return t.channel === 'phone' ? t : undefined;
    }, 30_000, 'task moved to phone');
    expect(task.status).toBe('open');
    const state = await handle.query(getFollowUpStateQuery);
    expect(state.history.map((h) => h.detail)).toContain('问卷链接未回复,改为电话随访');
    // Anything else the patient writes is kept for the agent on the task page.
    expect((await sims.replySms(phone, '伤口有点痒,需要换药吗?')).status).toBe(200);
    const agent: Principal = (await stack.services.auth.login({ username: org.users.agentA.username, password: TEST_PASSWORD }, {})).user;
    const detail = await stack.services.tasks.get(agent, task.id, {});
    expect(detail.patientMessages.map((m) => m.body)).toEqual(['伤口有点痒,需要换药吗?']);
  });

  it('falls back to a call when the SMS is reported undelivered', async () => {
    await setContactRules(stack.sql, org.deptA, {});
    const phoneNumber = uniquePhone();
    sims.failing.add(`+86${phoneNumber}`);
    const { workflowId } = await discharge({ afterSeconds: 1, phone: phoneNumber });
    const task = await waitFor(async () => {
      const t = await taskOf(workflowId);
      return t.channel === 'phone' ? t : undefined;
    }, 40_000, 'task moved to phone after undelivered');
    expect(task.status).toBe('open');
    const [delivery] = await stack.sql`
      SELECT d.status, d.error FROM message_deliveries d JOIN outbound_messages m ON m.id = d.message_id
      WHERE m.workflow_id = ${workflowId} AND m.body LIKE 'survey:%'`;
    expect(delivery).toMatchObject({ status: 'failed', error: 'twilio-30003' });
  });

  it('sends a WeChat template message to a patient bound by QR scene', async () => {
    await setContactRules(stack.sql, org.deptA, {});
    const { phone, workflowId, body } = await discharge({ afterSeconds: 6 });
    const [patient] = await stack.sql<{ id: string }[]>`SELECT id FROM patients WHERE his_patient_id = ${body.patient.id}`;
    const scene = `bind-${uniq()}`;
    await stack.sql`INSERT INTO wechat_bind_scenes (scene, patient_id) VALUES (${scene}, ${patient!.id})`;
    const openid = `o${uniq()}${uniq()}`;
    expect((await sims.scanQr(openid, scene)).status).toBe(200);
    const survey = await waitFor(async () => received(openid).find((m) => m.link), 30_000, 'WeChat template message');
    expect(survey.provider).toBe('wechat');
    expect(received(phone).some((m) => m.link)).toBe(false);
    await waitFor(async () => (await stack.sql`SELECT 1 FROM outbound_messages WHERE workflow_id = ${workflowId} AND body LIKE 'survey:%' AND status = 'delivered' AND sent_channel = 'wechat'`)[0], 20_000);
  });
});

describe('webhooks', () => {
  it('opts the patient out on 退订 across encounters and cancels what is pending; the same webhook twice has one effect', async () => {
    await setContactRules(stack.sql, org.deptA, {});
    const patientId = `P-${uniq()}`;
    const phoneNumber = uniquePhone();
    const first = await discharge({ afterSeconds: 3600, phone: phoneNumber, patientId });
    const second = await discharge({ afterSeconds: 3600, phone: phoneNumber, patientId });
    await waitFor(async () => received(first.phone).filter((m) => m.body.includes('伤口')).length >= 2 || undefined, 30_000, 'both greetings');

    const res = await sims.replySms(first.phone, '退订');
    expect(res.status).toBe(200);
    for (const { handle } of [first, second]) {
      await waitFor(async () => ((await handle.query(getFollowUpStateQuery)).status === 'cancelled' ? true : undefined), 20_000, 'follow-up cancelled');
    }
    const [patient] = await stack.sql<{ id: string; out: boolean; opted_out_via: string }[]>`
      SELECT id, opted_out_at IS NOT NULL AS out, opted_out_via FROM patients WHERE his_patient_id = ${patientId}`;
    expect(patient).toMatchObject({ out: true, opted_out_via: 'sms' });
    // Shown on the patient page; staff who speak with patients can opt the patient in again when they ask (an agent
    // only for patients of their own tasks, and this patient has none yet: the admin does it here).
    const agent: Principal = (await stack.services.auth.login({ username: org.users.agentA.username, password: TEST_PASSWORD }, {})).user;
    await expect(stack.services.patientContact.optIn(agent, patient!.id)).rejects.toMatchObject({ status: 403 });
    const admin: Principal = (await stack.services.auth.login({ username: org.users.admin.username, password: TEST_PASSWORD }, {})).user;
    expect((await stack.services.patients.view(admin, patient!.id, {})).contact).toMatchObject({ optedOutVia: 'sms', optedOutAt: expect.any(String) });

    // The provider retries the very same request: stored once, no second effect.
    const [inbound] = await stack.sql<{ provider_message_id: string }[]>`
      SELECT provider_message_id FROM patient_inbound_messages WHERE from_address = ${first.phone}`;
    const sid = inbound!.provider_message_id;
    const params = { MessageSid: sid, From: first.phone, To: '+15005550006', Body: '退订', AccountSid: 'AC00000000000000000000000000000sim' };
    const url = `${PUBLIC_BASE_URL}/api/webhooks/twilio/sms`;
    const again = await stack.app.request('/api/webhooks/twilio/sms', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilioSignature(stack.env.TWILIO_AUTH_TOKEN!, url, params) },
      body: new URLSearchParams(params).toString(),
    });
    expect(again.status).toBe(200);
    const rows = await stack.sql`SELECT handled_as FROM patient_inbound_messages WHERE from_address = ${first.phone}`;
    expect(rows).toEqual([{ handled_as: 'opt_out' }]);
    await stack.services.patientContact.optIn(admin, patient!.id);
    expect((await stack.services.patients.view(admin, patient!.id, {})).contact.optedOutAt).toBeNull();
  });

  it('refuses a forged or unsigned Twilio webhook with 403 and changes nothing', async () => {
    const { phone, body } = await discharge({ afterSeconds: 3600 });
    const params = { MessageSid: `SM${uniq()}`, From: phone, To: '+15005550006', Body: 'STOP' };
    const form = new URLSearchParams(params).toString();
    const headers = { 'content-type': 'application/x-www-form-urlencoded' };
    const forged = twilioSignature('not-the-auth-token', `${PUBLIC_BASE_URL}/api/webhooks/twilio/sms`, params);
    expect((await stack.app.request('/api/webhooks/twilio/sms', { method: 'POST', headers: { ...headers, 'x-twilio-signature': forged }, body: form })).status).toBe(403);
    expect((await stack.app.request('/api/webhooks/twilio/sms', { method: 'POST', headers, body: form })).status).toBe(403);
    expect((await stack.app.request('/api/webhooks/twilio/status', { method: 'POST', headers, body: 'MessageSid=SM1&MessageStatus=failed' })).status).toBe(403);
    const [patient] = await stack.sql`SELECT opted_out_at FROM patients WHERE his_patient_id = ${body.patient.id}`;
    expect(patient).toEqual({ opted_out_at: null });
    expect(await stack.sql`SELECT 1 FROM patient_inbound_messages WHERE provider_message_id = ${params.MessageSid}`).toHaveLength(0);
  });

  it('answers a correctly signed callback about an unknown message with 2xx', async () => {
    const params = { MessageSid: `SM${uniq()}`, MessageStatus: 'delivered', To: '+8613900000000', From: '+15005550006' };
    const url = `${PUBLIC_BASE_URL}/api/webhooks/twilio/status`;
    const res = await stack.app.request('/api/webhooks/twilio/status', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilioSignature(stack.env.TWILIO_AUTH_TOKEN!, url, params) },
      body: new URLSearchParams(params).toString(),
    });
    expect(res.status).toBe(204);
  });
});

describe("Twilio's own request shapes (tests/fixtures/providers/SOURCES.md)", () => {
  const sample = (name: string) =>
    Object.fromEntries(new URLSearchParams(readFileSync(new URL(`./fixtures/providers/twilio/${name}`, import.meta.url), 'utf8')));
  /** Posts a form signed the way Twilio signs it, by the Twilio SDK itself. */
  const postSigned = (path: string, params: Record<string, string>) =>
    stack.app.request(path, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilio.getExpectedTwilioSignature(stack.env.TWILIO_AUTH_TOKEN!, `${PUBLIC_BASE_URL}${path}`, params),
      },
      body: new URLSearchParams(params).toString(),
    });

  it('the simulators sign exactly as the Twilio SDK computes it, over every field Twilio sends', () => {
    const params = sample('inbound-sms.form');
    const url = `${PUBLIC_BASE_URL}/api/webhooks/twilio/sms`;
    expect(twilioSignature('12345', url, params)).toBe(twilio.getExpectedTwilioSignature('12345', url, params));
  });

  it('takes a real inbound SMS from an unknown number: 2xx, recorded once, however often Twilio retries', async () => {
    const params = sample('inbound-sms.form');
    for (let i = 0; i < 2; i++) expect((await postSigned('/api/webhooks/twilio/sms', params)).status).toBeLessThan(300);
    expect(await stack.sql`SELECT handled_as, patient_id FROM patient_inbound_messages WHERE provider_message_id = ${params.MessageSid!}`).toEqual([
      { handled_as: 'unknown_sender', patient_id: null },
    ]);
  });

  it("the same real request from a patient's number, saying TD, opts the patient out", async () => {
    const { phone, body } = await discharge({ afterSeconds: 3600 });
    const params = { ...sample('inbound-sms.form'), From: phone, Body: 'TD', MessageSid: `SM${uniq()}`, SmsSid: 'x', SmsMessageSid: 'x' };
    params.SmsSid = params.SmsMessageSid = params.MessageSid;
    expect((await postSigned('/api/webhooks/twilio/sms', params)).status).toBeLessThan(300);
    const [patient] = await stack.sql<{ out: boolean }[]>`SELECT opted_out_at IS NOT NULL AS out FROM patients WHERE his_patient_id = ${body.patient.id}`;
    expect(patient).toEqual({ out: true });
  });

  it('takes a real status callback about a message it does not know with 2xx and changes nothing', async () => {
    const params = sample('status-sent.form');
    const before = await stack.sql`SELECT count(*)::int AS n FROM message_deliveries`;
    expect((await postSigned('/api/webhooks/twilio/status', params)).status).toBeLessThan(300);
    expect(await stack.sql`SELECT count(*)::int AS n FROM message_deliveries`).toEqual(before);
  });
});

describe('Alibaba Cloud SMS', () => {
  it('sends a template message through the SDK; the pushed reply TD opts out, a wrong push token gets 403', async () => {
    const { body } = await discharge({ afterSeconds: 3600 });
    const aliyun = createAliyunSms({
      accessKeyId: stack.env.ALIYUN_ACCESS_KEY_ID!,
      accessKeySecret: stack.env.ALIYUN_ACCESS_KEY_SECRET!,
      endpoint: stack.env.ALIYUN_SMS_ENDPOINT,
      protocol: stack.env.ALIYUN_SMS_PROTOCOL,
      signName: stack.env.ALIYUN_SMS_SIGN_NAME!,
      templates: stack.env.ALIYUN_SMS_TEMPLATES,
    });
    const phone = `+86${body.patient.phone}`;
    const { providerMessageId } = await aliyun.send({ to: phone, text: '', kind: 'notice', params: { summary: '您的复诊时间为下周一上午' } });
    expect(received(phone).find((m) => m.id === providerMessageId)).toMatchObject({ provider: 'aliyun', body: '【随访中心】您的复诊时间为下周一上午' });
    await expect(aliyun.send({ to: '+15005550006', text: '', kind: 'notice', params: {} })).rejects.toMatchObject({ code: 'aliyun-isv.MOBILE_NUMBER_ILLEGAL' });

    const forged = await stack.app.request('/api/webhooks/aliyun/sms?token=guess', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ phone_number: body.patient.phone, content: 'TD', send_time: '2026-11-30 09:00:00', sequence_id: 1 }]),
    });
    expect(forged.status).toBe(403);
    expect((await sims.replySms(phone, 'TD')).status).toBe(200);
    const [patient] = await stack.sql`SELECT opted_out_via FROM patients WHERE his_patient_id = ${body.patient.id}`;
    expect(patient).toEqual({ opted_out_via: 'sms' });
    expect(await stack.sql`SELECT provider, handled_as FROM patient_inbound_messages WHERE from_address = ${phone}`).toEqual([{ provider: 'aliyun', handled_as: 'opt_out' }]);
  });
});

describe('ticket rating by the patient', () => {
  it('sends the resolution notice with a rating link; a rating of 2 from the patient reopens the ticket', async () => {
    await setContactRules(stack.sql, org.deptA, {});
    const head: Principal = (await stack.services.auth.login({ username: org.users.headA.username, password: TEST_PASSWORD }, {})).user;
    const id = uniq();
    const phone = uniquePhone();
    const [patient] = await stack.sql<{ id: string }[]>`
      INSERT INTO patients (his_patient_id, name, phone, birth_date) VALUES (${`TP-${id}`}, '李桂兰', ${phone}, '1985-02-03') RETURNING id`;
    const [ticket] = await stack.sql<{ id: string; number: string }[]>`
      INSERT INTO tickets (number, source_key, patient_id, category, description, department_code, sla_seconds, escalate_seconds, rating_wait_seconds, sla_due_at)
      VALUES (${`T${id}`}, ${`test:${id}`}, ${patient!.id}, 'environment', '病房空调坏了', ${org.deptA}, 3600, 3600, 3600, now() + interval '1 hour')
      RETURNING id, number`;
    const handle = await startWorkflow(stack.temporal, stack.taskQueue, ticketStart({ ticketId: ticket!.id, number: ticket!.number }, 'direct'));
    await waitFor(async () => (await stack.sql`SELECT 1 FROM ticket_events WHERE ticket_id = ${ticket!.id} AND kind = 'created'`)[0]);
    await stack.services.tickets.act(head, ticket!.id, 'accept', {}, {});
    await stack.services.tickets.act(head, ticket!.id, 'resolve', { resolution: '已更换空调' }, {});
    const notice = await waitFor(async () => received(`+86${phone}`).find((m) => m.link), 30_000, 'rating request SMS');
    expect(notice.body).toContain('已处理');
    const token = tokenOf(notice.link);
    expect(await stack.services.surveys.view(token)).toEqual({ state: 'rating', ticketNumber: ticket!.number });
    expect(await stack.services.surveys.submit(token, { rating: '2', comment: '还是很热' })).toBe('rating');
    const state = await waitFor(async () => {
      const s = await handle.query(getTicketStateQuery);
      return s.reopenCount === 1 ? s : undefined;
    }, 20_000, 'ticket reopened');
    expect(state).toMatchObject({ status: 'open', rating: 2 });
  });
});

describe('staff notifications', () => {
  it("puts an SLA escalation in the department head's notifications with an unread count, and marks it read", async () => {
    const head: Principal = (await stack.services.auth.login({ username: org.users.headA.username, password: TEST_PASSWORD }, {})).user;
    const id = uniq();
    const [patient] = await stack.sql<{ id: string }[]>`
      INSERT INTO patients (his_patient_id, name, phone) VALUES (${`TN-${id}`}, '周建国', ${uniquePhone()}) RETURNING id`;
    const [ticket] = await stack.sql<{ id: string; number: string }[]>`
      INSERT INTO tickets (number, source_key, patient_id, category, description, department_code, sla_seconds, escalate_seconds, rating_wait_seconds, sla_due_at)
      VALUES (${`T${id}`}, ${`test:${id}`}, ${patient!.id}, 'service_attitude', '护士态度不好', ${org.deptA}, 1, 3600, 3600, now() + interval '1 second')
      RETURNING id, number`;
    const before = await stack.services.notifications.unreadCount(head);
    await startWorkflow(stack.temporal, stack.taskQueue, ticketStart({ ticketId: ticket!.id, number: ticket!.number }, 'direct'));
    const escalation = await waitFor(
      async () => (await stack.services.notifications.list(head)).find((n) => n.ticketId === ticket!.id && n.body.includes('超时')),
      20_000,
      'escalation notice for the head',
    );
    expect(escalation).toMatchObject({ kind: 'notice', doneAt: null });
    expect(escalation.body).toContain(`工单 T${id} 已超时未处理`);
    // The new-ticket notice and the escalation are both unread.
    expect(await stack.services.notifications.unreadCount(head)).toBeGreaterThanOrEqual(before + 2);
    // Another department's staff does not see it.
    const staffB: Principal = (await stack.services.auth.login({ username: org.users.staffB.username, password: TEST_PASSWORD }, {})).user;
    expect((await stack.services.notifications.list(staffB)).some((n) => n.ticketId === ticket!.id)).toBe(false);
    await stack.services.notifications.markRead(head, escalation.id);
    expect((await stack.services.notifications.list(head)).find((n) => n.id === escalation.id)?.doneAt).not.toBeNull();
    await expect(stack.services.notifications.markRead(staffB, escalation.id)).rejects.toMatchObject({ status: 404 });
  });
});
