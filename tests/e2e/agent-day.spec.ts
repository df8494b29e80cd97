/**
 * The agent's day in a real (headless) Chromium: 今日任务 lists the tasks the follow-up workflows
 * opened, the keyboard opens one, the agent answers and moves on with Ctrl+Enter, a failed call
 * keeps the task open, a finished task is read-only and refuses a second outcome, and the
 * workflow detail shows the live state (with the Temporal UI link for supervisors only).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { Page } from 'playwright-core';
import { followUpWorkflowId, getFollowUpStateQuery } from '../../workflows/follow-up/contracts.js';
import { serveInBrowser, type BrowserStack } from '../support/browser-stack.js';
import { createTestOrg, dischargeBody, TEST_PASSWORD, type TestOrg } from '../support/org.js';
import { startStack, uniq, type TestStack } from '../support/stack.js';

const FULL_PHONE = '13812341234';
const MASKED_PHONE = '138****1234';
/** Set to a folder to keep screenshots of the pages (e.g. E2E_SCREENSHOTS=/tmp). */
const SCREENSHOTS = process.env.E2E_SCREENSHOTS;

const pathOf = (url: string) => new URL(url).pathname;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, explain?: () => Promise<string>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}${explain ? `: ${await explain()}` : ''}`);
    await sleep(250);
  }
}

interface TaskRow {
  id: string;
  name: string;
}

describe("an agent's day in a browser", () => {
  let stack: TestStack;
  let web: BrowserStack;
  let base: string;
  let page: Page;
  let org: TestOrg;
  let first: TaskRow;
  let second: TaskRow;
  const names = ['赵文华', '钱晓梅'];

  beforeAll(async () => {
    stack = await startStack({ worker: true, web: true });
    org = await createTestOrg(stack.sql);
    const templateCode = `agent_day_${uniq().toLowerCase()}`;
    const questions = [
      { id: 'pain', text: '目前伤口疼痛程度如何?(1 不痛 – 5 剧痛)', type: 'rating' },
      { id: 'wound_exudate', text: '伤口是否有渗液、红肿?', type: 'yes_no', redFlag: { op: 'eq', value: true } },
    ];
    await stack.sql`
      INSERT INTO question_templates (code, version, department_code, name, questions)
      VALUES (${templateCode}, 1, ${org.deptA}, '骨科术后随访', ${stack.sql.json(questions)})`;
    const touchpoints = [{ offsetSeconds: 1, templateCode, channel: 'phone', maxAttempts: 3, retryAfterSeconds: 3600 }];
    await stack.sql`
      INSERT INTO follow_up_rules (department_code, name, greeting_text, touchpoints)
      VALUES (${org.deptA}, '骨科术后电话随访(测试)', '您好,祝您早日康复!', ${stack.sql.json(touchpoints)})`;

    // Discharged just now, a few seconds apart so that the first patient's task is due (and listed) first.
    const now = Date.now();
    const encounters: string[] = [];
    for (const [i, name] of names.entries()) {
      const body = dischargeBody(org.deptA, { dischargedAt: new Date(now - (names.length - i) * 5_000).toISOString() });
      const { encounterId } = await stack.services.discharges.ingestJson(JSON.stringify({ ...body, patient: { ...body.patient, name } }));
      encounters.push(encounterId);
    }
    const rows = await waitFor(
      'the workflows to open both tasks',
      async () => {
        const found = await stack.sql<TaskRow[]>`
          SELECT t.id, p.name FROM follow_up_tasks t JOIN patients p ON p.id = t.patient_id
          WHERE t.department_code = ${org.deptA} ORDER BY t.due_at`;
        return found.length === 2 ? found : undefined;
      },
      60_000,
      async () => {
        const states = await Promise.all(
          encounters.map((e) => stack.temporal.workflow.getHandle(followUpWorkflowId(e)).query(getFollowUpStateQuery).catch(String)),
        );
        return JSON.stringify(states);
      },
    );
    first = rows[0]!;
    second = rows[1]!;
    expect([first.name, second.name]).toEqual(names);

    web = await serveInBrowser(stack);
    base = web.base;
    page = await web.newPage();
  }, 300_000);

  afterAll(async () => {
    await web?.close();
    await stack?.stop();
  });

  async function signIn(p: Page, username: string) {
    await p.goto(`${base}/login`);
    await p.getByRole('textbox', { name: '用户名' }).fill(username);
    await p.getByLabel('密码').fill(TEST_PASSWORD);
    await p.getByLabel('密码').press('Enter');
    await p.waitForURL((url) => url.pathname !== '/login');
  }

  /** Posts the task form from inside the page, as a stale tab would; returns the status and the HTML. */
  function postTaskForm(taskId: string, fields: Record<string, string>) {
    return page.evaluate(
      async ({ url, fields }) => {
        const body = new FormData();
        for (const [key, value] of Object.entries(fields)) body.set(key, value);
        const response = await fetch(url, { method: 'POST', body });
        return { status: response.status, text: await response.text() };
      },
      { url: `/tasks/${taskId}`, fields },
    );
  }

  it("lists the agent's tasks for today", async () => {
    await signIn(page, org.users.agentA.username);
    expect(pathOf(page.url())).toBe('/agent');
    await page.locator('h1', { hasText: '今日任务' }).waitFor();
    const rows = page.locator('[data-testid=task-table] tbody tr');
    expect(await rows.count()).toBe(2);
    expect(await rows.nth(0).getAttribute('data-task-id')).toBe(first.id);
    expect(await rows.nth(1).getAttribute('data-task-id')).toBe(second.id);
    const table = (await page.locator('[data-testid=task-table]').textContent()) ?? '';
    for (const name of names) expect(table).toContain(name);
    expect(table).toContain('0/3');
    expect(await page.locator('[data-testid=tab-open] .tab-count').textContent()).toBe('2');
    expect(await page.locator('[data-testid=tab-completed] .tab-count').textContent()).toBe('0');
    if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/agent.png`, fullPage: true });
  });

  it('opens the highlighted task with the keyboard', async () => {
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    const selected = page.locator('[data-testid=task-table] tbody tr.selected');
    await page.keyboard.press('j');
    expect(await selected.getAttribute('data-task-id')).toBe(second.id);
    await page.keyboard.press('k');
    expect(await selected.getAttribute('data-task-id')).toBe(first.id);
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.pathname === `/tasks/${first.id}`);
    await page.getByRole('heading', { level: 1, name: new RegExp(`^${names[0]}`) }).waitFor();
  });

  it('shows the patient, the opening line and only the masked phone', async () => {
    const opening = (await page.locator('[data-testid=opening-line]').textContent()) ?? '';
    expect(opening).toContain('话术');
    expect(opening).toContain('赵阿姨，您好');
    const card = (await page.locator('[data-testid=patient-card]').textContent()) ?? '';
    expect(card).toContain(MASKED_PHONE);
    expect(card).toContain('股骨颈骨折内固定术');
    expect(card).toContain('李明');
    expect(await page.content()).not.toContain(FULL_PHONE);
    expect(await page.locator('fieldset[data-question=wound_exudate] .flag-mark').count()).toBe(1);
    if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/task.png`, fullPage: true });
  });

  it('records the answers and moves on to the next task with Ctrl+Enter', async () => {
    // The first question has the focus: a digit picks the score.
    await page.keyboard.press('2');
    expect(await page.locator('fieldset[data-question=pain] input[value="2"]').isChecked()).toBe(true);
    await page.locator('fieldset[data-question=wound_exudate]').getByLabel('否').check();
    await page.keyboard.press('Control+Enter');

    await page.waitForURL((url) => url.pathname === `/tasks/${second.id}`);
    await page.getByRole('heading', { level: 1, name: new RegExp(`^${names[1]}`) }).waitFor();
    await page.getByText('上一位患者的随访已保存').waitFor();
    // A fresh form: nothing of the first patient's answers carried over.
    expect(await page.locator('fieldset[data-question=pain] input:checked').count()).toBe(0);

    const [task] = await stack.sql<{ status: string; attempts: number; completed_by: string | null }[]>`
      SELECT status, attempts, completed_by FROM follow_up_tasks WHERE id = ${first.id}`;
    expect(task).toMatchObject({ status: 'completed', attempts: 1 });
    expect(task!.completed_by).not.toBeNull();
    const answers = await stack.sql<{ question_id: string; value: unknown; red_flag: boolean }[]>`
      SELECT question_id, value, red_flag FROM task_answers WHERE task_id = ${first.id} ORDER BY question_id`;
    expect(answers).toEqual([
      { question_id: 'pain', value: 2, red_flag: false },
      { question_id: 'wound_exudate', value: false, red_flag: false },
    ]);
  });

  it('records 未接通 with Alt+2, keeping the task open for a retry', async () => {
    await page.keyboard.press('Alt+2');
    await page.waitForURL((url) => url.pathname === `/tasks/${second.id}` && url.searchParams.get('saved') === '1');
    await page.getByText('已保存：第 1 次 · 未接通').waitFor();
    await page.locator('[data-testid=attempts]', { hasText: '第 1 次 · 未接通' }).waitFor();
    expect(await page.locator('[data-testid=attempts]').textContent()).toContain('第 1 次 · 未接通');
    await page.locator('[data-testid=task-status]', { hasText: '待随访' }).waitFor();
    expect(await page.locator('[data-testid=task-status]').textContent()).toBe('待随访');
    const [task] = await stack.sql<{ status: string; attempts: number; last_outcome: string }[]>`
      SELECT status, attempts, last_outcome FROM follow_up_tasks WHERE id = ${second.id}`;
    expect(task).toEqual({ status: 'open', attempts: 1, last_outcome: 'no_answer' });
  });

  it('names the unanswered questions when 完成 comes without answers', async () => {
    const result = await postTaskForm(second.id, { intent: 'complete', 'type.pain': 'rating', 'type.wound_exudate': 'yes_no' });
    expect(result.status).toBe(400);
    expect(result.text).toContain('此题必须回答');
    const [task] = await stack.sql<{ status: string; attempts: number }[]>`SELECT status, attempts FROM follow_up_tasks WHERE id = ${second.id}`;
    expect(task).toEqual({ status: 'open', attempts: 1 });
  });

  it('shows a finished task read-only and refuses another outcome for it', async () => {
    await page.goto(`${base}/tasks/${first.id}`);
    await page.locator('[data-testid=closed-answers]').waitFor();
    expect(await page.locator('[data-testid=task-status]').textContent()).toBe('已完成');
    expect(await page.getByRole('button', { name: '完成并下一个' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: '完成', exact: true }).count()).toBe(0);
    const answers = (await page.locator('[data-testid=closed-answers]').textContent()) ?? '';
    expect(answers).toContain('2 分');
    expect(answers).toContain('否');
    expect(await page.locator('[data-testid=attempts]').textContent()).toContain('第 1 次 · 完成');

    const result = await postTaskForm(first.id, {
      intent: 'complete',
      'type.pain': 'rating',
      'answers.pain': '5',
      'type.wound_exudate': 'yes_no',
      'answers.wound_exudate': 'true',
    });
    expect(result.status).toBe(409);
    // The reason, shown prominently: the follow-up has ended (or, while it runs on, the task has).
    expect(/data-testid="conflict"[^>]*>(.*?)<\/div>/s.exec(result.text)?.[1]).toMatch(/该(随访流程|任务)已结束/);
    const answersAfter = await stack.sql<{ value: unknown }[]>`SELECT value FROM task_answers WHERE task_id = ${first.id} AND question_id = 'pain'`;
    expect(answersAfter).toEqual([{ value: 2 }]);
  });

  it("shows the workflow's live state, without the Temporal link for an agent", async () => {
    await page.getByRole('link', { name: '流程详情' }).click();
    await page.waitForURL((url) => url.pathname === `/tasks/${first.id}/follow-up`);
    await page.locator('[data-testid=flow-status]').waitFor();
    await page.locator('[data-testid=flow-status]', { hasText: '已完成' }).waitFor();
    expect(await page.locator('[data-testid=flow-status]').textContent()).toBe('已完成');
    const touchpoints = (await page.locator('[data-testid=touchpoints]').textContent()) ?? '';
    expect(touchpoints).toContain('第 1 次');
    expect(touchpoints).toContain('尝试 1/3');
    expect((await page.locator('[data-testid=history]').textContent()) ?? '').toContain('随访计划已生成');
    expect(await page.getByRole('link', { name: '在 Temporal UI 中查看' }).count()).toBe(0);
    if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/follow-up.png`, fullPage: true });

    await page.keyboard.press('Escape');
    await page.waitForURL((url) => url.pathname === `/tasks/${first.id}`);
    // The URL changes before React has rendered the page (and bound its keys): wait for the page itself.
    await page.locator('[data-testid=closed-answers]').waitFor();
    await page.keyboard.press('Escape');
    await page.waitForURL((url) => url.pathname === '/agent');
    await page.locator('[data-testid=tab-completed]').waitFor();
    await page.locator('[data-testid=tab-completed] .tab-count', { hasText: '1' }).waitFor();
    expect(await page.locator('[data-testid=tab-completed] .tab-count').textContent()).toBe('1');
  });

  it('marks a red-flag answer urgent and lists urgent tasks first, in red', async () => {
    await page.goto(`${base}/tasks/${second.id}`);
    await page.locator('fieldset[data-question=pain]').getByLabel('4').check();
    await page.locator('fieldset[data-question=wound_exudate]').getByLabel('是').check();
    await page.getByLabel('备注（可选）').fill('伤口有少量渗液');
    await page.keyboard.press('Alt+f');
    await page.getByLabel('类别').selectOption({ label: '服务态度' });
    await page.getByLabel('内容').fill('护士换药很耐心，表扬');
    await page.keyboard.press('Alt+1');
    await page.waitForURL((url) => url.pathname === `/tasks/${second.id}` && url.searchParams.get('saved') === '1');
    await page.getByText('回答触发了红旗预警', { exact: false }).waitFor();
    await page.locator('.page-head .badge.urgent', { hasText: '紧急' }).waitFor();
    expect(await page.locator('.page-head .badge.urgent').textContent()).toBe('紧急');

    const [task] = await stack.sql<{ status: string; urgent: boolean; attempts: number }[]>`
      SELECT status, urgent, attempts FROM follow_up_tasks WHERE id = ${second.id}`;
    expect(task).toEqual({ status: 'completed', urgent: true, attempts: 2 });
    const alerts = await stack.sql`SELECT kind FROM alerts WHERE task_id = ${second.id}`;
    expect(alerts.map((a) => a.kind)).toEqual(['red_flag']);
    const feedback = await stack.sql<{ category: string; description: string }[]>`
      SELECT category, description FROM feedback_records WHERE task_id = ${second.id}`;
    expect(feedback).toEqual([{ category: 'service_attitude', description: '护士换药很耐心，表扬' }]);

    await page.goto(`${base}/agent?status=completed`);
    const rows = page.locator('[data-testid=task-table] tbody tr');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(2);
    expect(await rows.nth(0).getAttribute('data-task-id')).toBe(second.id);
    expect(await rows.nth(0).getAttribute('class')).toContain('urgent');
    expect(await rows.nth(0).textContent()).toContain('紧急');
    expect(await rows.nth(1).getAttribute('class')).not.toContain('urgent');
    if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/agent-completed.png`, fullPage: true });

    // 1 switches back to 待随访, where nothing is left.
    await page.keyboard.press('1');
    await page.waitForURL((url) => url.pathname === '/agent' && !url.searchParams.has('status'));
    await page.getByText('暂无待随访任务').waitFor();
  });

  it('gives a manager the link to the workflow in the Temporal UI', async () => {
    const managerPage = await web.newPage();
    await signIn(managerPage, org.users.manager.username);
    await managerPage.goto(`${base}/tasks/${first.id}/follow-up`);
    const link = managerPage.getByRole('link', { name: '在 Temporal UI 中查看' });
    await link.waitFor();
    const [encounter] = await stack.sql<{ his_encounter_id: string }[]>`
      SELECT e.his_encounter_id FROM follow_up_tasks t JOIN encounters e ON e.id = t.encounter_id WHERE t.id = ${first.id}`;
    const workflowId = followUpWorkflowId(encounter!.his_encounter_id);
    expect(await link.getAttribute('href')).toBe(
      `${stack.env.TEMPORAL_UI_URL}/namespaces/${encodeURIComponent(stack.env.TEMPORAL_NAMESPACE)}/workflows/${encodeURIComponent(workflowId)}`,
    );
  });
});
