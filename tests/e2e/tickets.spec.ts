/**
 * Feedback tickets in a real (headless) Chromium: an agent records a complaint during a follow-up
 * call and sends it to another department (with a reason); that department's inbox lists it
 * (overdue tickets first, in red), a staff member accepts and resolves it on the ticket page
 * (refused actions show the workflow's reason), a head of another department gets 403, the agent
 * sees it resolved in 我的工单 and records the patient's rating, which closes it; a manager finds
 * it in 全院工单 with the link to its workflow in the Temporal UI.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { Page } from 'playwright-core';
import { serveInBrowser, type BrowserStack } from '../support/browser-stack.js';
import { createShortPlan, waitFor } from '../support/follow-up-fixtures.js';
import { createTestOrg, dischargeBody, TEST_PASSWORD, type TestOrg } from '../support/org.js';
import { startStack, uniq, type TestStack } from '../support/stack.js';
import { ticketStart, ticketWorkflowId } from '../../workflows/feedback-ticket/contracts.js';
import { startWorkflow } from '../../workflows/shared/start.js';

const FULL_PHONE = '13812341234';
const MASKED_PHONE = '138****1234';
const PATIENT = '孙丽华';
const DESCRIPTION = '病房空调坏了 3 天没人修';
const REASON = '空调归总务';
const RESOLUTION = '已更换病房空调，并电话告知患者';
/** Set to a folder to keep screenshots of the pages (e.g. E2E_SCREENSHOTS=/tmp). */
const SCREENSHOTS = process.env.E2E_SCREENSHOTS;

interface TicketRow {
  id: string;
  number: string;
  category: string;
  subtag: string | null;
  department_code: string | null;
  status: string;
  created_by: string | null;
}

