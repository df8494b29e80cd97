/**
 * 微信绑定二维码 in a real (headless) Chromium: the agent opens the patient page, follows
 * "微信绑定二维码(可打印)", sees a printable sheet with the code; the code's content, scanned in the
 * WeChat simulator (which pushes the signed subscribe event), binds the patient, and the patient
 * page then says 已绑定微信. The department head turns SMS reminders off on the notifications page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveInBrowser, signedInPage, type BrowserStack } from '../support/browser-stack.js';
import { setContactRules, startChannelStack } from '../support/channels.js';
import { createShortPlan, waitFor } from '../support/follow-up-fixtures.js';
import { createTestOrg, dischargeBody, TEST_PASSWORD, type TestOrg } from '../support/org.js';
import { uniq, type TestStack } from '../support/stack.js';
import { followUpWorkflowId } from '../../workflows/follow-up/contracts.js';
import type { Simulators } from '../../scripts/simulators/providers.js';

/** Set to a folder to keep screenshots of the pages (e.g. E2E_SCREENSHOTS=/tmp). */
const SCREENSHOTS = process.env.E2E_SCREENSHOTS;

describe('微信绑定二维码 (printable)', () => {
  let stack: TestStack;
  let sims: Simulators;
  let web: BrowserStack;
  let org: TestOrg;

  beforeAll(async () => {
    ({ stack, sims } = await startChannelStack({ web: true }));
    org = await createTestOrg(stack.sql);
    await setContactRules(stack.sql, org.deptA, {});
    web = await serveInBrowser(stack);
  }, 300_000);

  afterAll(async () => {
    await web?.close();
    await stack?.stop();
  });

  it("prints the code from the patient page; scanning it binds the patient's WeChat", async () => {
    const keyword = `术式${uniq()}`;
    await createShortPlan(stack.sql, org.deptA, [{ offsetSeconds: 0, channel: 'phone', maxAttempts: 3, retryAfterSeconds: 3600 }], {
      scenarioKind: 'procedure_keyword',
      scenarioValue: keyword,
    });
    const body = dischargeBody(org.deptA, { dischargedAt: new Date().toISOString(), procedure: `${keyword}切开复位内固定术` });
    await stack.services.discharges.ingestJson(JSON.stringify(body));
    const workflowId = followUpWorkflowId(body.encounterId);
    const task = await waitFor(async () => (await stack.sql<{ patient_id: string }[]>`SELECT patient_id FROM follow_up_tasks WHERE workflow_id = ${workflowId}`)[0], 30_000);

    const page = await signedInPage(web, org.users.agentA.username, TEST_PASSWORD);
    await page.goto(`${web.base}/patients/${task.patient_id}`);
    const link = page.getByTestId('wechat-qr-link');
    await link.waitFor();
    expect(await link.textContent()).toContain('微信绑定二维码');
    const [sheet] = await Promise.all([page.context().waitForEvent('page'), link.click()]);
    await sheet.waitForLoadState();
    await sheet.locator('h1', { hasText: '微信扫码' }).waitFor();
    const qr = sheet.getByRole('img', { name: '微信绑定二维码' });
    const box = (await qr.locator('svg').boundingBox())!;
    expect(box.width).toBeGreaterThan(150);
    expect(await sheet.locator('.print-who').textContent()).toContain(body.patient.name as string);
    expect(await sheet.locator('.print-steps').textContent()).toContain('扫一扫');
    if (SCREENSHOTS) await sheet.screenshot({ path: `${SCREENSHOTS}/wechat-qr.png`, fullPage: true });
    // Printed, the buttons are gone.
    await sheet.emulateMedia({ media: 'print' });
    expect(await sheet.getByRole('button', { name: '打印' }).isVisible()).toBe(false);
    if (SCREENSHOTS) await sheet.screenshot({ path: `${SCREENSHOTS}/wechat-qr-print.png`, fullPage: true });

    const content = await qr.getAttribute('data-qr-content');
    const openid = `o${uniq()}${uniq()}`;
    expect((await sims.scanQrUrl(openid, content!)).status).toBe(200);
    await page.reload();
    expect(await page.getByTestId('contact-status').textContent()).toContain('已绑定微信');
    if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/patient-wechat-bound.png`, fullPage: true });
  });

  it('lets the department head turn SMS reminders off on the notifications page', async () => {
    const page = await signedInPage(web, org.users.headA.username, TEST_PASSWORD);
    await page.goto(`${web.base}/notifications`);
    const sms = page.getByRole('checkbox', { name: /短信提醒/ });
    expect(await sms.isChecked()).toBe(true);
    await sms.uncheck();
    await page.getByRole('button', { name: '保存' }).click();
    await waitFor(async () => (await stack.sql`SELECT 1 FROM users WHERE username = ${org.users.headA.username} AND NOT notify_sms`)[0], 10_000);
    await page.reload();
    expect(await page.getByRole('checkbox', { name: /短信提醒/ }).isChecked()).toBe(false);
    if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/notify-settings.png`, fullPage: true });
  });
});
