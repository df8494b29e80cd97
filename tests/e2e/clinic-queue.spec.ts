/**
 * The live clinic queue in a real (headless) Chromium: a patient opens their queue page (no
 * sign-in) for a checked-in appointment; a department user calls the next patient on the clinic
 * page (button, then the `n` key) in another browser; the patient's page shows the new current
 * number within seconds without a reload.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { Page } from 'playwright-core';
import { serveInBrowser, type BrowserStack } from '../support/browser-stack.js';
import { createTestOrg, TEST_PASSWORD, type TestOrg } from '../support/org.js';
import { startStack, uniq, type TestStack } from '../support/stack.js';

/** Set to a folder to keep screenshots of the pages (e.g. E2E_SCREENSHOTS=/tmp). */
const SCREENSHOTS = process.env.E2E_SCREENSHOTS;

describe('clinic queue in a browser', () => {
  let stack: TestStack;
  let web: BrowserStack;
  let base: string;
  let org: TestOrg;
  let sessionId: string;
  const appointments: { number: string; code: string }[] = [];

  beforeAll(async () => {
    stack = await startStack({ web: true });
    org = await createTestOrg(stack.sql);
    const now = Date.now();
    const at = (seconds: number) => new Date(now + seconds * 1000);
    const [s] = await stack.sql<{ id: string }[]>`
      INSERT INTO clinic_sessions (expert_name, department_code, session_date, registration_opens_at, starts_at, ends_at, slot_minutes, grace_minutes)
      VALUES ('李主任', ${org.deptA}, current_date, ${at(-3600)}, ${at(-1800)}, ${at(1800)}, 60, 0) RETURNING id`;
    sessionId = s!.id;
    await stack.sql`
      INSERT INTO clinic_slots (session_id, slot_index, starts_at, ends_at, appointment_quota) VALUES (${sessionId}, 0, ${at(-1800)}, ${at(1800)}, 5)`;
    for (const ago of [300, 100]) {
      const id = uniq();
      const [p] = await stack.sql<{ id: string }[]>`
        INSERT INTO patients (his_patient_id, name, phone) VALUES (${`CQE-${id}`}, '赵秀兰', '13900139000') RETURNING id`;
      const [a] = await stack.sql<{ number: string; short_code: string }[]>`
        INSERT INTO appointments (number, session_id, slot_index, patient_id, status, prepaid, prepayment_ref, checked_in_at, arrival, workflow_id)
        VALUES (${`AP${id}`}, ${sessionId}, 0, ${p!.id}, 'checked_in', true, 'PAY-1', ${at(-ago)}, 'on_time', ${`appointment-AP${id}`})
        RETURNING number, short_code`;
      appointments.push({ number: a!.number, code: a!.short_code });
    }

    web = await serveInBrowser(stack);
    base = web.base;
  }, 300_000);

  afterAll(async () => {
    await web?.close();
    await stack?.stop();
  });

  async function freshPage(): Promise<Page> {
    return web.newPage();
  }

  async function signedIn(username: string): Promise<Page> {
    const page = await freshPage();
    await page.goto(`${base}/login`);
    await page.getByRole('textbox', { name: '用户名' }).fill(username);
    await page.getByLabel('密码').fill(TEST_PASSWORD);
    await page.getByLabel('密码').press('Enter');
    await page.waitForURL((url) => url.pathname !== '/login');
    return page;
  }

  it('updates the patient page live when the clinic calls the next patient', async () => {
    const [first, second] = [appointments[0]!, appointments[1]!];
    const patient = await freshPage();
    await patient.goto(`${base}/queue/${second.number}?code=${second.code}`);
    const current = patient.getByTestId('current-number');
    expect(await current.textContent()).toBe('尚未开始');
    expect(await patient.getByTestId('my-number').textContent()).toBe(second.number);
    expect(await patient.getByTestId('my-status').textContent()).toMatch(/前面还有 1 人预计 \d{2}:\d{2} 就诊/);
    expect(await patient.content()).not.toContain('赵秀兰');
    // A marker that a reload would wipe.
    await patient.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));

    // A wrong code reads like an unknown number.
    const wrong = await patient.request.get(`${base}/queue/${second.number}?code=ZZZZZZ`);
    const unknown = await patient.request.get(`${base}/queue/AP${uniq()}?code=${second.code}`);
    expect(wrong.status()).toBe(404);
    expect(unknown.status()).toBe(404);

    const staff = await signedIn(org.users.headA.username);
    await staff.goto(`${base}/clinic/${sessionId}`);
    const rows = staff.locator('[data-testid=queue-table] tbody tr');
    expect(await rows.count()).toBe(2);
    expect(await rows.nth(0).getAttribute('data-number')).toBe(first.number);
    await staff.getByRole('button', { name: '叫下一位' }).click();
    await staff.getByTestId('current-number').filter({ hasText: first.number }).waitFor();

    await patient.getByTestId('current-number').filter({ hasText: first.number }).waitFor({ timeout: 5_000 });
    await patient.getByTestId('ahead').filter({ hasText: '0' }).waitFor({ timeout: 5_000 });

    // The keyboard: n calls the next patient (once the page is hydrated).
    await staff.waitForFunction(() => Boolean((window as unknown as { __remixRouter?: unknown }).__remixRouter));
    await staff.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await staff.keyboard.press('n');
    await staff.getByTestId('current-number').filter({ hasText: second.number }).waitFor();
    await patient.getByTestId('current-number').filter({ hasText: second.number }).waitFor({ timeout: 5_000 });
    expect(await patient.getByTestId('my-status').textContent()).toContain('请您到诊室就诊');
    expect(await patient.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);

    // Another department's staff cannot see the clinic page.
    const other = await signedIn(org.users.staffB.username);
    const response = await other.goto(`${base}/clinic/${sessionId}`);
    expect(response?.status()).toBe(403);
  });

  it('a walk-in gets the queue link as a QR code; on a 360 px phone the 14-character number fits and the page says how to check in', async () => {
    const staff = await signedIn(org.users.headA.username);
    await staff.goto(`${base}/clinic/${sessionId}`);
    await staff.getByRole('button', { name: '挂号(现场)' }).click();
    const slip = staff.getByTestId('walk-in');
    await slip.waitFor();
    expect(await staff.getByTestId('queue-qr').locator('svg').count()).toBe(1);
    const link = /(http:\/\/\S+\/queue\/\S+)/.exec((await slip.textContent()) ?? '')?.[1];
    expect(link).toMatch(/\/queue\/[A-Z0-9-]+\?code=[A-Z0-9]+$/);
    if (SCREENSHOTS) await staff.screenshot({ path: `${SCREENSHOTS}/clinic-walk-in.png` });

    // A booked appointment with a 14-character number, not checked in yet, on a phone.
    const id = uniq();
    const number = `AP${'0'.repeat(Math.max(0, 12 - id.length))}${id}`.slice(0, 14);
    const [p] = await stack.sql<{ id: string }[]>`INSERT INTO patients (his_patient_id, name) VALUES (${`CQP-${id}`}, '钱淑芬') RETURNING id`;
    const [a] = await stack.sql<{ short_code: string }[]>`
      INSERT INTO appointments (number, session_id, slot_index, patient_id, status, prepaid, prepayment_ref, workflow_id)
      VALUES (${number}, ${sessionId}, 0, ${p!.id}, 'booked', true, 'PAY-2', ${`appointment-${number}`}) RETURNING short_code`;
    const context = await web.browser.newContext({ locale: 'zh-CN', viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true });
    const phone = await context.newPage();
    await phone.goto(`${base}/queue/${number}?code=${a!.short_code}`);
    expect(number).toHaveLength(14);
    expect(await phone.getByTestId('my-number').textContent()).toBe(number);
    const help = await phone.getByTestId('check-in-help').textContent();
    expect(help).toContain('如何签到');
    expect(help).toContain(a!.short_code);
    // Nothing runs off the screen: no horizontal scrolling, the number's box inside the viewport.
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    const box = await phone.getByTestId('my-number').boundingBox();
    expect(box!.x + box!.width).toBeLessThanOrEqual(360);
    if (SCREENSHOTS) await phone.screenshot({ path: `${SCREENSHOTS}/queue-phone-360.png`, fullPage: true });
    await context.close();
  });
});
