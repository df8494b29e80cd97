/**
 * Patient booking end to end on the real Temporal server and Postgres, with the SMS provider
 * simulators and the WeChat Pay v3 simulator: SMS code → hold → pay (the simulator's signed
 * notification; a forged one is refused) → booked, confirmation SMS with queue link and code;
 * an unpaid hold expires and releases the number; blacklisted / full / closed / unpaid /
 * not-yours refusals; cancellation before registration opens refunds and releases; the refund
 * survives WeChat Pay being down (its own workflow, retried, one out_refund_no); WeChat Pay answers
 * refunds PROCESSING: 退款处理中 until its signed REFUND.SUCCESS notification (a forged one refused,
 * a resent one harmless), or, when the notification is lost, the workflow's status query; an
 * ABNORMAL refund raises the department's alert (退款异常,需人工处理). Driven over
 * the public REST routes in-process (`app.request`).
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWechatPayAdapter, encryptResource } from '../activities/payments/wechat-pay.js';
import { channelsFromEnv } from '../activities/channels/settings.js';
import { createOutpatientRoutes } from '../api/outpatient.js';
import { createOutpatientBookingService, type OutpatientBookingService } from '../services/outpatient-booking.js';
import { startWechatPaySimulator, type WechatPaySimulator } from '../scripts/simulators/wechat-pay.js';
import type { Simulators } from '../scripts/simulators/providers.js';
import { startChannelStack } from './support/channels.js';
import { maybeRecordHistory, waitFor } from './support/follow-up-fixtures.js';
import { createTestOrg, TEST_PASSWORD, type TestOrg } from './support/org.js';
import { uniq, type TestStack } from './support/stack.js';

let stack: TestStack;
let sims: Simulators;
let pay: WechatPaySimulator;
let org: TestOrg;
let service: OutpatientBookingService;
let routes: ReturnType<typeof createOutpatientRoutes>;
let shortHold: ReturnType<typeof createOutpatientRoutes>;
const NOTIFY_PATH = '/api/outpatient/payments/wechat/notify';
const sample = (name: string) => readFileSync(new URL(`./fixtures/providers/wechat-pay/${name}`, import.meta.url), 'utf8');

beforeAll(async () => {
  pay = await startWechatPaySimulator({
    deliver: async (url, init) => routes.request(new URL(url).pathname.replace('/api/outpatient', ''), init),
  });
  const payments = createWechatPayAdapter(pay.adapterConfig);
  // The worker refunds through the same adapter (paymentRefundWorkflow).
  // PROCESSING refunds are checked 2 s after the request (then 4, 8 … s) instead of a minute.
  ({ stack, sims } = await startChannelStack({ payments, env: { WECHAT_PAY_REFUND_POLL_SECONDS: 2 } }));
  org = await createTestOrg(stack.sql);
  const deps = {
    sql: stack.sql,
    temporal: stack.temporal,
    taskQueue: stack.taskQueue,
    channels: channelsFromEnv(stack.env),
    payments,
    notifyUrl: `https://suifang.example.test${NOTIFY_PATH}`,
    codeIntervalSeconds: 0,
  };
  service = createOutpatientBookingService({ ...deps, holdSeconds: 120 });
  routes = createOutpatientRoutes(service);
  shortHold = createOutpatientRoutes(createOutpatientBookingService({ ...deps, holdSeconds: 3 }));
});
afterAll(async () => {
  await pay?.stop();
  await stack?.stop();
});

/** A session on the Shanghai date `dayOffset` days ahead, two 60-minute slots; registration opens at 07:00 that day. */
async function createSession(dayOffset: number, quotas = [3, 3]): Promise<{ id: string; date: string }> {
  const [s] = await stack.sql<{ id: string; session_date: string }[]>`
    WITH d AS (SELECT (now() AT TIME ZONE 'Asia/Shanghai')::date + ${dayOffset}::int AS day)
    INSERT INTO clinic_sessions (expert_name, department_code, session_date, registration_opens_at, starts_at, ends_at, slot_minutes, prepay_fen)
    SELECT ${`预约专家-${uniq()}`}, ${org.deptA}, day, (day + time '07:00') AT TIME ZONE 'Asia/Shanghai',
           (day + time '08:00') AT TIME ZONE 'Asia/Shanghai', (day + time '10:00') AT TIME ZONE 'Asia/Shanghai', 60, 2500
    FROM d RETURNING id, session_date::text`;
  for (const [i, quota] of quotas.entries()) {
    await stack.sql`
      INSERT INTO clinic_slots (session_id, slot_index, starts_at, ends_at, appointment_quota)
      SELECT id, ${i}, starts_at + make_interval(hours => ${i}::int), starts_at + make_interval(hours => ${i + 1}::int), ${quota}
      FROM clinic_sessions WHERE id = ${s!.id}`;
  }
  return { id: s!.id, date: s!.session_date };
}

