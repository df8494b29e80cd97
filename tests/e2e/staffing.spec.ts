/**
 * /admin/staffing (人员测算) in headless Chromium: the admin sees what the what-if starts from
 * (the hospital's own figures or the defaults, each with its source), asks for staffing levels
 * and gets one row per level with coverage, backlog and overtime; a bad level list names the
 * problem. Agents are refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveInBrowser, signedInPage, type BrowserStack } from '../support/browser-stack.js';
import { createTestOrg, TEST_PASSWORD, type TestOrg } from '../support/org.js';
import { startStack, type TestStack } from '../support/stack.js';

/** Set to a folder to keep screenshots of the pages (e.g. E2E_SCREENSHOTS=/tmp). */
const SCREENSHOTS = process.env.E2E_SCREENSHOTS;

describe('admin staffing what-if in a browser', () => {
  let stack: TestStack;
  let web: BrowserStack;
  let org: TestOrg;

  beforeAll(async () => {
    stack = await startStack({ web: true });
    org = await createTestOrg(stack.sql);
    web = await serveInBrowser(stack);
  }, 300_000);
  afterAll(async () => {
    await web?.close();
    await stack?.stop();
  });

  it('shows one row per staffing level; more agents never lower coverage or raise the backlog', async () => {
    const page = await signedInPage(web, org.users.admin.username, TEST_PASSWORD);
    await page.goto(`${web.base}/admin/staffing?levels=1,3,8&hoursPerDay=8&callsPerHour=10&days=30`);
    await expect(page.getByRole('heading', { name: '人员测算' }).isVisible()).resolves.toBe(true);
    await expect(page.getByText('日均出院').isVisible()).resolves.toBe(true);
    const rows = page.locator('table.grid').last().locator('tbody tr');
    expect(await rows.count()).toBe(3);
    const cells = async (i: number) => (await rows.nth(i).locator('td').allInnerTexts()).map((t) => t.trim());
    const [one, three, eight] = [await cells(0), await cells(1), await cells(2)];
    expect([one[0], three[0], eight[0]]).toEqual(['1', '3', '8']);
    const coverage = (r: string[]) => Number(r[1]!.replace(' %', ''));
    expect(coverage(one)).toBeLessThanOrEqual(coverage(three));
    expect(coverage(three)).toBeLessThanOrEqual(coverage(eight));
    expect(Number(one[5])).toBeGreaterThanOrEqual(Number(eight[5]));
    if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/admin-staffing.png`, fullPage: true });
  });

  it('a bad list of levels names the problem and still shows the default levels', async () => {
    const page = await signedInPage(web, org.users.admin.username, TEST_PASSWORD);
    await page.goto(`${web.base}/admin/staffing?levels=abc`);
    await expect(page.locator('.form-error').innerText()).resolves.toContain('请填写 1–8 个人数');
    expect(await page.locator('table.grid').last().locator('tbody tr').count()).toBeGreaterThan(0);
  });

  it('works on a 360 px phone', async () => {
    const page = await signedInPage(web, org.users.admin.username, TEST_PASSWORD);
    await page.setViewportSize({ width: 360, height: 780 });
    await page.goto(`${web.base}/admin/staffing?levels=2,5`);
    expect(await page.locator('table.grid').last().locator('tbody tr').count()).toBe(2);
    if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/admin-staffing-360.png`, fullPage: true });
  });

  it('refuses an agent', async () => {
    const page = await signedInPage(web, org.users.agentA.username, TEST_PASSWORD);
    const res = await page.goto(`${web.base}/admin/staffing`);
    expect(res?.status()).toBe(403);
  });
});
