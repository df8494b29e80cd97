/**
 * The patient's side in a real (headless) Chromium on a 390×844 phone: the survey link arrives
 * by SMS through the Twilio simulator, the patient answers, sees the thank-you page, and the
 * agent's portal shows the task completed with the patient's answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveInBrowser, type BrowserStack } from '../support/browser-stack.js';
import { dischargeWithSurvey, setContactRules, startChannelStack } from '../support/channels.js';
import { waitFor } from '../support/follow-up-fixtures.js';
import { createTestOrg, TEST_PASSWORD, type TestOrg } from '../support/org.js';
import type { TestStack } from '../support/stack.js';
import type { Simulators } from '../../scripts/simulators/providers.js';

/** Set to a folder to keep screenshots of the pages (e.g. E2E_SCREENSHOTS=/tmp). */
const SCREENSHOTS = process.env.E2E_SCREENSHOTS;

describe('survey link on a phone', () => {
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

  it('opens the link from the SMS, answers, sees the thank-you page, and the agent sees the task completed', async () => {
    const { phone, workflowId } = await dischargeWithSurvey(stack, org.deptA, { afterSeconds: 1 });
    const sms = await waitFor(async () => sims.messages.find((m) => m.address === phone && m.link), 30_000, 'survey SMS in the simulator');
    const link = new URL(sms.link!);

    const context = await web.browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const phonePage = await context.newPage();
    await phonePage.goto(`${web.base}${link.pathname}`);
    await phonePage.locator('h1', { hasText: '出院随访问卷' }).waitFor();
    // Nothing is wider than the phone.
    expect(await phonePage.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    // Touch targets at least 48 px high.
    const choice = phonePage.locator('.patient-choice span').first();
    expect((await choice.boundingBox())!.height).toBeGreaterThanOrEqual(48);
    if (SCREENSHOTS) await phonePage.screenshot({ path: `${SCREENSHOTS}/survey.png`, fullPage: true });

    // Submitting without the required answers says which question is missing.
    await phonePage.getByRole('button', { name: '提交' }).tap();
    await phonePage.locator('.patient-error').first().waitFor();
    expect(await phonePage.locator('.patient-error').first().textContent()).toContain('此题必须回答');
    if (SCREENSHOTS) await phonePage.screenshot({ path: `${SCREENSHOTS}/survey-errors.png`, fullPage: true });

    await phonePage.locator('fieldset', { hasText: '疼痛程度' }).getByRole('radio', { name: '2', exact: true }).check();
    await phonePage.locator('fieldset', { hasText: '伤口有无渗液' }).getByRole('radio', { name: '否', exact: true }).check();
    await phonePage.getByRole('textbox').fill('恢复得不错,谢谢');
    await phonePage.getByRole('button', { name: '提交' }).tap();
    await phonePage.locator('h1', { hasText: '提交成功' }).waitFor();
    if (SCREENSHOTS) await phonePage.screenshot({ path: `${SCREENSHOTS}/survey-thanks.png`, fullPage: true });

    // The link is single-use.
    await phonePage.goto(`${web.base}${link.pathname}`);
    await phonePage.locator('h1', { hasText: '您已经填写过了' }).waitFor();
    await context.close();

    const task = await waitFor(async () => {
      const [t] = await stack.sql<{ id: string; status: string }[]>`SELECT id, status FROM follow_up_tasks WHERE workflow_id = ${workflowId}`;
      return t?.status === 'completed' ? t : undefined;
    }, 20_000, 'task completed by the patient');

    const agent = await web.newPage();
    await agent.goto(`${web.base}/login`);
    await agent.getByRole('textbox', { name: '用户名' }).fill(org.users.agentA.username);
    await agent.getByLabel('密码').fill(TEST_PASSWORD);
    await agent.getByLabel('密码').press('Enter');
    await agent.waitForURL((url) => url.pathname !== '/login');
    await agent.goto(`${web.base}/tasks/${task.id}`);
    expect(await agent.locator('[data-testid=task-status]').textContent()).toContain('已完成');
    expect(await agent.locator('body').textContent()).toContain('恢复得不错,谢谢');
    if (SCREENSHOTS) await agent.screenshot({ path: `${SCREENSHOTS}/survey-task.png`, fullPage: true });

    // 模拟手机: the developer page shows the patient's SMS and replies as the patient.
    const dev = await web.newPage();
    await dev.goto(`${web.base}/dev/phone`);
    const thread = dev.locator('section.phone', { hasText: phone });
    expect(await thread.textContent()).toContain('王秀英');
    await thread.getByRole('button', { name: '退订', exact: true }).click();
    await waitFor(async () => {
      const [p] = await stack.sql<{ out: boolean }[]>`SELECT opted_out_at IS NOT NULL AS out FROM patients WHERE phone = ${phone.replace('+86', '')}`;
      return p?.out || undefined;
    }, 20_000, 'opted out from the phone page');
    await dev.reload();
    if (SCREENSHOTS) await dev.screenshot({ path: `${SCREENSHOTS}/dev-phone.png`, fullPage: true });

    // The patient page says so.
    const [patientRow] = await stack.sql<{ id: string }[]>`SELECT id FROM patients WHERE phone = ${phone.replace('+86', '')}`;
    await agent.goto(`${web.base}/patients/${patientRow!.id}`);
    expect(await agent.locator('[data-testid=contact-status]').textContent()).toContain('已退订');
    if (SCREENSHOTS) await agent.screenshot({ path: `${SCREENSHOTS}/patient-opted-out.png`, fullPage: true });
  });
});