describe('feedback tickets in a browser', () => {
  let stack: TestStack;
  let web: BrowserStack;
  let base: string;
  let org: TestOrg;
  let taskId: string;
  let patientId: string;
  let ticket: TicketRow;
  /** A ticket of deptB whose deadline passed two hours ago (inserted without a workflow). */
  let overdue: { id: string; number: string };
  let deptBName: string;

  beforeAll(async () => {
    stack = await startStack({ worker: true, web: true });
    org = await createTestOrg(stack.sql);
    const [dept] = await stack.sql<{ name: string }[]>`SELECT name FROM departments WHERE code = ${org.deptB}`;
    deptBName = dept!.name;
    await createShortPlan(stack.sql, org.deptA, [{ offsetSeconds: 0, channel: 'phone', maxAttempts: 3, retryAfterSeconds: 3600 }]);
    const body = dischargeBody(org.deptA, { dischargedAt: new Date().toISOString() });
    await stack.services.discharges.ingestJson(JSON.stringify({ ...body, patient: { ...body.patient, name: PATIENT } }));
    const task = await waitFor(
      async () => {
        const [row] = await stack.sql<{ id: string; patient_id: string }[]>`
          SELECT id, patient_id FROM follow_up_tasks WHERE department_code = ${org.deptA} AND status = 'open'`;
        return row;
      },
      60_000,
      'the follow-up workflow to open the task',
    );
    taskId = task.id;
    patientId = task.patient_id;

    web = await serveInBrowser(stack);
    base = web.base;
  }, 300_000);

  afterAll(async () => {
    await web?.close();
    await stack?.stop();
  });

  /** A fresh browser (own cookies) signed in as the user. */
  async function signedIn(username: string): Promise<Page> {
    const page = await web.newPage();
    await page.goto(`${base}/login`);
    await page.getByRole('textbox', { name: '用户名' }).fill(username);
    await page.getByLabel('密码').fill(TEST_PASSWORD);
    await page.getByLabel('密码').press('Enter');
    await page.waitForURL((url) => url.pathname !== '/login');
    return page;
  }

  /** Posts a form of the ticket page from inside the page, as a stale tab would; returns the status and the HTML. */
  function postTicketForm(page: Page, id: string, fields: Record<string, string>) {
    return page.evaluate(
      async ({ url, fields }) => {
        const body = new FormData();
        for (const [key, value] of Object.entries(fields)) body.set(key, value);
        const response = await fetch(url, { method: 'POST', body });
        return { status: response.status, text: await response.text() };
      },
      { url: `/tickets/${id}`, fields },
    );
  }

  let agentPage: Page;
  let staffPage: Page;

  it('an agent records a complaint during the call and sends it to another department', async () => {
    agentPage = await signedIn(org.users.agentA.username);
    const page = agentPage;
    await page.goto(`${base}/tasks/${taskId}`);
    await page.getByRole('heading', { level: 1, name: new RegExp(`^${PATIENT}`) }).waitFor();
    await page.locator('fieldset[data-question=pain]').getByLabel('2').check();
    await page.locator('fieldset[data-question=wound_exudate]').getByLabel('否').check();
    await page.keyboard.press('Alt+f');
    await page.getByLabel('类别').selectOption({ label: '环境设施' });
    await page.getByLabel('子类').selectOption({ label: '空调/设施损坏' });
    await page.getByLabel('内容').fill(DESCRIPTION);
    await page.getByLabel('指定其他科室').selectOption(org.deptB);
    await page.getByLabel('原因').fill(REASON);
    if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/ticket-feedback-form.png`, fullPage: true });
    await page.keyboard.press('Alt+1');
    await page.waitForURL((url) => url.pathname === `/tasks/${taskId}` && url.searchParams.get('saved') === '1');

    const [feedback] = await stack.sql<{ category: string; subtag: string | null; target_department_code: string | null; target_reason: string | null }[]>`
      SELECT category, subtag, target_department_code, target_reason FROM feedback_records WHERE task_id = ${taskId}`;
    expect(feedback).toEqual({ category: 'environment', subtag: '空调/设施损坏', target_department_code: org.deptB, target_reason: REASON });

    ticket = await waitFor(
      async () => {
        const [row] = await stack.sql<TicketRow[]>`
          SELECT id, number, category, subtag, department_code, status, created_by FROM tickets
          WHERE source_task_id = ${taskId} AND description = ${DESCRIPTION}`;
        return row;
      },
      30_000,
      'the follow-up workflow to open the ticket',
    );
    const [agent] = await stack.sql<{ id: string }[]>`SELECT id FROM users WHERE username = ${org.users.agentA.username}`;
    expect(ticket).toMatchObject({ category: 'environment', subtag: '空调/设施损坏', department_code: org.deptB, status: 'open', created_by: agent!.id });
    // The saved page says which ticket the feedback became, where it went and by when, with a link.
    const opened = page.getByTestId('opened-tickets');
    await opened.waitFor();
    const said = (await opened.textContent()) ?? '';
    for (const expected of [ticket.number, '环境设施', deptBName, '前处理']) expect(said).toContain(expected);
    expect(await opened.getByRole('link', { name: ticket.number }).getAttribute('href')).toBe(`/tickets/${ticket.id}`);
  });

  it("lists it in the other department's inbox, overdue tickets first and in red", async () => {
    const [row] = await stack.sql<{ id: string; number: string }[]>`
      INSERT INTO tickets (number, source_key, patient_id, category, description, department_code, received_at, sla_due_at,
                           sla_breached, escalation_level, sla_seconds, escalate_seconds, rating_wait_seconds)
      VALUES (${`FK-E2E-${uniq()}`}, ${`e2e:${uniq()}`}, ${patientId}, 'process', '出院结算排队两个小时', ${org.deptB},
              now() - interval '26 hours', now() - interval '2 hours', true, 1, 86400, 172800, 259200)
      RETURNING id, number`;
    overdue = row!;

    staffPage = await signedIn(org.users.staffB.username);
    const page = staffPage;
    await page.getByRole('link', { name: '工单收件箱' }).click();
    await page.waitForURL((url) => url.pathname === '/tickets');
    await page.getByRole('heading', { level: 1, name: /工单收件箱/ }).waitFor();
    const rows = page.locator('[data-testid=ticket-table] tbody tr');
    expect(await rows.count()).toBe(2);
    expect(await rows.nth(0).getAttribute('data-ticket-id')).toBe(overdue.id);
    expect(await rows.nth(0).getAttribute('class')).toContain('overdue');
    expect(await rows.nth(0).locator('[data-testid=sla]').textContent()).toMatch(/^已超时 2小时/);
    expect(await rows.nth(0).textContent()).toContain('一级');

    expect(await rows.nth(1).getAttribute('data-ticket-id')).toBe(ticket.id);
    expect(await rows.nth(1).getAttribute('class')).not.toContain('overdue');
    const text = (await rows.nth(1).textContent()) ?? '';
    for (const expected of [ticket.number, '环境设施', '空调/设施损坏', PATIENT, deptBName, '待处理']) expect(text).toContain(expected);
    // Received just now on a 24-hour SLA (the route table's default for 环境设施).
    expect(await rows.nth(1).locator('[data-testid=sla]').textContent()).toMatch(/^剩余 \d+小时(\d+分)?$/);
    if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/ticket-inbox.png`, fullPage: true });
  });

  it('opens the ticket with the keyboard, shows the feedback, and accepts it', async () => {
    const page = staffPage;
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    const selected = page.locator('[data-testid=ticket-table] tbody tr.selected');
    // Until the page is hydrated the keys do nothing: press j until the second row is highlighted.
    await waitFor(
      async () => {
        await page.keyboard.press('j');
        return (await selected.getAttribute('data-ticket-id')) === ticket.id;
      },
      10_000,
      'j to move to the second ticket',
    );
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.pathname === `/tickets/${ticket.id}`);
    await page.getByRole('heading', { level: 1, name: new RegExp(ticket.number) }).waitFor();

    const feedback = (await page.locator('[data-testid=ticket-feedback]').textContent()) ?? '';
    for (const expected of [DESCRIPTION, '环境设施', '空调/设施损坏']) expect(feedback).toContain(expected);
    const facts = (await page.locator('[data-testid=ticket-facts]').textContent()) ?? '';
    for (const expected of [PATIENT, MASKED_PHONE, deptBName, '剩余', '未升级']) expect(facts).toContain(expected);
    expect(await page.content()).not.toContain(FULL_PHONE);
    expect(await page.locator('[data-testid=ticket-status]').textContent()).toBe('待处理');
    expect(await page.locator('[data-testid=timeline] [data-kind=created]').textContent()).toContain('工单生成');
    // Department staff see where it came from, without the link into the agents' task page.
    expect(await page.locator('[data-testid=source-task]').count()).toBe(0);
    expect(await page.getByRole('link', { name: '在 Temporal UI 中查看' }).count()).toBe(0);
    if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/ticket-open.png`, fullPage: true });

    await page.getByRole('button', { name: '受理' }).click();
    await page.waitForURL((url) => url.pathname === `/tickets/${ticket.id}` && url.searchParams.get('done') === 'accept');
    await page.getByText('已受理该工单').waitFor();
    await page.locator('[data-testid=ticket-status]', { hasText: '处理中' }).waitFor();
    expect(await page.locator('[data-testid=ticket-status]').textContent()).toBe('处理中');
    await page.locator('[data-testid=timeline] [data-kind=accepted]', { hasText: '已受理' }).waitFor();
    expect(await page.locator('[data-testid=timeline] [data-kind=accepted]').textContent()).toContain('已受理');
    expect(await page.getByRole('button', { name: '受理' }).count()).toBe(0);
  });

  it("shows the workflow's reason when an action is refused, and field errors next to the field", async () => {
    const page = staffPage;
    // A second 受理 (a stale tab): the ticket's workflow refuses it with the reason.
    const again = await postTicketForm(page, ticket.id, { intent: 'accept' });
    expect(again.status).toBe(409);
    expect(/data-testid="conflict"[^>]*>(.*?)<\/div>/s.exec(again.text)?.[1]).toContain('工单处理中');

    // 解决 without a resolution: the field says what is missing.
    await page.getByRole('button', { name: '解决' }).click();
    await page.locator('.field-error', { hasText: '请填写处理结果' }).waitFor();
    expect(await page.locator('[data-testid=ticket-status]').textContent()).toBe('处理中');

    // 转科 without a department or a reason: both fields say so, the ticket stays.
    await page.getByRole('button', { name: '转科' }).click();
    await page.locator('.field-error', { hasText: '请选择科室' }).waitFor();
    expect(await page.locator('.field-error', { hasText: '请填写转科原因' }).count()).toBe(1);
    const [still] = await stack.sql<{ department_code: string }[]>`SELECT department_code FROM tickets WHERE id = ${ticket.id}`;
    expect(still!.department_code).toBe(org.deptB);

    // A ticket whose workflow does not exist (inserted directly): 受理 is refused, prominently.
    await page.goto(`${base}/tickets/${overdue.id}`);
    await page.getByRole('button', { name: '受理' }).click();
    await page.locator('[data-testid=conflict]').waitFor();
    expect(await page.locator('[data-testid=conflict]').textContent()).toContain('该工单流程已结束');
  });

  it('resolves the ticket with a resolution', async () => {
    const page = staffPage;
    await page.goto(`${base}/tickets/${ticket.id}`);
    await page.getByLabel('进展说明').fill('已联系总务科，今天下午上门维修');
    await page.getByRole('button', { name: '添加进展' }).click();
    await page.waitForURL((url) => url.searchParams.get('done') === 'note');
    // The URL changes before the page has re-rendered: wait for the content itself.
    await page.locator('[data-testid=timeline] [data-kind=note]', { hasText: '今天下午上门维修' }).waitFor();

    await page.getByLabel('处理结果').fill(RESOLUTION);
    await page.getByRole('button', { name: '解决' }).click();
    await page.waitForURL((url) => url.searchParams.get('done') === 'resolve');
    await page.locator('[data-testid=ticket-status]', { hasText: '已解决' }).waitFor();
    await page.locator('[data-testid=ticket-status]', { hasText: '已解决' }).waitFor();
    expect(await page.locator('[data-testid=ticket-status]').textContent()).toBe('已解决');
    expect(await page.locator('[data-testid=ticket-feedback]').textContent()).toContain(RESOLUTION);
    expect(await page.locator('[data-testid=timeline] [data-kind=resolved]').textContent()).toContain(RESOLUTION);
    expect(await page.locator('[data-testid=ticket-actions]').count()).toBe(0);
    const [row] = await stack.sql<{ status: string; resolution: string | null }[]>`SELECT status, resolution FROM tickets WHERE id = ${ticket.id}`;
    expect(row).toEqual({ status: 'resolved', resolution: RESOLUTION });
    if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/ticket-resolved.png`, fullPage: true });
  });

  it('gives a department head of another department 403 for the ticket', async () => {
    const page = await signedIn(org.users.headA.username);
    const response = await page.goto(`${base}/tickets/${ticket.id}`);
    expect(response?.status()).toBe(403);
    expect(await page.locator('h1').textContent()).toContain('403');
    expect(await page.content()).not.toContain(DESCRIPTION);
  });

  it('shows the agent the ticket as 已解决 in 我的工单, and records the patient\'s rating', async () => {
    const page = await signedIn(org.users.agentA.username);
    await page.getByRole('link', { name: '我的工单' }).click();
    await page.waitForURL((url) => url.pathname === '/tickets');
    await page.getByRole('heading', { level: 1, name: /我的工单/ }).waitFor();
    const row = page.locator(`[data-testid=ticket-table] tbody tr[data-ticket-id="${ticket.id}"]`);
    expect(await row.locator('.status').textContent()).toBe('已解决');
    expect(await row.textContent()).toContain(ticket.number);

    await row.getByRole('link', { name: ticket.number }).click();
    await page.waitForURL((url) => url.pathname === `/tickets/${ticket.id}`);
    expect(await page.locator('[data-testid=source-task]').getAttribute('href')).toBe(`/tasks/${taskId}`);
    await page.locator('[data-testid=rating-form]').getByLabel('4', { exact: true }).check();
    await page.getByRole('button', { name: '记录评价' }).click();
    await page.getByText('已记录患者评价 4 分').waitFor();

    const closed = await waitFor(
      async () => {
        const [t] = await stack.sql<{ status: string; rating: number | null; closed_reason: string | null }[]>`
          SELECT status, rating, closed_reason FROM tickets WHERE id = ${ticket.id}`;
        return t?.status === 'closed' ? t : undefined;
      },
      20_000,
      'the ticket workflow to close the rated ticket',
    );
    expect(closed).toEqual({ status: 'closed', rating: 4, closed_reason: 'rated' });
    await page.reload();
    expect(await page.locator('[data-testid=ticket-status]').textContent()).toBe('已关闭');
    expect(await page.locator('[data-testid=timeline] [data-kind=closed]').textContent()).toContain('已关闭（评分 4 分）');
    expect(await page.locator('[data-testid=rating-form]').count()).toBe(0);
  });

  it('lets a manager find it in 全院工单 by department and status, with the Temporal UI link', async () => {
    const page = await signedIn(org.users.manager.username);
    await page.goto(`${base}/tickets`);
    await page.getByRole('heading', { level: 1, name: /全院工单/ }).waitFor();
    await page.getByLabel('科室').selectOption(org.deptB);
    await page.getByLabel('状态').selectOption({ label: '已关闭' });
    await page.getByRole('button', { name: '筛选' }).click();
    await page.waitForURL((url) => url.searchParams.get('dept') === org.deptB && url.searchParams.get('status') === 'closed');
    const rows = page.locator('[data-testid=ticket-table] tbody tr');
    await waitFor(async () => (await rows.count()) === 1, 10_000, 'the filtered list');
    expect(await rows.first().getAttribute('data-ticket-id')).toBe(ticket.id);
    expect(await rows.first().textContent()).toContain('4 分');

    await page.goto(`${base}/tickets/${ticket.id}`);
    const link = page.getByRole('link', { name: '在 Temporal UI 中查看' });
    expect(await link.getAttribute('href')).toBe(
      `${stack.env.TEMPORAL_UI_URL}/namespaces/${encodeURIComponent(stack.env.TEMPORAL_NAMESPACE)}/workflows/${encodeURIComponent(ticketWorkflowId(ticket.number))}`,
    );
    // Managers read, they do not act.
    expect(await page.locator('[data-testid=ticket-actions]').count()).toBe(0);
  });

  it('lets a manager chase (督办) an overdue ticket and reassign it (转派), both on the timeline and audited', async () => {
    // An overdue ticket with its workflow running (the one listed above was only a row).
    const [row0] = await stack.sql<{ id: string; number: string }[]>`
      INSERT INTO tickets (number, source_key, patient_id, category, description, department_code, received_at, sla_due_at,
                           sla_breached, escalation_level, sla_seconds, escalate_seconds, rating_wait_seconds)
      VALUES (${`FK-E2E-${uniq()}`}, ${`e2e:${uniq()}`}, ${patientId}, 'process', '挂号窗口排队一个多小时', ${org.deptB},
              now() - interval '26 hours', now() - interval '2 hours', true, 1, 86400, 172800, 259200)
      RETURNING id, number`;
    const late = row0!;
    await startWorkflow(stack.temporal, stack.taskQueue, ticketStart({ ticketId: late.id, number: late.number }, 'direct'));
    await waitFor(async () => (await stack.sql`SELECT 1 FROM ticket_events WHERE ticket_id = ${late.id} AND kind = 'created'`)[0], 20_000, 'the ticket workflow');
    const page = await signedIn(org.users.manager.username);
    await page.goto(`${base}/tickets/${late.id}`);
    const chase = page.getByTestId('chase-form');
    await chase.getByRole('button', { name: '督办' }).click();
    expect(await chase.locator('.field-error').textContent()).toBe('请填写督办意见');
    await chase.getByLabel(/督办意见/).fill('请今天内联系患者并反馈结果');
    await chase.getByRole('button', { name: '督办' }).click();
    await page.waitForURL((url) => url.searchParams.get('done') === 'chase');
    expect(await page.locator('[data-testid=timeline] [data-kind=chased]').textContent()).toContain('请今天内联系患者并反馈结果');
    const told = await stack.sql`SELECT audience, department_code FROM staff_notifications WHERE ticket_id = ${late.id} AND body LIKE '督办%'`;
    expect(told).toEqual([{ audience: 'dept_head', department_code: org.deptB }]);

    const reassign = page.getByTestId('transfer-actions');
    await reassign.getByLabel('转至科室').selectOption(org.deptA);
    await reassign.getByLabel('转科原因').fill('流程问题归本院骨科跟进');
    await reassign.getByRole('button', { name: '转派' }).click();
    await page.waitForURL((url) => url.searchParams.get('done') === 'transfer');
    const [row] = await stack.sql<{ department_code: string }[]>`SELECT department_code FROM tickets WHERE id = ${late.id}`;
    expect(row!.department_code).toBe(org.deptA);
    const audited = await stack.sql<{ action: string }[]>`
      SELECT action FROM audit_log WHERE entity_id = ${late.id} AND action IN ('ticket.chase', 'ticket.transfer') ORDER BY id`;
    expect(audited.map((a) => a.action)).toEqual(['ticket.chase', 'ticket.transfer']);
    if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/ticket-chased.png`, fullPage: true });
    // Working the ticket stays with the department: no accept, note or resolve for management.
    expect(await page.locator('[data-testid=ticket-actions]').count()).toBe(0);
  });
});
