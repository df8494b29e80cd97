/**
 * The portal in a real (headless) Chromium against the whole origin (API + Remix portal) on a
 * real port: sign-in guard, wrong password, an agent's department list, masked patient data,
 * a 403 for another department, and sign-out.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { Page, Response as PwResponse } from 'playwright-core';
import { serveInBrowser, type BrowserStack } from '../support/browser-stack.js';
import { createTestOrg, dischargeBody, TEST_PASSWORD, type TestOrg } from '../support/org.js';
import { startStack, type TestStack } from '../support/stack.js';

const FULL_PHONE = '13812341234';
const MASKED_PHONE = '138****1234';

/** A discharge of a patient with the given name (the rest of the patient from dischargeBody). */
function discharge(department: string, name: string) {
  const body = dischargeBody(department);
  return { ...body, patient: { ...body.patient, name } };
}

const pathOf = (url: string) => new URL(url).pathname;

describe('portal in a browser', () => {
  let stack: TestStack;
  let web: BrowserStack;
  let base: string;
  let page: Page;
  let org: TestOrg;
  let deptAName: string;
  const namesA = ['张建国', '刘桂兰'];
  const nameB = '陈志强';

  beforeAll(async () => {
    stack = await startStack({ worker: true, web: true });
    org = await createTestOrg(stack.sql);
    const [row] = await stack.sql<{ name: string }[]>`SELECT name FROM departments WHERE code = ${org.deptA}`;
    deptAName = row!.name;
    for (const name of namesA) await stack.services.discharges.ingestJson(JSON.stringify(discharge(org.deptA, name)));
    await stack.services.discharges.ingestJson(JSON.stringify(discharge(org.deptB, nameB)));

    web = await serveInBrowser(stack);
    base = web.base;
    page = await web.newPage();
  }, 300_000);

  afterAll(async () => {
    await web?.close();
    await stack?.stop();
  });

  const username = () => page.getByRole('textbox', { name: '用户名' });
  const password = () => page.getByLabel('密码');

  it('sends a visitor without a session to the sign-in page', async () => {
    const response = await page.goto(`${base}/agent`);
    expect(response?.ok()).toBe(true);
    expect(pathOf(page.url())).toBe('/login');
    expect(new URL(page.url()).searchParams.get('next')).toBe('/agent');
    await expect(page.getByRole('button', { name: '登录' }).isVisible()).resolves.toBe(true);
  });

  it('refuses a wrong password with a message', async () => {
    await username().click();
    await page.keyboard.type(org.users.agentA.username);
    await password().click();
    await page.keyboard.type('not-the-password');
    await page.keyboard.press('Enter');

    const error = page.locator('.form-error[role=alert]');
    await error.waitFor();
    expect(await error.textContent()).toContain('用户名或密码错误');
    expect(pathOf(page.url())).toBe('/login');
  });

  it("signs an agent in to the agent home, listing only the agent's department", async () => {
    await username().fill('');
    await username().pressSequentially(org.users.agentA.username);
    await password().fill('');
    await password().pressSequentially(TEST_PASSWORD);
    await password().press('Enter');
    await page.waitForURL((url) => url.pathname === '/agent');

    // Agents land on 今日任务; the department's discharges are one click away.
    await page.getByRole('link', { name: '出院患者' }).click();
    await page.waitForURL((url) => url.pathname === '/agent/discharges');
    // The URL changes before React has rendered the new route: wait for the page itself.
    await page.locator('h1', { hasText: `${deptAName} · 出院患者` }).waitFor();
    const table = page.locator('[data-testid=discharge-table]');
    await table.waitFor();
    expect(await table.locator('tbody tr').count()).toBe(2);
    const text = (await table.textContent()) ?? '';
    for (const name of namesA) expect(text).toContain(name);
    expect(text).not.toContain(nameB);
    expect(text).toContain(MASKED_PHONE);
    expect(await page.content()).not.toContain(FULL_PHONE);
  });

  it('opens a patient page with the phone masked, never sending the full number', async () => {
    const bodies: Promise<string>[] = [];
    const collect = (response: PwResponse) => {
      if (response.url().startsWith(base) && !pathOf(response.url()).startsWith('/assets/')) {
        bodies.push(response.text().catch(() => ''));
      }
    };
    page.on('response', collect);
    try {
      const link = page.getByRole('link', { name: namesA[0], exact: true });
      const href = await link.getAttribute('href');
      expect(href).toMatch(/^\/patients\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      await link.click();
      await page.waitForURL((url) => url.pathname === href);
      await page.getByRole('heading', { level: 1, name: namesA[0], exact: true }).waitFor();
      await page.getByText(MASKED_PHONE, { exact: true }).waitFor();
      expect(await page.content()).not.toContain(FULL_PHONE);

      // The same page as a document request (server-rendered HTML and its embedded loader data).
      const reloaded = await page.goto(`${base}${href}`);
      expect(reloaded?.status()).toBe(200);
      const html = (await reloaded?.text()) ?? '';
      expect(html).toContain(MASKED_PHONE);
      expect(html).not.toContain(FULL_PHONE);
      expect(await page.content()).not.toContain(FULL_PHONE);
    } finally {
      page.off('response', collect);
    }
    // Nor did the client-side navigation's data requests carry it.
    expect(bodies.length).toBeGreaterThan(0);
    for (const body of await Promise.all(bodies)) expect(body).not.toContain(FULL_PHONE);
  });

  it("answers another department's page with 403", async () => {
    const response = await page.goto(`${base}/departments/${encodeURIComponent(org.deptB)}`);
    expect(response?.status()).toBe(403);
    expect(await page.locator('h1').textContent()).toContain('无权访问');
    expect(await page.content()).not.toContain(nameB);
  });

  it('signs out with 退出 back to the sign-in page', async () => {
    await page.goto(`${base}/agent`);
    expect(pathOf(page.url())).toBe('/agent');
    const logout = page.getByRole('button', { name: '退出' });
    await logout.focus();
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.pathname === '/login');
    await page.getByRole('button', { name: '登录' }).waitFor();

    // The session is gone: the agent home asks for sign-in again.
    await page.goto(`${base}/agent`);
    expect(pathOf(page.url())).toBe('/login');
  });
});
