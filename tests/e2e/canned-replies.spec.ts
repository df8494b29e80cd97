/**
 * Issue 15 in a real (headless) Chromium: an agent inserts a 常用问题快捷回复 into the call's note
 * with Alt+K (type to filter, Enter inserts at the caret), records praise (表扬) that goes to the
 * department as information, and the call's red-flag answers open a ticket whose page shows the
 * answers, the agent's note and the ward/room/bed; the department head inserts a reply into the
 * resolution the same way and marks the praise 已阅; the admin keeps the replies under 系统管理.
 * Screenshots of each page go to E2E_SCREENSHOTS when set.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { serveInBrowser, signedInPage, type BrowserStack } from '../support/browser-stack.js';
import { createShortPlan, waitFor } from '../support/follow-up-fixtures.js';
import { createTestOrg, dischargeBody, TEST_PASSWORD, type TestOrg } from '../support/org.js';
import { startStack, uniq, type TestStack } from '../support/stack.js';
import type { Principal } from '../../domain/access.js';
import { createReportRollupActivities } from '../../activities/reports/rollup.js';

const SCREENSHOTS = process.env.E2E_SCREENSHOTS;
const shot = async (page: Page, name: string) => {
  if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/${name}.png`, fullPage: true });
};

describe('canned replies, praise and ticket context in a browser', () => {
  let stack: TestStack;
  let web: BrowserStack;
  let org: TestOrg;
  let taskId: string;
  const tag = uniq();
  const MEDICATION = '利伐沙班每天固定时间服用，连续 5 周，不要自行停药。';
  const RESOLUTION = '已电话通知患者明早 8 点来骨科门诊换药，值班医生已知晓。';

  beforeAll(async () => {
    stack = await startStack({ worker: true, web: true });
    org = await createTestOrg(stack.sql);
    const admin: Principal = (await stack.services.auth.login({ username: org.users.admin.username, password: TEST_PASSWORD }, {})).user;
    await stack.services.cannedReplies.save(admin, { departmentCode: org.deptA, topic: 'medication', title: `抗凝药服用${tag}`, body: MEDICATION }, {});
    await stack.services.cannedReplies.save(admin, { departmentCode: org.deptA, topic: 'other', title: `伤口换药${tag}`, body: RESOLUTION }, {});
    await stack.services.cannedReplies.save(admin, { topic: 'billing', title: `医保报销材料${tag}`, body: '带身份证、出院小结、费用清单和发票到医保办办理。' }, {});
    await createShortPlan(stack.sql, org.deptA, [{ offsetSeconds: 0, channel: 'phone', maxAttempts: 3, retryAfterSeconds: 3600 }]);
    const body = dischargeBody(org.deptA, { dischargedAt: new Date().toISOString(), ward: '骨科一病区', room: '305', bed: '2' });
    await stack.services.discharges.ingestJson(JSON.stringify({ ...body, patient: { ...body.patient, name: '周桂芳' } }));
    taskId = (
      await waitFor(
        async () => (await stack.sql<{ id: string }[]>`SELECT id FROM follow_up_tasks WHERE department_code = ${org.deptA} AND status = 'open'`)[0],
        60_000,
        'the task',
      )
    ).id;
    web = await serveInBrowser(stack);
  }, 300_000);

  afterAll(async () => {
    await web?.close();
    await stack?.stop();
  });

  it('the agent inserts a canned reply into the note with Alt+K and records praise as information', async () => {
    const page = await signedInPage(web, org.users.agentA.username, TEST_PASSWORD);
    await page.goto(`${web.base}/tasks/${taskId}`);
    await page.getByRole('heading', { level: 1, name: /^周桂芳/ }).waitFor();
    await page.locator('fieldset[data-question=pain]').getByLabel('5').check();
    await page.locator('fieldset[data-question=wound_exudate]').getByLabel('是').check();

    const note = page.locator('textarea[name=note]');
    await note.click();
    await note.pressSequentially('患者问用药：');
    await page.keyboard.press('Alt+k');
    const dialog = page.getByRole('dialog', { name: '快捷回复' });
    await dialog.waitFor();
    // Its department's and hospital-wide replies; another department's would not be here.
    await expect.poll(() => dialog.getByRole('option').count()).toBeGreaterThanOrEqual(3);
    await page.keyboard.type('抗凝');
    await expect.poll(() => dialog.getByRole('option').allInnerTexts()).toEqual([expect.stringContaining(`抗凝药服用${tag}`)]);
    await shot(page, 'canned-reply-search');
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached' });
    expect(await note.inputValue()).toBe(`患者问用药：\n${MEDICATION}`);
    // The caret stays in the note, after the reply: the agent keeps typing.
    expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('note');
    await page.keyboard.type('已解释。');
    expect(await note.inputValue()).toBe(`患者问用药：\n${MEDICATION}已解释。`);

    // Esc closes the box without leaving the page or inserting anything.
    await page.keyboard.press('Alt+k');
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(new URL(page.url()).pathname).toBe(`/tasks/${taskId}`);

    await page.keyboard.press('Alt+f');
    await page.getByLabel('表扬').check();
    await page.getByLabel('涉及方面').selectOption({ label: '服务态度' });
    await page.getByLabel('内容').fill('感谢护士小王每天耐心换药');
    await page.getByLabel('指定其他科室').selectOption(org.deptA);
    await page.getByLabel('原因').fill('表扬本科室护士');
    await shot(page, 'task-feedback-praise');
    await page.keyboard.press('Alt+1');
    await page.waitForURL((url) => url.searchParams.get('saved') === '1');
    await page.getByTestId('routed-feedback').waitFor();
    expect(await page.getByTestId('routed-feedback').innerText()).toContain('表扬已转');
    await shot(page, 'task-saved-praise');
    const [record] = await stack.sql<{ kind: string }[]>`SELECT kind FROM feedback_records WHERE task_id = ${taskId}`;
    expect(record!.kind).toBe('praise');
    // Only the red flag became a ticket, not the praise.
    const tickets = await waitFor(async () => {
      const rows = await stack.sql<{ category: string }[]>`SELECT category FROM tickets WHERE source_task_id = ${taskId}`;
      return rows.length ? rows : undefined;
    });
    expect(tickets.map((t) => t.category)).toEqual(['red_flag']);
  });

  it('the department head sees what raised the red flag and where the patient lay, and answers with a canned reply', async () => {
    const [ticket] = await stack.sql<{ id: string }[]>`SELECT id FROM tickets WHERE source_task_id = ${taskId} AND category = 'red_flag'`;
    const page = await signedInPage(web, org.users.headA.username, TEST_PASSWORD);
    await page.goto(`${web.base}/tickets/${ticket!.id}`);
    const answers = page.getByTestId('red-flag-answers');
    await answers.waitFor();
    expect(await answers.innerText()).toMatch(/疼痛程度\(1–5\)\s*5 分[\s\S]*伤口有无渗液\?\s*是/);
    expect(await page.getByTestId('agent-note').innerText()).toContain(MEDICATION);
    expect(await page.getByTestId('ticket-stay').innerText()).toMatch(/骨科一病区 · 305 室 · 2 床/);

    const resolution = page.locator('textarea[name=resolution]');
    await resolution.click();
    await page.keyboard.press('Alt+k');
    const dialog = page.getByRole('dialog', { name: '快捷回复' });
    await dialog.waitFor();
    await page.keyboard.type('换药');
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached' });
    expect(await resolution.inputValue()).toBe(RESOLUTION);
    await shot(page, 'ticket-context');

    // The praise is on the department's dashboard and in its inbox as information, and is acknowledged there.
    await page.goto(`${web.base}/departments/${org.deptA}`);
    expect(await page.getByTestId('feedback-info').innerText()).toContain('感谢护士小王每天耐心换药');
    await shot(page, 'department-dashboard-information');
    await page.goto(`${web.base}/tickets`);
    const info = page.getByTestId('feedback-info');
    await info.waitFor();
    expect(await info.innerText()).toContain('感谢护士小王每天耐心换药');
    await shot(page, 'tickets-inbox-information');
    await info.getByRole('button', { name: '已阅' }).first().click();
    await page.waitForURL((url) => url.pathname === '/tickets');
    await expect.poll(async () => (await stack.sql`SELECT 1 FROM feedback_records WHERE task_id = ${taskId} AND read_at IS NOT NULL`).length).toBe(1);
  });

  it('management sees praise and suggestions counted per department on /reports', async () => {
    await createReportRollupActivities({ sql: stack.sql }).refreshReportRollups({});
    const page = await signedInPage(web, org.users.manager.username, TEST_PASSWORD);
    await page.goto(`${web.base}/reports?department=${org.deptA}`);
    const counts = page.getByTestId('feedback-counts');
    await counts.waitFor();
    const [dept] = await stack.sql<{ name: string }[]>`SELECT name FROM departments WHERE code = ${org.deptA}`;
    expect(await counts.innerText()).toMatch(new RegExp(`${dept!.name}\\s+1\\s+0`));
    await shot(page, 'reports-feedback-counts');
  });

  it('the admin keeps the replies under 系统管理', async () => {
    const page = await signedInPage(web, org.users.admin.username, TEST_PASSWORD);
    await page.goto(`${web.base}/admin/replies?q=${encodeURIComponent(tag)}`);
    await page.getByTestId('reply-table').waitFor();
    expect(await page.getByTestId('reply-table').locator('tbody tr').count()).toBe(3);
    const form = page.getByTestId('reply-form');
    await form.getByLabel('适用科室').selectOption(org.deptA);
    await form.getByLabel('问题类别').selectOption({ label: '复诊' });
    await form.getByLabel('标题').fill(`术后复查${tag}`);
    await form.getByLabel('回复内容').fill('术后 1 个月、3 个月回骨科门诊复查拍片。');
    await form.getByRole('button', { name: '保存' }).click();
    await page.getByText(`已保存“术后复查${tag}”`).waitFor();
    await page.goto(`${web.base}/admin/replies?q=${encodeURIComponent(tag)}`);
    expect(await page.getByTestId('reply-table').locator('tbody tr').count()).toBe(4);
    await shot(page, 'admin-canned-replies');
  });
});