const post = (app: typeof routes, path: string, body: unknown) =>
  app.request(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

let phoneSeq = 0;
function newPatient() {
  const n = `${Date.now()}${phoneSeq++}`.slice(-8);
  // Unique per patient: with only 4 varying digits a later test found an earlier test's patient by the ID number.
  return { name: '赵预约', idNumber: `110101${n}${String(phoneSeq % 1000).padStart(3, '0')}X`, mobile: `139${n}` };
}

/** Requests a code and reads it from the simulated phone. */
async function smsCode(mobile: string): Promise<string> {
  const before = sims.messages.length;
  const res = await post(routes, '/sms-codes', { mobile });
  expect(res.status).toBe(201);
  const msg = await waitFor(async () => sims.messages.slice(before).find((m) => m.address === `+86${mobile}` && m.body.includes('验证码')), 20_000, 'SMS code');
  return /(\d{6})/.exec(msg.body)![1]!;
}

async function book(app: typeof routes, session: { id: string }, patient: ReturnType<typeof newPatient>, slotIndex = 0) {
  const code = await smsCode(patient.mobile);
  return post(app, '/appointments', { sessionId: session.id, slotIndex, ...patient, code });
}

const appointment = (number: string) =>
  stack.sql<{ status: string; prepaid: boolean; refunded_at: Date | null; slot_booked: number }[]>`
    SELECT a.status, a.prepaid, a.refunded_at, sl.booked AS slot_booked FROM appointments a
    JOIN clinic_slots sl ON sl.session_id = a.session_id AND sl.slot_index = a.slot_index WHERE a.number = ${number}`.then((r) => r[0]!);

describe('outpatient booking over the public API', () => {
  it('book → pay in the simulator (signature checked; forged refused) → booked, confirmation with queue link and code', async () => {
    const session = await createSession(2);
    const listed = await routes.request(`/sessions?date=${session.date}`);
    expect(listed.status).toBe(200);
    const mine = ((await listed.json()) as { items: { sessionId: string; open: boolean; slots: { left: number }[] }[] }).items.find((s) => s.sessionId === session.id);
    expect(mine).toMatchObject({ open: true, slots: [{ left: 3 }, { left: 3 }] });
    expect((await routes.request('/sessions?date=tomorrow')).status).toBe(400);

    const patient = newPatient();
    const wrong = await post(routes, '/appointments', { sessionId: session.id, slotIndex: 0, ...patient, code: '000000' });
    expect(wrong.status).toBe(400);
    const res = await book(routes, session, patient);
    expect(res.status).toBe(201);
    const { appointment: held } = (await res.json()) as { appointment: { number: string; shortCode: string; status: string; payUrl: string; outTradeNo: string; amountFen: number } };
    expect(held).toMatchObject({ status: 'pending_payment', amountFen: 2500 });
    expect(held.payUrl).toContain(pay.url);
    expect(await appointment(held.number)).toMatchObject({ status: 'pending_payment', slot_booked: 1 });

    // A forged notification (signed with another key) and a tampered body are refused; nothing changes.
    const order = pay.orders.get(held.outTradeNo)!;
    const forged = pay.notification({ ...order, state: 'SUCCESS', transactionId: 'FORGED' }, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
    expect((await routes.request('/payments/wechat/notify', { method: 'POST', headers: forged.headers, body: forged.body })).status).toBe(401);
    const genuine = pay.notification({ ...order, state: 'SUCCESS', transactionId: 'X' });
    const tampered = genuine.body.replace('"TRANSACTION.SUCCESS"', '"TRANSACTION.SUCCESS" ');
    expect((await routes.request('/payments/wechat/notify', { method: 'POST', headers: genuine.headers, body: tampered })).status).toBe(401);
    const unsigned = await routes.request('/payments/wechat/notify', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: genuine.body });
    expect(unsigned.status).toBe(401);
    expect(await appointment(held.number)).toMatchObject({ status: 'pending_payment', prepaid: false });

    // The patient pays on the simulator's cashier page: its signed notification books the number.
    const payPage = await fetch(held.payUrl);
    expect(await payPage.text()).toContain('¥25.00');
    expect(await pay.pay(held.outTradeNo)).toBe(204);
    await waitFor(async () => (await appointment(held.number)).status === 'booked', 20_000, 'booked after payment');
    expect(await appointment(held.number)).toMatchObject({ prepaid: true, slot_booked: 1 });
    const confirmation = await waitFor(
      async () => sims.messages.find((m) => m.address === `+86${patient.mobile}` && m.body.includes('预约成功')),
      30_000,
      'confirmation SMS',
    );
    expect(confirmation.body).toContain(`/queue/${held.number}?code=${held.shortCode}`);
    expect(confirmation.body).toContain(`查询码 ${held.shortCode}`);
    // A repeated notification (WeChat retries) changes nothing.
    expect(await pay.pay(held.outTradeNo)).toBe(204);
    const [orders] = await stack.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM payment_orders WHERE out_trade_no = ${held.outTradeNo} AND status = 'paid'`;
    expect(orders!.n).toBe(1);

    // Booking the same session twice is refused.
    expect((await (await book(routes, session, patient, 1)).json()) as object).toMatchObject({ error: 'already_booked' });

    // Cancel: not yours (another mobile), then the patient's own → refunded through the adapter, number released.
    const other = newPatient();
    const notYours = await post(routes, `/appointments/${held.number}/cancel`, { mobile: other.mobile, code: await smsCode(other.mobile) });
    expect(notYours.status).toBe(403);
    expect(await notYours.json()).toMatchObject({ error: 'not_yours' });
    const cancelled = await post(routes, `/appointments/${held.number}/cancel`, { mobile: patient.mobile, code: await smsCode(patient.mobile) });
    expect(cancelled.status).toBe(200);
    const answer = ((await cancelled.json()) as { appointment: { status: string; refunded: boolean; refund: { state: string; label: string; outRefundNo: string } } }).appointment;
    expect(answer).toMatchObject({ status: 'cancelled', refunded: true, refund: { outRefundNo: `R${held.outTradeNo}` } });
    expect(['退款处理中', '已退款']).toContain(answer.refund.label);
    expect(await appointment(held.number)).toMatchObject({ status: 'cancelled', slot_booked: 0 });
    await waitFor(async () => (await appointment(held.number)).refunded_at, 30_000, 'refund recorded');
    expect(pay.orders.get(held.outTradeNo)).toMatchObject({ state: 'REFUND', refunds: [{ amountFen: 2500, outRefundNo: `R${held.outTradeNo}` }] });
  });

  it('a payment notification in the shape WeChat Pay really sends (a captured one, re-encrypted for this merchant) books the number', async () => {
    const session = await createSession(2);
    const { appointment: held } = (await (await book(routes, session, newPatient())).json()) as { appointment: { number: string; outTradeNo: string; amountFen: number } };
    // The published sample (tests/fixtures/providers/wechat-pay): envelope and transaction as captured, with the
    // identifiers that must point at this system's order substituted in place, encrypted with this merchant's APIv3 key.
    const envelope = JSON.parse(sample('transaction-success-notification.json')) as { id: string; resource: { ciphertext: string; nonce: string; associated_data: string } };
    const tx = JSON.parse(sample('transaction-success-resource.json')) as { appid: string; mchid: string; out_trade_no: string; transaction_id: string; amount: { total: number; payer_total: number } };
    Object.assign(tx, { appid: pay.adapterConfig.appId, mchid: pay.adapterConfig.mchId, out_trade_no: held.outTradeNo });
    Object.assign(tx.amount, { total: held.amountFen, payer_total: held.amountFen });
    envelope.id = randomUUID();
    envelope.resource.ciphertext = encryptResource(pay.adapterConfig.apiV3Key, JSON.stringify(tx), envelope.resource.associated_data, envelope.resource.nonce);
    const raw = JSON.stringify(envelope);
    const res = await routes.request('/payments/wechat/notify', { method: 'POST', headers: pay.signedHeaders(raw), body: raw });
    expect(res.status).toBe(204);
    await waitFor(async () => (await appointment(held.number)).status === 'booked', 20_000, 'booked by the sample notification');
    const [order] = await stack.sql<{ status: string; transaction_id: string; notification_id: string }[]>`
      SELECT status, transaction_id, notification_id FROM payment_orders WHERE out_trade_no = ${held.outTradeNo}`;
    expect(order).toEqual({ status: 'paid', transaction_id: tx.transaction_id, notification_id: envelope.id });
  });

  it('an unpaid hold expires and releases the number; cancelling an unpaid one is refused', async () => {
    const session = await createSession(2, [1, 1]);
    const patient = newPatient();
    const res = await book(shortHold, session, patient);
    expect(res.status).toBe(201);
    const { appointment: held } = (await res.json()) as { appointment: { number: string; outTradeNo: string } };
    // The only number of slot 0 is held: a second patient finds the slot full.
    const second = await book(routes, session, newPatient());
    expect(second.status).toBe(409);
    expect(await second.json()).toMatchObject({ error: 'full' });
    const unpaid = await post(routes, `/appointments/${held.number}/cancel`, { mobile: patient.mobile, code: await smsCode(patient.mobile) });
    expect(unpaid.status).toBe(409);
    expect(await unpaid.json()).toMatchObject({ error: 'unpaid' });

    await waitFor(async () => (await appointment(held.number)).status === 'cancelled', 30_000, 'hold released');
    expect(await appointment(held.number)).toMatchObject({ slot_booked: 0, prepaid: false });
    expect((await book(routes, session, newPatient())).status).toBe(201);

    // The patient pays after the release: the notification is answered once the refund's workflow exists, and the money goes back.
    expect(await pay.pay(held.outTradeNo)).toBe(204);
    const refund = await stack.temporal.workflow.getHandle(`refund-${held.outTradeNo}`).result();
    expect(refund).toMatchObject({ outcome: 'refunded', outRefundNo: `R${held.outTradeNo}` });
    expect(await appointment(held.number)).toMatchObject({ status: 'cancelled', prepaid: false });
    expect((await appointment(held.number)).refunded_at).not.toBeNull();
    // WeChat Pay repeats the notification: the same refund, not a second one.
    expect(await pay.pay(held.outTradeNo)).toBe(204);
    expect(pay.orders.get(held.outTradeNo)!.refunds).toHaveLength(1);
  });

  it('a refund survives WeChat Pay being down: cancelled at once (退款处理中), refunded exactly once when it is back', async () => {
    const session = await createSession(2);
    const patient = newPatient();
    const { appointment: held } = (await (await book(routes, session, patient)).json()) as { appointment: { number: string; outTradeNo: string } };
    expect(await pay.pay(held.outTradeNo)).toBe(204);
    await waitFor(async () => (await appointment(held.number)).status === 'booked', 20_000, 'booked after payment');

    pay.refundsFailing = true;
    try {
      const cancelled = await post(routes, `/appointments/${held.number}/cancel`, { mobile: patient.mobile, code: await smsCode(patient.mobile) });
      expect(cancelled.status).toBe(200);
      expect(await cancelled.json()).toMatchObject({ appointment: { status: 'cancelled', refund: { state: 'pending', label: '退款处理中', outRefundNo: `R${held.outTradeNo}` } } });
      expect(await appointment(held.number)).toMatchObject({ status: 'cancelled', slot_booked: 0, refunded_at: null });
      // The appointment's workflow started the refund with the cancellation (a child that outlives it).
      const refundRun = await stack.temporal.workflow.getHandle(`refund-${held.outTradeNo}`).describe();
      expect(refundRun.parentExecution?.workflowId).toBe(`appointment-${held.number}`);
      // The refund's workflow keeps asking (the simulator answers 500) …
      await waitFor(async () => pay.refundRequests.filter((r) => r.outTradeNo === held.outTradeNo).length >= 2 || undefined, 30_000, 'refund retried');
      const [pending] = await stack.sql<{ status: string; out_refund_no: string }[]>`SELECT status, out_refund_no FROM payment_orders WHERE out_trade_no = ${held.outTradeNo}`;
      expect(pending).toEqual({ status: 'paid', out_refund_no: `R${held.outTradeNo}` });
      // … and the patient's list says so.
      const listed = await service.mine(await service.verify(patient.mobile, await smsCode(patient.mobile)));
      expect(listed.find((a) => a.number === held.number)).toMatchObject({ status: 'cancelled', refund: 'pending' });
    } finally {
      pay.refundsFailing = false;
    }

    // WeChat Pay is back: the next retry refunds, once.
    await waitFor(async () => (await appointment(held.number)).refunded_at, 60_000, 'refunded after the outage');
    expect(await stack.temporal.workflow.getHandle(`refund-${held.outTradeNo}`).result()).toMatchObject({ outcome: 'refunded', outRefundNo: `R${held.outTradeNo}` });
    const requests = pay.refundRequests.filter((r) => r.outTradeNo === held.outTradeNo);
    expect(new Set(requests.map((r) => r.outRefundNo))).toEqual(new Set([`R${held.outTradeNo}`]));
    expect(requests.filter((r) => r.status === 200)).toHaveLength(1);
    expect(pay.orders.get(held.outTradeNo)!.refunds).toEqual([expect.objectContaining({ outRefundNo: `R${held.outTradeNo}`, amountFen: 2500 })]);
    const [done] = await stack.sql<{ status: string; refund_id: string }[]>`SELECT status, refund_id FROM payment_orders WHERE out_trade_no = ${held.outTradeNo}`;
    expect(done).toEqual({ status: 'refunded', refund_id: pay.orders.get(held.outTradeNo)!.refunds[0]!.refundId });
    await maybeRecordHistory(stack.temporal, `appointment-${held.number}`, 'appointment-paid-cancel-refund');
    await maybeRecordHistory(stack.temporal, `refund-${held.outTradeNo}`, 'payment-refund-after-outage');
  });

  /** A booked and paid appointment, then cancelled by the patient; the cancel answer. */
  async function paidThenCancelled() {
    const session = await createSession(2);
    const patient = newPatient();
    const { appointment: held } = (await (await book(routes, session, patient)).json()) as { appointment: { number: string; outTradeNo: string } };
    expect(await pay.pay(held.outTradeNo)).toBe(204);
    await waitFor(async () => (await appointment(held.number)).status === 'booked', 20_000, 'booked after payment');
    const cancelled = await post(routes, `/appointments/${held.number}/cancel`, { mobile: patient.mobile, code: await smsCode(patient.mobile) });
    expect(cancelled.status, await cancelled.clone().text()).toBe(200);
    const answer = ((await cancelled.json()) as { appointment: { refund: { state: string; label: string } } }).appointment;
    return { held, patient, answer };
  }
  const order = (outTradeNo: string) =>
    stack.sql<{ status: string; refund_status: string | null; refund_notification_id: string | null; refunded_at: Date | null }[]>`
      SELECT status, refund_status, refund_notification_id, refunded_at FROM payment_orders WHERE out_trade_no = ${outTradeNo}`.then((r) => r[0]!);
  const mine = async (mobile: string) => service.mine(await service.verify(mobile, await smsCode(mobile)));

  it('WeChat Pay answers PROCESSING: 退款处理中 until its signed REFUND.SUCCESS notification (forged refused, resent harmless) → 已退款', async () => {
    // Settled after 9 s: the status checks at 2 s and 6 s still see PROCESSING, the next (14 s) comes after the notification.
    pay.refundDelayMs = 9000;
    try {
      const { held, answer } = await paidThenCancelled();
      expect(answer.refund).toMatchObject({ state: 'pending', label: '退款处理中' });
      // The refund was accepted as PROCESSING: still pending, not refunded.
      await waitFor(async () => (await order(held.outTradeNo)).refund_status === 'PROCESSING' || undefined, 20_000, 'refund accepted');
      expect(await order(held.outTradeNo)).toMatchObject({ status: 'paid', refunded_at: null });
      expect((await appointment(held.number)).refunded_at).toBeNull();

      // A forged REFUND.SUCCESS (another platform key) is refused and changes nothing.
      const simOrder = pay.orders.get(held.outTradeNo)!;
      const forged = pay.refundNotification(simOrder, { ...simOrder.refunds[0]!, status: 'SUCCESS', successTime: '2026-01-01T10:00:00+08:00' }, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
      expect((await routes.request('/payments/wechat/refund-notify', { method: 'POST', headers: forged.headers, body: forged.body })).status).toBe(401);
      expect(await order(held.outTradeNo)).toMatchObject({ status: 'paid', refund_status: 'PROCESSING', refund_notification_id: null });

      // The simulator's genuine notification settles it: 已退款 at WeChat Pay's success_time.
      await waitFor(async () => (await order(held.outTradeNo)).status === 'refunded' || undefined, 30_000, 'refunded by the notification');
      const refund = simOrder.refunds[0]!;
      expect(refund.notifyStatus).toBe(204);
      const done = await order(held.outTradeNo);
      expect(done).toMatchObject({ refund_status: 'SUCCESS' });
      expect(done.refund_notification_id).not.toBeNull();
      expect(done.refunded_at!.getTime()).toBe(Date.parse(refund.successTime!));
      expect((await appointment(held.number)).refunded_at!.getTime()).toBe(Date.parse(refund.successTime!));

      // WeChat Pay sends it again: answered 204, nothing changes.
      const again = pay.refundNotification(simOrder, refund);
      expect((await routes.request('/payments/wechat/refund-notify', { method: 'POST', headers: again.headers, body: again.body })).status).toBe(204);
      expect(await order(held.outTradeNo)).toEqual(done);
      // The workflow ends refunded (its next check reads the settled order).
      expect(await stack.temporal.workflow.getHandle(`refund-${held.outTradeNo}`).result()).toMatchObject({ outcome: 'refunded', providerStatus: 'SUCCESS' });
      await maybeRecordHistory(stack.temporal, `refund-${held.outTradeNo}`, 'payment-refund-processing-then-notified');
    } finally {
      pay.refundDelayMs = 500;
    }
  });

  it('a lost refund notification: the workflow\'s status query still ends 已退款', async () => {
    pay.refundNotificationsLost = true;
    try {
      const { held, patient } = await paidThenCancelled();
      expect((await mine(patient.mobile)).find((a) => a.number === held.number)).toMatchObject({ refund: 'pending' });
      await waitFor(async () => (await order(held.outTradeNo)).status === 'refunded' || undefined, 30_000, 'refunded through the status query');
      expect(pay.refundQueries).toContain(`R${held.outTradeNo}`);
      expect(await order(held.outTradeNo)).toMatchObject({ refund_status: 'SUCCESS', refund_notification_id: null });
      expect(pay.orders.get(held.outTradeNo)!.refunds[0]!.notifyStatus).toBeUndefined();
      expect((await mine(patient.mobile)).find((a) => a.number === held.number)).toMatchObject({ refund: 'refunded' });
      expect(await stack.temporal.workflow.getHandle(`refund-${held.outTradeNo}`).result()).toMatchObject({ outcome: 'refunded' });
    } finally {
      pay.refundNotificationsLost = false;
    }
  });

  it('an ABNORMAL refund stays visible: the patient reads 退款异常, the department gets the alert 退款异常,需人工处理 (once)', async () => {
    pay.refundOutcome = 'ABNORMAL';
    try {
      const { held, patient } = await paidThenCancelled();
      await waitFor(async () => (await order(held.outTradeNo)).refund_status === 'ABNORMAL' || undefined, 30_000, 'refund abnormal');
      expect(await order(held.outTradeNo)).toMatchObject({ status: 'paid', refunded_at: null });
      expect((await mine(patient.mobile)).find((a) => a.number === held.number)).toMatchObject({ refund: 'attention' });
      expect(await stack.temporal.workflow.getHandle(`refund-${held.outTradeNo}`).result()).toMatchObject({ outcome: 'attention', providerStatus: 'ABNORMAL' });
      // Sent again: still one alert.
      const simOrder = pay.orders.get(held.outTradeNo)!;
      const again = pay.refundNotification(simOrder, simOrder.refunds[0]!);
      expect((await routes.request('/payments/wechat/refund-notify', { method: 'POST', headers: again.headers, body: again.body })).status).toBe(204);
      const alerts = await stack.sql<{ department_code: string; details: { message: string; appointmentNumber: string } }[]>`
        SELECT department_code, details FROM alerts WHERE workflow_id = ${`refund-${held.outTradeNo}`} AND kind = 'refund_attention'`;
      expect(alerts).toEqual([{ department_code: org.deptA, details: expect.objectContaining({ message: '退款异常,需人工处理', appointmentNumber: held.number }) }]);
      // The department's head reads it under 通知 and confirms it handled; staff of another department do not see it.
      const head = (await stack.services.auth.login({ username: org.users.headA.username, password: TEST_PASSWORD }, {})).user;
      const item = (await stack.services.notifications.list(head)).find((n) => n.kind === 'refund' && n.body.includes(held.number));
      expect(item).toMatchObject({ doneAt: null, body: `退款异常,需人工处理:${patient.name} · 预约号 ${held.number} · 商户订单号 ${held.outTradeNo}` });
      const staffB = (await stack.services.auth.login({ username: org.users.staffB.username, password: TEST_PASSWORD }, {})).user;
      expect((await stack.services.notifications.list(staffB)).some((n) => n.id === item!.id)).toBe(false);
      await stack.services.notifications.acknowledgeAlert(head, item!.id, {});
      expect((await stack.services.notifications.list(head)).find((n) => n.id === item!.id)?.doneAt).not.toBeNull();
    } finally {
      pay.refundOutcome = 'SUCCESS';
    }
  });

  it('refuses a blacklisted patient with why and until when (walk-in still open), and a closed session', async () => {
    const session = await createSession(2);
    const patient = newPatient();
    const [p] = await stack.sql<{ id: string }[]>`
      INSERT INTO patients (his_patient_id, name, phone, id_number) VALUES (${`BL-${uniq()}`}, ${patient.name}, ${patient.mobile}, ${patient.idNumber}) RETURNING id`;
    await stack.sql`INSERT INTO noshow_ledger (patient_id, blacklisted_until, blacklist_count) VALUES (${p!.id}, now() + interval '30 days', 1)`;
    const res = await book(routes, session, patient);
    expect(res.status).toBe(409);
    const body = (await res.json()) as { error: string; message: string; blacklistedUntil: string; walkInOpen: boolean };
    expect(body).toMatchObject({ error: 'blacklisted', walkInOpen: true });
    expect(body.message).toMatch(/爽约.*暂停预约至.*现场挂号不受影响/);
    expect(Date.parse(body.blacklistedUntil)).toBeGreaterThan(Date.now() + 29 * 86400_000);

    const today = await createSession(0);
    await stack.sql`UPDATE clinic_sessions SET registration_opens_at = now() - interval '1 minute', ends_at = now() + interval '2 hours' WHERE id = ${today.id}`;
    const closed = await book(routes, today, newPatient());
    expect(closed.status).toBe(409);
    expect(await closed.json()).toMatchObject({ error: 'closed' });
  });
});
