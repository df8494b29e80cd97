/**
 * A hospital going live, in a real (headless) Chromium: the administrator creates a department and
 * an agent in it through the admin pages, the agent signs in with the initial password, is sent to
 * change it first, and then sees an empty 今日任务. Screenshots with E2E_SCREENSHOTS=<folder>.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { Page } from 'playwright-core';
import { serveInBrowser, type BrowserStack } from '../support/browser-stack.js';
import { createTestOrg, TEST_PASSWORD, type TestOrg } from '../support/org.js';
import { startStack, uniq, type TestStack } from '../support/stack.js';

const SCREENSHOTS = process.env.E2E_SCREENSHOTS;
const pathOf = (url: string) => new URL(url).pathname;

describe('go-live in a browser', () => {
  let stack: TestStack;
  let web: BrowserStack;
  let org: TestOrg;
  let admin: Page;
  const id = uniq();
  const dept = { code: `QK${id}`, name: `全科医学科${id.slice(0, 4)}` };
  const agent = { username: `kefu_${id.toLowerCase()}`, name: '陈晓燕', initial: 'Start#2026ab', chosen: 'Mine#2026xyz' };

  beforeAll(async () => {
    stack = await startStack({ web: true });
    org = await createTestOrg(stack.sql);
    web = await serveInBrowser(stack);
    admin = await web.newPage();
  }, 300_000);

  afterAll(async () => {
    await web?.close();
    await stack?.stop();
  });

  const shot = async (page: Page, name: string) => {
    if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/${name}.png`, fullPage: true });
  };

  /** A page's shortcut: keys do nothing until the page is hydrated, so press until it navigates. */
  async function pressUntil(page: Page, key: string, path: string) {
    await page.waitForFunction(() => Boolean((window as unknown as { __remixRouter?: unknown }).__remixRouter));
    for (let i = 0; i < 20 && pathOf(page.url()) !== path; i++) {
      await page.keyboard.press(key);
      await page.waitForURL((url) => url.pathname === path, { timeout: 500 }).catch(() => {});
    }
    expect(pathOf(page.url())).toBe(path);
  }

  async function signIn(page: Page, username: string, password: string) {
    await page.goto(`${web.base}/login`);
    await page.getByRole('textbox', { name: '用户名' }).fill(username);
    await page.getByLabel('密码').fill(password);
    await page.getByLabel('密码').press('Enter');
  }

  it('lets the administrator create a department', async () => {
    await signIn(admin, org.users.admin.username, TEST_PASSWORD);
    await admin.waitForURL((url) => url.pathname === '/admin');
    await admin.getByRole('link', { name: '科室', exact: true }).click();
    await admin.getByRole('heading', { name: '新建科室' }).waitFor();
    // A wrong code is named next to its field, and what was typed stays.
    await admin.getByLabel('科室代码').fill('全科 1');
    await admin.getByLabel('科室名称').fill(dept.name);
    await admin.getByRole('button', { name: '新建科室' }).click();
    await admin.locator('#code-error').waitFor();
    expect(await admin.locator('#code-error').textContent()).toContain('科室代码只能包含');
    expect(await admin.getByLabel('科室名称').inputValue()).toBe(dept.name);
    await admin.getByLabel('科室代码').fill(dept.code);
    await admin.locator('select[name=kind]').selectOption('clinical');
    await admin.getByRole('button', { name: '新建科室' }).click();
    await admin.getByRole('status').filter({ hasText: `已保存 ${dept.name}` }).waitFor();
    await shot(admin, 'admin-departments');
    const row = admin.locator('tr', { hasText: dept.code });
    expect(await row.textContent()).toContain('已启用');
  });

  it('lets the administrator create an agent in it', async () => {
    await admin.getByRole('link', { name: '用户', exact: true }).click();
    await admin.getByRole('heading', { name: /用户管理/ }).waitFor();
    await pressUntil(admin, 'n', '/admin/users/new');
    await admin.getByLabel('用户名（登录名）').fill(agent.username);
    await admin.getByLabel('姓名').fill(agent.name);
    await admin.locator('select[name=role]').selectOption('agent');
    await admin.locator('select[name=departmentCode]').selectOption({ label: dept.name });
    await admin.getByLabel('分机', { exact: true }).fill('8021');
    // A weak password is refused with the reason.
    await admin.getByLabel('初始密码').fill('123456');
    await admin.getByRole('button', { name: '创建用户' }).click();
    await admin.locator('#password-error').waitFor();
    await shot(admin, 'admin-user-new-error');
    await admin.getByLabel('初始密码').fill(agent.initial);
    await admin.getByRole('button', { name: '创建用户' }).click();
    await admin.waitForURL((url) => url.pathname === '/admin/users');
    await admin.getByRole('status').filter({ hasText: `已创建用户 ${agent.username}` }).waitFor();
    const row = admin.locator('tr', { hasText: agent.username });
    expect(await row.textContent()).toContain(dept.name);
    expect(await row.textContent()).toContain('待改密码');
    await shot(admin, 'admin-users');
  });

  it('previews a staff list with its row errors and imports nothing until it is right', async () => {
    await admin.goto(`${web.base}/admin/users`);
    await pressUntil(admin, 'i', '/admin/users/import');
    const csv = ['用户名,姓名,角色,科室', `imp_${id.toLowerCase()},刘一,客服,${dept.code}`, `imp2_${id.toLowerCase()},王二,院长,${dept.code}`].join('\n');
    await admin.locator('input[type=file]').setInputFiles({ name: 'staff.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await admin.getByRole('button', { name: '预览' }).click();
    const errors = admin.getByRole('alert');
    await errors.waitFor();
    expect(await errors.textContent()).toContain('第 3 行 · 角色');
    expect(await admin.getByRole('button', { name: /确认导入/ }).count()).toBe(0);
    await shot(admin, 'admin-users-import');
  });

  it('sets up an expert, a weekly clinic session and a closed date', async () => {
    await admin.getByRole('link', { name: '出诊安排' }).click();
    await admin.getByRole('heading', { name: '出诊安排' }).waitFor();
    const expertForm = admin.locator('form', { has: admin.getByRole('heading', { name: '添加专家' }) });
    await expertForm.getByLabel('医生姓名').fill('周建华');
    await expertForm.locator('select[name=departmentCode]').selectOption({ label: dept.name });
    await expertForm.getByLabel('职称').fill('主任医师');
    await expertForm.getByRole('button', { name: '添加专家' }).click();
    await admin.getByRole('status').filter({ hasText: '已添加专家' }).waitFor();

    const scheduleForm = admin.locator('form', { has: admin.getByRole('heading', { name: '添加出诊' }) });
    await scheduleForm.locator('select[name=weekday]').selectOption('3');
    await scheduleForm.locator('select[name=halfDay]').selectOption('pm');
    // A morning time for an afternoon session is named at the field.
    await scheduleForm.getByRole('button', { name: '添加出诊' }).click();
    await admin.locator('#startsAt-error').waitFor();
    await scheduleForm.locator('input[name=startsAt]').fill('13:30');
    await scheduleForm.locator('input[name=endsAt]').fill('17:00');
    await scheduleForm.locator('input[name=registrationOpensAt]').fill('13:00');
    await scheduleForm.getByRole('button', { name: '添加出诊' }).click();
    await admin.getByRole('status').filter({ hasText: '已添加出诊' }).waitFor();
    const row = admin.locator('tr', { hasText: '周建华' }).filter({ hasText: '周三下午' });
    await row.locator('input[name=date]').fill('2027-01-27');
    await row.locator('input[name=reason]').fill('春节');
    await row.getByRole('button', { name: '停诊' }).click();
    await admin.getByRole('status').filter({ hasText: '已登记停诊日期' }).waitFor();
    expect(await admin.locator('tr', { hasText: '周建华' }).filter({ hasText: '周三下午' }).textContent()).toContain('2027-01-27（春节）');
    await shot(admin, 'admin-clinics');
  });

  it('makes the agent change the initial password, then shows an empty 今日任务', async () => {
    const page = await web.newPage();
    await signIn(page, agent.username, agent.initial);
    await page.waitForURL((url) => url.pathname === '/account/password');
    // Nothing else opens until the password is changed.
    await page.goto(`${web.base}/agent`);
    expect(pathOf(page.url())).toBe('/account/password');
    await page.getByRole('status').filter({ hasText: '一次性密码' }).waitFor();
    await shot(page, 'account-password');

    await page.getByLabel('当前密码').fill(agent.initial);
    await page.getByLabel('新密码', { exact: true }).fill(agent.initial);
    await page.getByLabel('再次输入新密码').fill(agent.initial);
    await page.getByRole('button', { name: '保存新密码' }).click();
    await page.locator('#newPassword-error').waitFor();
    expect(await page.locator('#newPassword-error').textContent()).toContain('最近');

    await page.getByLabel('当前密码').fill(agent.initial);
    await page.getByLabel('新密码', { exact: true }).fill(agent.chosen);
    await page.getByLabel('再次输入新密码').fill(agent.chosen);
    await page.getByRole('button', { name: '保存新密码' }).click();
    await page.waitForURL((url) => url.pathname === '/agent');
    await page.locator('.empty', { hasText: '暂无' }).waitFor();
    await shot(page, 'agent-empty-today');
    expect(await page.locator('h1').first().textContent()).toContain('今日任务');

    // The initial password no longer works; the chosen one does.
    const again = await web.newPage();
    await signIn(again, agent.username, agent.initial);
    await again.locator('.form-error[role=alert]').waitFor();
    await signIn(again, agent.username, agent.chosen);
    await again.waitForURL((url) => url.pathname === '/agent');
  });
});
