/**
 * A patient books on a 390×844 phone (no sign-in): department → expert → slot → name, ID number,
 * mobile and the SMS code read from the simulated phone → pays on the WeChat Pay simulator's
 * cashier page (its signed notification books the number) → the confirmation with the queue
 * link → after check-in, the queue page shows their position, and the clinic's call reaches them.
 * Inside WeChat (MicroMessenger) a patient bound to the Official Account books without an SMS code;
 * 我的预约 needs one code to view and cancel.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWechatPayAdapter } from '../../activities/payments/wechat-pay.js';
import { startWechatPaySimulator, type WechatPaySimulator } from '../../scripts/simulators/wechat-pay.js';
import type { Simulators } from '../../scripts/simulators/providers.js';
import { serveInBrowser, signedInPage, type BrowserStack } from '../support/browser-stack.js';
import { PUBLIC_BASE_URL, startChannelStack } from '../support/channels.js';
import { waitFor } from '../support/follow-up-fixtures.js';
import { createTestOrg, TEST_PASSWORD, type TestOrg } from '../support/org.js';
import { uniq, type TestStack } from '../support/stack.js';
import { appointmentWorkflowId, getAppointmentStateQuery } from '../../workflows/appointment/contracts.js';

const SCREENSHOTS = process.env.E2E_SCREENSHOTS;

describe('patient booking on a phone', () => {
  let stack: TestStack;
  let sims: Simulators;
  let pay: WechatPaySimulator;
  let web: BrowserStack;
  let org: TestOrg;
  let sessionId: string;
  let date: string;
  const expert = `手机专家${uniq().slice(0, 4)}`;

  beforeAll(async () => {
    ({ stack, sims } = await startChannelStack({
      web: true,
      outpatient: async (channels, deliver) => {
        pay = await startWechatPaySimulator({ deliver });
        return { payments: createWechatPayAdapter(pay.adapterConfig), channels, codeIntervalSeconds: 0 };
      },
    }));
    org = await createTestOrg(stack.sql);
    // Today: booking still open (registration opens in an hour), so the patient can also check in and be called.
    const [s] = await stack.sql<{ id: string; session_date: string }[]>`
      INSERT INTO clinic_sessions (expert_name, department_code, session_date, registration_opens_at, starts_at, ends_at, slot_minutes, grace_minutes, prepay_fen)
      VALUES (${expert}, ${org.deptA}, (now() AT TIME ZONE 'Asia/Shanghai')::date, now() + interval '1 hour', now() + interval '2 hours', now() + interval '4 hours', 60, 0, 3000)
      RETURNING id, session_date::text`;
    sessionId = s!.id;
    date = s!.session_date;
    for (const i of [0, 1]) {
      await stack.sql`
        INSERT INTO clinic_slots (session_id, slot_index, starts_at, ends_at, appointment_quota)
        SELECT id, ${i}, starts_at + make_interval(hours => ${i}::int), starts_at + make_interval(hours => ${i + 1}::int), 4 FROM clinic_sessions WHERE id = ${sessionId}`;
    }
    web = await serveInBrowser(stack);
  });
  afterAll(async () => {
    await web?.close();
    await pay?.stop();
    await stack?.stop();
  });

  it('books, pays in the simulator, sees the queue page with the position, and is called', async () => {
    const context = await web.browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    context.setDefaultTimeout(20_000);
    const page = await context.newPage();
    // The simulator's cashier sends the phone back to PUBLIC_BASE_URL: here, the served test app.
    await page.route(`${PUBLIC_BASE_URL}/**`, (route) => {
      const u = new URL(route.request().url());
      return route.fulfill({ status: 302, headers: { location: `${web.base}${u.pathname}${u.search}` } });
    });

    await page.goto(`${web.base}/book?date=${date}`);
    await page.getByTestId('departments').locator(`a[href*="dept=${encodeURIComponent(org.deptA)}"]`).click();
    await page.getByTestId('experts').getByRole('link', { name: new RegExp(expert) }).click();
    const slots = page.getByTestId('slots').getByRole('link');
    await expect(slots.first().textContent()).resolves.toMatch(/余 4 个号/);
    if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/book-slots.png`, fullPage: true });
    await slots.first().click();

    const mobile = `137${String(Date.now()).slice(-8)}`;
    await page.getByLabel('姓名').fill('孙手机');
    await page.getByLabel('身份证号').fill(`11010519850203${String(Date.now()).slice(-3)}X`);
    await page.getByLabel('手机号').fill(mobile);
    await page.getByRole('button', { name: '获取验证码' }).click();
    await page.getByText(`验证码已发送到 ${mobile}`).waitFor();
    const sms = await waitFor(async () => sims.messages.find((m) => m.address === `+86${mobile}` && m.body.includes('验证码')), 20_000, 'SMS code');
    await page.getByLabel('短信验证码').fill(/(\d{6})/.exec(sms.body)![1]!);
    if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/book-form.png`, fullPage: true });
    await page.getByRole('button', { name: '提交并支付' }).click();

    // The WeChat Pay simulator's cashier page.
    await page.waitForURL((u) => u.href.startsWith(pay.url));
    await page.getByText('¥30.00').waitFor();
    await page.getByRole('button', { name: '确认支付' }).click();
    await page.waitForURL((u) => u.pathname.startsWith('/book/done/'));
    await expect(page.getByTestId('booking-result').textContent()).resolves.toBe('预约成功');
    if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/book-done.png`, fullPage: true });
    const number = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    const [a] = await stack.sql<{ id: string; status: string; prepaid: boolean }[]>`SELECT id, status, prepaid FROM appointments WHERE number = ${number}`;
    expect(a).toMatchObject({ status: 'booked', prepaid: true });

    // At the hospital: checked in (registration desk), the queue page shows the position, the clinic calls.
    await stack.services.appointments.checkIn(a!.id);
    await page.getByTestId('queue-link').click();
    await page.waitForURL((u) => u.pathname.startsWith('/queue/'));
    await page.getByTestId('ahead').waitFor();
    await expect(page.getByTestId('ahead').textContent()).resolves.toBe('0');
    if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/book-queue.png`, fullPage: true });
    const widths = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    expect(widths[0]).toBeLessThanOrEqual(widths[1]!);

    const clinic = await signedInPage(web, org.users.headA.username, TEST_PASSWORD);
    await clinic.goto(`${web.base}/clinic/${sessionId}`);
    await clinic.getByRole('button', { name: '叫下一位' }).click();
    await clinic.getByText(`已叫号 ${number}`).waitFor();
    await page.getByTestId('current-number').getByText(number).waitFor({ timeout: 15_000 });
    await page.getByText('请您到诊室就诊').waitFor();
    if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/book-called.png`, fullPage: true });
    // The booking's SMS code verified the patient for a while: 我的预约 lists without another code.
    await page.goto(`${web.base}/book/mine`);
    await page.getByTestId('my-appointments').locator('li', { hasText: number }).waitFor();
    await context.close();
  });

  const codes = (mobile: string) => sims.messages.filter((m) => m.address === `+86${mobile}` && m.body.includes('验证码'));
  const nextCode = async (mobile: string, seen: number) =>
    /(\d{6})/.exec((await waitFor(async () => codes(mobile)[seen], 20_000, 'SMS code')).body)![1]!;

  it('我的预约: one SMS code, then the patient lists their appointments and cancels one (refunded) without another', async () => {
    const booking = stack.services.outpatientBooking!;
    const mobile = `136${String(Date.now()).slice(-8)}`;
    await booking.sendCode(mobile);
    const held = await booking.book({ sessionId, slotIndex: 1, name: '周取消', idNumber: `11010519800101${String(Date.now()).slice(-3)}X`, mobile, code: await nextCode(mobile, 0) });
    expect(await pay.pay(held.outTradeNo)).toBe(204);

    const context = await web.browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    context.setDefaultTimeout(20_000);
    const page = await context.newPage();
    await page.goto(`${web.base}/book`);
    await page.getByRole('link', { name: '我的预约' }).click();
    await page.waitForURL((u) => u.pathname === '/book/mine');
    await page.getByLabel('手机号').fill(mobile);
    await page.getByRole('button', { name: '获取验证码' }).click();
    await page.getByText(`验证码已发送到 ${mobile}`).waitFor();
    await page.getByLabel('短信验证码').fill(await nextCode(mobile, 1));
    await page.getByRole('button', { name: '查看我的预约' }).click();
    const card = page.getByTestId('my-appointments').locator('li', { hasText: held.number });
    await card.getByText('已预约').waitFor();
    await expect(card.textContent()).resolves.toContain(expert);
    if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/book-mine.png`, fullPage: true });
    const widths = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    expect(widths[0]).toBeLessThanOrEqual(widths[1]!);

    await card.getByRole('button', { name: '取消预约' }).click();
    await expect(page.getByTestId('cancel-target').textContent()).resolves.toContain(held.number);
    await expect(page.getByLabel('短信验证码').count()).resolves.toBe(0);
    if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/book-mine-cancel.png`, fullPage: true });
    // WeChat Pay accepts the refund as PROCESSING and reports SUCCESS seconds later (its refund result notification).
    pay.refundDelayMs = 4000;
    await page.getByRole('button', { name: '确认取消' }).click();
    await expect(page.getByTestId('cancelled').textContent()).resolves.toContain(`${held.number} 已取消,预缴费将原路退回（退款处理中）`);
    if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/book-mine-cancelled-pending.png`, fullPage: true });
    pay.refundDelayMs = 500;
    // One code to book (the API), one to open 我的预约: none for the cancel.
    expect(codes(mobile)).toHaveLength(2);
    // The refund runs in its own workflow after the cancellation: refunded shortly after.
    const a = await waitFor(
      async () => (await stack.sql<{ status: string; refunded_at: Date | null }[]>`SELECT status, refunded_at FROM appointments WHERE number = ${held.number}`).find((r) => r.refunded_at),
      30_000,
      'refund recorded',
    );
    expect(a.status).toBe('cancelled');
    expect(pay.orders.get(held.outTradeNo)!.state).toBe('REFUND');
    // Listed again (still verified: no code), the cancelled booking says where its refund stands.
    await page.goto(`${web.base}/book/mine`);
    const after = page.getByTestId('my-appointments').locator('li', { hasText: held.number });
    await after.getByText('已取消').waitFor();
    await expect(after.getByTestId('refund-state').textContent()).resolves.toBe('预缴费:已退款');
    if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/book-mine-refunded.png`, fullPage: true });
    await context.close();
  });

  it('inside WeChat, a patient bound to the Official Account books, pays, sees and cancels without an SMS code', async () => {
    const openid = `oE2E${uniq()}${uniq()}`;
    const mobile = `133${String(Date.now()).slice(-8)}`;
    const idNumber = `11010519791111${String(Date.now()).slice(-3)}X`;
    await stack.sql`
      INSERT INTO patients (his_patient_id, name, phone, id_number, wechat_openid, wechat_bound_at)
      VALUES (${`WX-${uniq()}`}, '郑微信', ${mobile}, ${idNumber}, ${openid}, now())`;
    const context = await web.browser.newContext({
      locale: 'zh-CN',
      timezoneId: 'Asia/Shanghai',
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
      userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36 MicroMessenger/8.0.47.2560(0x28002F3B) WeChat/arm64 NetType/WIFI Language/zh_CN',
    });
    context.setDefaultTimeout(20_000);
    // The phone's WeChat account, as the simulator's authorize page sees it.
    await context.addCookies([{ name: 'sim_wechat_openid', value: openid, url: sims.url }]);
    const page = await context.newPage();
    const visited: string[] = [];
    page.on('request', (r) => {
      if (r.isNavigationRequest()) visited.push(r.url());
    });

    // /book → WeChat's authorize page (the simulator) → back to PUBLIC_BASE_URL/book/wechat, which
    // is this test app served elsewhere: the phone's last hop is repeated against the served app
    // (Playwright does not route the hops of a redirect chain).
    const toPublic = page.waitForEvent('requestfailed', (r) => r.url().startsWith(PUBLIC_BASE_URL));
    await page.goto(`${web.base}/book?date=${date}`).catch(() => undefined);
    const callback = new URL((await toPublic).url());
    expect(callback.pathname).toBe('/book/wechat');
    await page.waitForURL((u) => u.protocol === 'chrome-error:', { waitUntil: 'load' }).catch(() => undefined);
    await page.goto(`${web.base}${callback.pathname}${callback.search}`);
    await page.route(`${PUBLIC_BASE_URL}/**`, (route) => {
      const u = new URL(route.request().url());
      return route.fulfill({ status: 302, headers: { location: `${web.base}${u.pathname}${u.search}` } });
    });
    await page.getByTestId('departments').waitFor();
    expect(visited.some((u) => u.startsWith(`${sims.url}/wechat-open/connect/oauth2/authorize?`))).toBe(true);
    expect(new URL(page.url()).searchParams.has('code')).toBe(false);
    await page.getByTestId('departments').locator(`a[href*="dept=${encodeURIComponent(org.deptA)}"]`).click();
    await page.getByTestId('experts').getByRole('link', { name: new RegExp(expert) }).click();
    await page.getByTestId('slots').getByRole('link').first().click();
    const identity = page.getByTestId('verified-identity');
    await identity.waitFor();
    const shown = (await identity.textContent())!;
    expect(shown).toContain('郑**');
    expect(shown).toContain(`${mobile.slice(0, 3)}****${mobile.slice(-4)}`);
    expect(shown).toContain(`110***********${idNumber.slice(-4)}`);
    expect(shown).not.toContain(mobile);
    await expect(page.getByLabel('短信验证码').count()).resolves.toBe(0);
    if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/book-wechat-form.png`, fullPage: true });
    const widths = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    expect(widths[0]).toBeLessThanOrEqual(widths[1]!);
    await page.getByRole('button', { name: '提交并支付' }).click();

    await page.waitForURL((u) => u.href.startsWith(pay.url));
    await page.getByRole('button', { name: '确认支付' }).click();
    await page.waitForURL((u) => u.pathname.startsWith('/book/done/'));
    await expect(page.getByTestId('booking-result').textContent()).resolves.toBe('预约成功');
    const number = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    // Booked in the appointment's workflow too (its row says so a moment earlier): the cancel below is then accepted.
    await waitFor(async () => (await stack.temporal.workflow.getHandle(appointmentWorkflowId(number)).query(getAppointmentStateQuery)).status === 'booked', 20_000, 'booked');

    await page.goto(`${web.base}/book/mine`);
    await expect(page.getByTestId('verified-as').textContent()).resolves.toContain('已通过微信验证');
    const card = page.getByTestId('my-appointments').locator('li', { hasText: number });
    await card.getByText('已预约').waitFor();
    if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/book-wechat-mine.png`, fullPage: true });
    await card.getByRole('button', { name: '取消预约' }).click();
    await page.getByRole('button', { name: '确认取消' }).click();
    await expect(page.getByTestId('cancelled').textContent()).resolves.toContain(`${number} 已取消`);
    expect(codes(mobile)).toHaveLength(0);
    const [a] = await stack.sql<{ status: string; patient_id: string; phone: string }[]>`
      SELECT a.status, a.patient_id, p.phone FROM appointments a JOIN patients p ON p.id = a.patient_id WHERE a.number = ${number}`;
    expect(a).toMatchObject({ status: 'cancelled', phone: mobile });
    await context.close();
  });

  it('挂号窗口: department staff book for a patient at the window (no SMS code) and check them in by ID card', async () => {
    const desk = await signedInPage(web, org.users.headA.username, TEST_PASSWORD);
    await desk.goto(`${web.base}/department`);
    await desk.getByRole('link', { name: '挂号窗口' }).click();
    await desk.goto(`${web.base}/desk?date=${date}&session=${sessionId}`);
    const idNumber = `11010519700101${String(Date.now()).slice(-3)}X`;
    await desk.getByLabel('时段').selectOption('1');
    await desk.getByLabel('姓名').fill('吴窗口');
    await desk.getByLabel('身份证号', { exact: true }).fill(idNumber);
    await desk.getByLabel('手机号').fill(`135${String(Date.now()).slice(-8)}`);
    await desk.getByRole('button', { name: '预约并生成缴费链接' }).click();
    const booked = desk.getByTestId('desk-booked');
    await booked.waitFor();
    const number = /(AP[0-9A-F]{12})/.exec((await booked.textContent())!)![1]!;
    if (SCREENSHOTS) await desk.screenshot({ path: `${SCREENSHOTS}/desk-booked.png`, fullPage: true });

    // Unpaid: the window cannot check in yet; once paid, the ID card finds the booking.
    await desk.getByLabel('预约号或身份证号').fill(idNumber);
    await desk.getByRole('button', { name: '签到', exact: true }).click();
    await expect(desk.getByTestId('desk-error').textContent()).resolves.toContain('尚未支付');
    const [order] = await stack.sql<{ out_trade_no: string }[]>`
      SELECT o.out_trade_no FROM payment_orders o JOIN appointments a ON a.id = o.appointment_id WHERE a.number = ${number}`;
    expect(await pay.pay(order!.out_trade_no)).toBe(204);
    await desk.getByLabel('预约号或身份证号').fill(idNumber);
    await desk.getByRole('button', { name: '签到', exact: true }).click();
    await expect(desk.getByTestId('desk-checked-in').textContent()).resolves.toMatch(new RegExp(`${number} 已签到,当前第 \\d+ 位`));
    if (SCREENSHOTS) await desk.screenshot({ path: `${SCREENSHOTS}/desk-checked-in.png`, fullPage: true });
    const [a] = await stack.sql<{ status: string }[]>`SELECT status FROM appointments WHERE number = ${number}`;
    expect(a!.status).toBe('checked_in');
  });
});
