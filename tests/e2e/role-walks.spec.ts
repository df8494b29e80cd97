/**
 * Every role walks its path through the portal in a real (headless) Chromium, as a new user of
 * the hospital would (issue 15): the agent, the head of a clinical department (骨科) and of a
 * functional one (总务科), a manager, an admin, a supervisor in the Temporal Web UI, and a
 * patient on a phone. Every page visited is kept as a screenshot under
 * test-artifacts/e2e/<role>/<nn>-<page>.png and its visible text is checked for Latin internal
 * codes (tests/support/internal-codes.ts).
 *
 * The walks share one stack on a database and a Temporal dev server of their own (with its Web
 * UI), so admin pages list this hospital only, with Chinese names, and the supervisor reads the
 * workflows the walks started.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { findOrBuildTemporalCli } from '../../scripts/lib/temporal-cli.js';
import { freePort } from '../../scripts/lib/free-port.js';
import { startTemporalDevServer, type RunningDevServer } from '../../scripts/lib/temporal-dev-server.js';
import { loadEnv } from '../../config/env.js';
import { DEV_SIMULATOR_CREDENTIALS, startSimulators, type Simulators } from '../../scripts/simulators/providers.js';
import { tokenHash } from '../../db/survey-links.js';
import { hashPassword } from '../../services/auth.js';
import { followUpWorkflowId } from '../../workflows/follow-up/contracts.js';
import { serveInBrowser, signedInPage, type BrowserStack } from '../support/browser-stack.js';
import { waitFor } from '../support/follow-up-fixtures.js';
import { expectNoInternalCodes, walkOf } from '../support/internal-codes.js';
import { dischargeBody, TEST_PASSWORD } from '../support/org.js';
import { createOwnDatabase, type OwnDatabase } from '../support/own-database.js';
import { startStack, type TestStack } from '../support/stack.js';

const GK = 'GK';
const ZWK = 'ZWK';
const HLB = 'HLB';
const YWK = 'YWK';
const USERS = {
  agent: { username: 'zhangli', name: '张丽', role: 'agent', dept: GK },
  clinicalHead: { username: 'wangjianguo', name: '王建国', role: 'dept_head', dept: GK },
  facilitiesHead: { username: 'liuzhiqiang', name: '刘志强', role: 'dept_head', dept: ZWK },
  nursingHead: { username: 'zhaomin', name: '赵敏', role: 'dept_head', dept: HLB },
  manager: { username: 'chenlixin', name: '陈立新', role: 'manager', dept: null },
  admin: { username: 'zhouming', name: '周明', role: 'admin', dept: null },
} as const;
const USERNAMES = Object.values(USERS).map((u) => u.username);
/** The hospital's own numbers: tickets FK20261130-00001. */
const TICKET_NUMBER = /FK\d{8}-\d{5}/;

const QUESTIONS = [
  { id: 'pain', text: '目前伤口疼痛程度如何?(1 不痛 – 5 剧痛)', type: 'rating' },
  { id: 'fever', text: '出院后体温是否在38℃以上?', type: 'yes_no', redFlag: { op: 'eq', value: true } },
  { id: 'wound', text: '伤口是否有渗液、红肿?', type: 'yes_no', redFlag: { op: 'eq', value: true } },
];
const PATIENTS = [
  { name: '赵文华', encounterId: '2026112701', patientId: '0080001', phone: '13812341231' },
  { name: '钱晓梅', encounterId: '2026112702', patientId: '0080002', phone: '13812341232' },
  { name: '孙丽华', encounterId: '2026112703', patientId: '0080003', phone: '13812341233' },
  { name: '李春燕', encounterId: '2026112704', patientId: '0080004', phone: '13812341234' },
];
/** Where the first patient lay: what 总务科 needs to fix the air conditioning. */
const STAY = { ward: '骨科二病区', room: '12', bed: '3' };
const NOTE = '昨晚起发热 38.5℃，已嘱来院复查';
const CANNED = '术后 1 个月、3 个月回骨科门诊复查拍片。';
const PRAISE = '感谢管床护士每天耐心换药';
const AIRCON = '病房空调坏了 3 天没人修';
const RUDE = '夜班护士说话很冲，态度冷淡';

interface Task {
  id: string;
  patientId: string;
  name: string;
}

describe('each role walks its path in a browser (issue 15)', () => {
  let db: OwnDatabase;
  let temporal: RunningDevServer;
  let ui: string;
  let stack: TestStack;
  let web: BrowserStack;
  let sims: Simulators;
  let base: string;
  const tasks: Task[] = [];
  let airconTicket: { id: string; number: string };
  let redFlagTicket: { id: string; number: string };
  let rudeTicket: { id: string; number: string };
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    const env = loadEnv({ NODE_ENV: 'test' });
    const uiPort = await freePort();
    let port = await freePort();
    while (port === uiPort) port = await freePort();
    [db, temporal] = await Promise.all([
      createOwnDatabase('role_walks'),
      findOrBuildTemporalCli(() => {}).then((cli) => startTemporalDevServer({ cli, port, uiPort, namespace: env.TEMPORAL_NAMESPACE })),
    ]);
    ui = `http://127.0.0.1:${uiPort}`;
    // The phone integration (Twilio Voice, simulated) so the ticket page offers 回电患者; the
    // worker keeps no message channels (the portal lists are what the walks read).
    sims = await startSimulators({
      ...DEV_SIMULATOR_CREDENTIALS,
      publicBaseUrl: 'https://suifang.example.test',
      deliver: async (url, init) => {
        const u = new URL(url);
        return stack.app.request(`${u.pathname}${u.search}`, init);
      },
    });
    const voiceEnv = {
      TELEPHONY: 'twilio' as const,
      TWILIO_ACCOUNT_SID: sims.env.TWILIO_ACCOUNT_SID,
      TWILIO_AUTH_TOKEN: sims.env.TWILIO_AUTH_TOKEN,
      TWILIO_FROM_NUMBER: sims.env.TWILIO_FROM_NUMBER,
      TWILIO_API_BASE_URL: sims.env.TWILIO_API_BASE_URL,
    };
    stack = await startStack({
      worker: true,
      web: true,
      env: { CODEC_CORS_ORIGIN: ui, ...voiceEnv },
      servers: { databaseUrl: db.url, appDatabaseUrl: db.appUrl, temporalAddress: temporal.address },
    });
    const sql = stack.sql;

    await sql`INSERT INTO departments (code, name, kind) VALUES
      (${GK}, '骨科', 'clinical'), (${ZWK}, '总务科', 'functional'), (${HLB}, '护理部', 'functional'), (${YWK}, '医务科', 'functional')`;
    const hash = await hashPassword(TEST_PASSWORD);
    for (const u of Object.values(USERS)) {
      await sql`INSERT INTO users (username, display_name, role, department_code, password_hash)
                VALUES (${u.username}, ${u.name}, ${u.role}, ${u.dept}, ${hash})`;
    }
    // Facilities complaints go to 总务科; medical quality to 医务科, where nobody works yet (the
    // routing page warns); service attitude stays with the patient's department and is due in seconds.
    await sql`UPDATE feedback_routes SET department_code = ${ZWK} WHERE category = 'environment'`;
    await sql`UPDATE feedback_routes SET department_code = ${YWK} WHERE category = 'medical_quality'`;
    await sql`UPDATE feedback_routes SET sla_seconds = 3 WHERE category = 'service_attitude'`;

    await sql`INSERT INTO question_templates (code, version, department_code, name, questions)
              VALUES ('gk_postop', 1, ${GK}, '骨科术后随访', ${sql.json(QUESTIONS)})`;
    const touchpoints = [
      { offsetSeconds: 1, templateCode: 'gk_postop', channel: 'phone', maxAttempts: 3, retryAfterSeconds: 3600 },
      { offsetSeconds: 7 * 86_400, templateCode: 'gk_postop', channel: 'phone', maxAttempts: 3, retryAfterSeconds: 3600 },
    ];
    await sql`INSERT INTO follow_up_rules (department_code, name, greeting_text, touchpoints)
              VALUES (${GK}, '骨科术后电话随访', '您好,祝您早日康复!', ${sql.json(touchpoints)})`;

    const now = Date.now();
    for (const [i, p] of PATIENTS.entries()) {
      const body = dischargeBody(GK, {
        encounterId: p.encounterId,
        dischargedAt: new Date(now - (PATIENTS.length - i) * 5_000).toISOString(),
        ...(i === 0 ? STAY : {}),
      });
      await stack.services.discharges.ingestJson(
        JSON.stringify({ ...body, patient: { ...body.patient, id: p.patientId, name: p.name, phone: p.phone } }),
      );
    }
    const rows = await waitFor(
      async () => {
        const found = await sql<Task[]>`
          SELECT t.id, t.patient_id AS "patientId", p.name FROM follow_up_tasks t JOIN patients p ON p.id = t.patient_id ORDER BY t.due_at`;
        return found.length === PATIENTS.length ? found : undefined;
      },
      60_000,
      'the follow-up workflows to open the tasks',
    );
    tasks.push(...rows);
    // 常用问题快捷回复, kept by the admin for 骨科.
    const { user: admin } = await stack.services.auth.login({ username: USERS.admin.username, password: TEST_PASSWORD }, {});
    await stack.services.cannedReplies.save(admin, { departmentCode: GK, topic: 'medication', title: '术后复查时间', body: CANNED }, {});

    web = await serveInBrowser(stack);
    base = web.base;
  }, 300_000);

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    await web?.close();
    await stack?.stop();
    await sims?.close();
    await temporal?.stop();
    await db?.drop();
  });

  const signIn = (who: keyof typeof USERS) => signedInPage(web, USERS[who].username, TEST_PASSWORD);
  const pathOf = (page: Page) => new URL(page.url()).pathname;

  async function ticketOf(category: string): Promise<{ id: string; number: string }> {
    return waitFor(async () => {
      const [row] = await stack.sql<{ id: string; number: string }[]>`SELECT id, number FROM tickets WHERE category = ${category}`;
      return row;
    }, 20_000, `the ${category} ticket`);
  }

  it('agent: follow-up with feedback, the ticket it became, the log, 标红, the patient page', async () => {
    const walk = walkOf('agent', { allow: USERNAMES });
    const page = await signIn('agent');
    expect(pathOf(page)).toBe('/agent');
    await page.locator('[data-testid=task-table] tbody tr').nth(PATIENTS.length - 1).waitFor();
    await walk.visit(page, 'today');

    // The first patient: a fever (red flag), a note, and a complaint about the ward's air conditioning.
    await page.locator(`[data-testid=task-table] tbody tr[data-task-id="${tasks[0]!.id}"]`).getByRole('link').first().click();
    await page.getByRole('heading', { level: 1, name: new RegExp(`^${tasks[0]!.name}`) }).waitFor();
    await walk.visit(page, 'task');
    await page.locator('fieldset[data-question=pain]').getByLabel('3').check();
    await page.locator('fieldset[data-question=fever]').getByLabel('是').check();
    await page.locator('fieldset[data-question=wound]').getByLabel('否').check();
    const note = page.getByLabel('备注（可选）');
    await note.fill(`${NOTE}\n`);
    // A canned reply (Alt+K) into the note, at the caret.
    await note.press('End');
    await page.keyboard.press('Alt+k');
    const canned = page.getByRole('dialog', { name: '快捷回复' });
    await canned.waitFor();
    await page.keyboard.type('复查');
    await expect.poll(() => canned.getByRole('option').allInnerTexts()).toEqual([expect.stringContaining('术后复查时间')]);
    await walk.visit(page, 'task-canned-reply');
    await page.keyboard.press('Enter');
    await canned.waitFor({ state: 'detached' });
    expect(await note.inputValue()).toBe(`${NOTE}\n${CANNED}`);
    await page.keyboard.press('Alt+f');
    await page.getByLabel('类别').selectOption({ label: '环境设施' });
    await page.getByLabel('子类').selectOption({ label: '空调/设施损坏' });
    await page.getByLabel('内容').fill(AIRCON);
    await walk.visit(page, 'task-feedback-form');
    await page.keyboard.press('Alt+1');
    await page.waitForURL((url) => url.pathname === `/tasks/${tasks[0]!.id}` && url.searchParams.get('saved') === '1');
    const opened = page.getByTestId('opened-tickets');
    await opened.waitFor();
    airconTicket = await ticketOf('environment');
    redFlagTicket = await ticketOf('red_flag');
    const openedText = await opened.innerText();
    expect(openedText).toContain(airconTicket.number);
    expect(openedText).toContain('总务科');
    expect(openedText).toMatch(/前处理/);
    await walk.visit(page, 'task-saved', { allow: [TICKET_NUMBER] });

    // The follow-up's log names the ticket too.
    await page.getByRole('link', { name: '流程详情' }).click();
    await page.waitForURL((url) => url.pathname === `/tasks/${tasks[0]!.id}/follow-up`);
    await page.locator('[data-testid=history]').waitFor();
    await expect.poll(async () => page.locator('[data-testid=history]').innerText(), { timeout: 20_000 }).toContain(airconTicket.number);
    await walk.visit(page, 'follow-up-log', { allow: [TICKET_NUMBER] });

    // The ticket it became.
    await page.goto(`${base}/tasks/${tasks[0]!.id}?saved=1`);
    await page.getByTestId('opened-tickets').getByRole('link', { name: airconTicket.number }).click();
    await page.waitForURL((url) => url.pathname === `/tickets/${airconTicket.id}`);
    await page.getByTestId('ticket-department').waitFor();
    expect(await page.getByTestId('ticket-department').innerText()).toBe('总务科');
    await walk.visit(page, 'ticket', { allow: [TICKET_NUMBER] });

    // The second patient complains about a nurse (due back in seconds: the manager chases it later).
    await page.goto(`${base}/tasks/${tasks[1]!.id}`);
    await page.getByRole('heading', { level: 1, name: new RegExp(`^${tasks[1]!.name}`) }).waitFor();
    await page.locator('fieldset[data-question=pain]').getByLabel('2').check();
    await page.locator('fieldset[data-question=fever]').getByLabel('否').check();
    await page.locator('fieldset[data-question=wound]').getByLabel('否').check();
    await page.keyboard.press('Alt+f');
    await page.getByLabel('类别').selectOption({ label: '服务态度' });
    await page.getByLabel('内容').fill(RUDE);
    await page.keyboard.press('Alt+1');
    await page.waitForURL((url) => url.pathname === `/tasks/${tasks[1]!.id}` && url.searchParams.get('saved') === '1');
    await page.getByTestId('opened-tickets').waitFor();
    rudeTicket = await ticketOf('service_attitude');
    expect(await page.getByTestId('opened-tickets').innerText()).toContain(rudeTicket.number);

    // The third patient: marked urgent by hand, and listed first.
    await page.goto(`${base}/tasks/${tasks[2]!.id}`);
    await page.getByLabel('标红说明').fill('家属来电说患者伤口红肿，需尽快回电');
    await page.getByRole('button', { name: '标红（紧急）' }).click();
    await page.locator('.page-head .badge.urgent', { hasText: '紧急' }).waitFor();
    await walk.visit(page, 'task-urgent');
    await page.goto(`${base}/agent`);
    const first = page.locator('[data-testid=task-table] tbody tr').first();
    await first.waitFor();
    expect(await first.getAttribute('data-task-id')).toBe(tasks[2]!.id);
    expect(await first.getAttribute('class')).toContain('urgent');
    await walk.visit(page, 'today-urgent-first');

    // The fourth patient praises a nurse: information for 骨科, not a ticket.
    await page.goto(`${base}/tasks/${tasks[3]!.id}`);
    await page.getByRole('heading', { level: 1, name: new RegExp(`^${tasks[3]!.name}`) }).waitFor();
    await page.locator('fieldset[data-question=pain]').getByLabel('1').check();
    await page.locator('fieldset[data-question=fever]').getByLabel('否').check();
    await page.locator('fieldset[data-question=wound]').getByLabel('否').check();
    await page.keyboard.press('Alt+f');
    await page.getByLabel('表扬').check();
    await page.getByLabel('涉及方面').selectOption({ label: '服务态度' });
    await page.getByLabel('内容').fill(PRAISE);
    await walk.visit(page, 'task-praise-form');
    await page.keyboard.press('Alt+1');
    await page.waitForURL((url) => url.pathname === `/tasks/${tasks[3]!.id}` && url.searchParams.get('saved') === '1');
    await page.getByTestId('routed-feedback').waitFor();
    expect(await page.getByTestId('routed-feedback').innerText()).toContain('表扬已转');
    await walk.visit(page, 'task-praise-saved');
    const [praise] = await stack.sql<{ kind: string }[]>`SELECT kind FROM feedback_records WHERE task_id = ${tasks[3]!.id}`;
    expect(praise!.kind).toBe('praise');

    // The patient page: departments by name, encounters, follow-ups with their answers, tickets.
    await page.goto(`${base}/patients/${tasks[0]!.patientId}`);
    await page.getByRole('heading', { level: 1, name: new RegExp(tasks[0]!.name) }).waitFor();
    const patientText = await page.locator('main').innerText();
    expect(patientText).toContain('骨科');
    expect(patientText).toContain('38℃以上');
    expect(patientText).toContain(airconTicket.number);
    // The red flag raised from the agent's own follow-up is listed too (the workflow raised it, not the agent).
    expect(patientText).toContain(redFlagTicket.number);
    expect(patientText).toContain(PATIENTS[0]!.encounterId);
    await walk.visit(page, 'patient', { allow: [TICKET_NUMBER] });
    // ...and the agent may open it: what the department was told, from the agent's own call.
    await page.locator('main').getByRole('link', { name: redFlagTicket.number }).click();
    await page.waitForURL((url) => url.pathname === `/tickets/${redFlagTicket.id}`);
    await page.getByTestId('red-flag-answers').waitFor();
    await walk.visit(page, 'red-flag-ticket', { allow: [TICKET_NUMBER] });

    // 出院患者.
    await page.goto(`${base}/agent/discharges`);
    await page.locator('h1').waitFor();
    await walk.visit(page, 'discharges');
  });

  it('department head of 总务科 (functional): lands on the ticket inbox and resolves the facilities ticket', async () => {
    const walk = walkOf('facilities-head', { allow: USERNAMES });
    const page = await signIn('facilitiesHead');
    expect(pathOf(page)).toBe('/tickets');
    const row = page.locator(`[data-testid=ticket-table] tbody tr[data-ticket-id="${airconTicket.id}"]`);
    await row.waitFor();
    await walk.visit(page, 'inbox', { allow: [TICKET_NUMBER] });
    await row.getByRole('link', { name: airconTicket.number }).click();
    await page.waitForURL((url) => url.pathname === `/tickets/${airconTicket.id}`);
    const facts = page.getByTestId('ticket-facts');
    await facts.waitFor();
    // What 总务科 needs to act: who, the complaint, its deadline.
    expect(await facts.innerText()).toContain(tasks[0]!.name);
    expect(await facts.innerText()).toContain('SLA');
    expect(await page.getByTestId('ticket-feedback').innerText()).toContain(AIRCON);
    // Where to go: the ward and bed, and the department that discharged the patient.
    const stay = await page.getByTestId('ticket-stay').innerText();
    expect(stay).toContain(`${STAY.ward} · ${STAY.room} 室 · ${STAY.bed} 床`);
    expect(stay).toMatch(/出院科室\s*骨科/);
    // A way to call the patient back, through the phone integration.
    await page.getByRole('button', { name: /回电患者/ }).waitFor();
    await walk.visit(page, 'ticket', { allow: [TICKET_NUMBER] });
    await page.getByRole('button', { name: '受理' }).click();
    await page.locator('[data-testid=ticket-status]', { hasText: '处理中' }).waitFor();
    await page.getByLabel('处理结果').fill('已更换病房空调，并电话告知患者');
    await page.getByRole('button', { name: '解决' }).click();
    await page.locator('[data-testid=ticket-status]', { hasText: '已解决' }).waitFor();
    await walk.visit(page, 'ticket-resolved', { allow: [TICKET_NUMBER] });
  });

  it('agent, later: 待回访评价 lists the resolved ticket; a low rating asks why', async () => {
    const walk = walkOf('agent-rating', { allow: USERNAMES });
    const page = await signIn('agent');
    await page.getByRole('link', { name: '待回访评价' }).click();
    const row = page.locator(`[data-testid=ticket-table] tbody tr[data-ticket-id="${airconTicket.id}"]`);
    await row.waitFor();
    await walk.visit(page, 'rating-queue', { allow: [TICKET_NUMBER] });
    await row.getByRole('link', { name: airconTicket.number }).click();
    await page.getByTestId('rating-form').waitFor();
    await page.getByTestId('rating-form').getByLabel('2', { exact: true }).check();
    await page.getByRole('button', { name: '记录评价' }).click();
    // 1–2 without a reason is refused, saying so.
    await page.locator('.field-error').first().waitFor();
    await walk.visit(page, 'rating-needs-reason', { allow: [TICKET_NUMBER] });
    await page.getByTestId('rating-form').getByLabel('2', { exact: true }).check();
    await page.getByLabel(/不满意的原因/).fill('修了一天才修好，晚上很热');
    await page.getByRole('button', { name: '记录评价' }).click();
    await page.getByText('已记录患者评价 2 分').waitFor();
    await walk.visit(page, 'rated', { allow: [TICKET_NUMBER] });
    const [ticket] = await stack.sql<{ rating: number }[]>`SELECT rating FROM tickets WHERE id = ${airconTicket.id}`;
    expect(ticket!.rating).toBe(2);
  });

  it('department head of 骨科 (clinical): lands on the dashboard and sees the red flag with its answers and note', async () => {
    const walk = walkOf('clinical-head', { allow: USERNAMES });
    const page = await signIn('clinicalHead');
    expect(pathOf(page)).toBe(`/departments/${GK}`);
    await page.locator('main').getByText(redFlagTicket.number).first().waitFor();
    await walk.visit(page, 'dashboard', { allow: [TICKET_NUMBER] });
    await page.locator('main').getByRole('link', { name: redFlagTicket.number }).first().click();
    await page.waitForURL((url) => url.pathname === `/tickets/${redFlagTicket.id}`);
    await page.getByTestId('ticket-facts').waitFor();
    const text = await page.locator('main').innerText();
    // The question that raised the red flag, by its text, with the answer; and the agent's note.
    expect(text).toContain('38℃以上');
    expect(await page.getByTestId('red-flag-answers').innerText()).toMatch(/38℃以上[\s\S]*是/);
    expect(await page.getByTestId('agent-note').innerText()).toContain(NOTE);
    await page.getByRole('button', { name: /回电患者/ }).waitFor();
    await walk.visit(page, 'red-flag-ticket', { allow: [TICKET_NUMBER] });
    await page.getByRole('link', { name: '工单收件箱' }).click();
    await page.locator('[data-testid=ticket-table]').waitFor();
    await walk.visit(page, 'inbox', { allow: [TICKET_NUMBER] });
    // The praise reached 骨科 as information: no deadline, and no ticket.
    await page.goto(`${base}/departments/${GK}`);
    const info = page.getByTestId('feedback-info');
    await info.waitFor();
    expect(await info.innerText()).toContain(PRAISE);
    expect(await info.innerText()).toContain('无处理时限');
    expect(await stack.sql`SELECT 1 FROM tickets WHERE source_task_id = ${tasks[3]!.id}`).toHaveLength(0);
    await walk.visit(page, 'dashboard-praise', { allow: [TICKET_NUMBER] });
  });

  it('manager: finds the overdue ticket, chases it (督办) and reassigns it to 护理部', async () => {
    const walk = walkOf('manager', { allow: USERNAMES });
    await waitFor(async () => {
      const [t] = await stack.sql<{ escalation_level: number }[]>`SELECT escalation_level FROM tickets WHERE id = ${rudeTicket.id}`;
      return (t?.escalation_level ?? 0) > 0 || undefined;
    }, 30_000, 'the service-attitude ticket to pass its deadline');
    const page = await signIn('manager');
    expect(pathOf(page)).toBe('/management');
    await page.locator('h1').waitFor();
    await walk.visit(page, 'overview', { allow: [TICKET_NUMBER] });
    await page.getByRole('link', { name: '全院工单' }).click();
    const row = page.locator(`[data-testid=ticket-table] tbody tr[data-ticket-id="${rudeTicket.id}"]`);
    await row.waitFor();
    expect(await row.locator('[data-testid=sla]').innerText()).toMatch(/已超时/);
    await walk.visit(page, 'tickets', { allow: [TICKET_NUMBER] });
    await row.getByRole('link', { name: rudeTicket.number }).click();
    await page.getByTestId('chase-form').waitFor();
    await walk.visit(page, 'ticket', { allow: [TICKET_NUMBER] });
    await page.getByTestId('chase-form').locator('textarea').fill('患者投诉已超时，请今天内回复');
    await page.getByRole('button', { name: '督办' }).click();
    await page.getByText('已督办').first().waitFor();
    await page.locator('[data-testid=timeline]', { hasText: '请今天内回复' }).waitFor();
    await walk.visit(page, 'chased', { allow: [TICKET_NUMBER] });
    const transfer = page.getByTestId('transfer-actions');
    await transfer.getByLabel('转至科室').selectOption({ label: '护理部' });
    await transfer.getByLabel('转科原因').fill('护理服务问题，归护理部处理');
    await transfer.getByRole('button', { name: '转派' }).click();
    await page.locator('[data-testid=ticket-department]', { hasText: '护理部' }).waitFor();
    await walk.visit(page, 'reassigned', { allow: [TICKET_NUMBER] });
    const audited = await stack.sql<{ action: string }[]>`
      SELECT action FROM audit_log WHERE actor_username = ${USERS.manager.username} ORDER BY at`;
    expect(audited.map((a) => a.action)).toEqual(expect.arrayContaining([expect.stringMatching(/chase/), expect.stringMatching(/transfer|reassign/)]));
    await page.getByRole('link', { name: '流程监控' }).click();
    await page.locator('h1').waitFor();
    await walk.visit(page, 'workflows', { allow: [TICKET_NUMBER] });
  });

  it('admin: users, the routing page warning about 医务科, the audit log in Chinese', async () => {
    const walk = walkOf('admin', { allow: USERNAMES });
    const page = await signIn('admin');
    await page.goto(`${base}/admin/users`);
    await page.locator('main').getByText(USERS.facilitiesHead.name).first().waitFor();
    await walk.visit(page, 'users');
    await page.getByRole('link', { name: '投诉分派' }).click();
    const warning = page.getByTestId('unstaffed-medical_quality');
    await warning.waitFor();
    expect(await warning.innerText()).toContain('医务科');
    await walk.visit(page, 'routing');
    await page.getByRole('link', { name: '审计日志' }).click();
    await page.waitForURL((url) => url.pathname === '/admin/audit');
    // The URL changes before the page does: wait for the audit page itself.
    await page.locator('main h1', { hasText: '审计日志' }).waitFor();
    await page.locator('main table').first().waitFor();
    const audit = await page.locator('main').innerText();
    expect(audit).toContain('督办');
    // The command that verifies the hash chain is typed as it is.
    await walk.visit(page, 'audit', { allow: [TICKET_NUMBER, 'npm run audit:verify'] });
    await page.getByRole('link', { name: '科室', exact: true }).click();
    await page.locator('main').getByText('总务科').first().waitFor();
    // Where departments are kept, their codes (what HIS mappings and routes refer to) are data of their own.
    await walk.visit(page, 'departments', { allow: [GK, ZWK, HLB, YWK] });
  });

  it("supervisor: the Temporal UI names the follow-up in Chinese and what it waits for", async () => {
    const walk = walkOf('supervisor', { allow: USERNAMES });
    const page = await signIn('manager');
    const workflowId = followUpWorkflowId(PATIENTS[0]!.encounterId);
    const { runId } = await stack.temporal.workflow.getHandle(workflowId).describe();
    const history = `${ui}/namespaces/${encodeURIComponent(stack.env.TEMPORAL_NAMESPACE)}/workflows/${encodeURIComponent(workflowId)}/${runId}/history`;
    // The README's path: Data Encoder → the portal's /api/codec → include cross-origin credentials.
    await page.goto(history);
    await page.getByTestId('data-encoder-status').click();
    await page.getByPlaceholder('Paste your endpoint here').fill(`${base}/api/codec`);
    await page.getByText('Include cross-origin credentials').click();
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.goto(history);
    // The timeline: each timer says what it waits for, none reads "1 (1d)".
    const timers = page.getByText(/^等待第 2 次随访/).filter({ visible: true });
    await expect.poll(() => timers.count(), { timeout: 30_000 }).toBeGreaterThan(0);
    // Activities by what they do (their summaries), not openTask / planFollowUp.
    const opened = page.getByText(/^生成随访任务/).filter({ visible: true });
    await expect.poll(() => opened.count(), { timeout: 30_000 }).toBeGreaterThan(0);
    const watch = page.getByText(/^第 1 次随访待客服致电/).filter({ visible: true }).first();
    await watch.waitFor();
    await walk.visit(page, 'follow-up-history', { within: timers.first() });
    await expectNoInternalCodes(watch);
    // Summary and details, in Chinese, naming the department and what it waits for now.
    await page.getByText('User Metadata', { exact: true }).click();
    await page.waitForURL((url) => url.pathname.endsWith('/user-metadata'));
    // The UI renders summary and details (Markdown) each in a frame of its own.
    const framed = async (needle: string) =>
      waitFor(async () => {
        const frames = page.locator('iframe');
        for (let i = 0; i < (await frames.count()); i++) {
          const body = frames.nth(i).contentFrame().locator('body');
          if (((await body.textContent().catch(() => '')) ?? '').includes(needle)) return body;
        }
        return undefined;
      }, 30_000, `a frame saying ${needle}`);
    const summary = await framed('出院随访 · 骨科 · 就诊号 2026112701');
    const details = await framed('生成任务');
    expect(await details.textContent()).toContain('第 2 次随访（电话）');
    await expectNoInternalCodes(details, { allow: [PATIENTS[0]!.encounterId] });
    await walk.visit(page, 'follow-up-summary-details', { within: summary, allow: [PATIENTS[0]!.encounterId] });
  });

  it('patient on a phone: the survey link and the queue page fit 360 px and speak Chinese', async () => {
    const walk = walkOf('patient');
    // A survey link sent for the third patient's follow-up.
    const token = 'walkSurveyToken0123456789abcdefX'.slice(0, 32);
    const task = tasks[2]!;
    const [message] = await stack.sql<{ id: string }[]>`
      INSERT INTO outbound_messages (workflow_id, step, patient_id, channel, body, status)
      VALUES (${followUpWorkflowId(PATIENTS[2]!.encounterId)}, 'survey-walk', ${task.patientId}, 'sms', '请填写随访问卷', 'sent') RETURNING id`;
    await stack.sql`INSERT INTO survey_links (token_hash, message_id, task_id, expires_at)
                    VALUES (${tokenHash(token)}, ${message!.id}, ${task.id}, now() + interval '7 days')`;

    // Checked in at today's 骨科 clinic, second in line.
    const at = (seconds: number) => new Date(Date.now() + seconds * 1000);
    const [session] = await stack.sql<{ id: string }[]>`
      INSERT INTO clinic_sessions (expert_name, department_code, session_date, registration_opens_at, starts_at, ends_at, slot_minutes, grace_minutes)
      VALUES ('李明', ${GK}, current_date, ${at(-3600)}, ${at(-1800)}, ${at(1800)}, 60, 0) RETURNING id`;
    await stack.sql`INSERT INTO clinic_slots (session_id, slot_index, starts_at, ends_at, appointment_quota)
                    VALUES (${session!.id}, 0, ${at(-1800)}, ${at(1800)}, 5)`;
    const appointments: { number: string; short_code: string }[] = [];
    for (const [i, t] of [tasks[1]!, task].entries()) {
      const number = `AP2026113000${i}${i}`;
      const [a] = await stack.sql<{ number: string; short_code: string }[]>`
        INSERT INTO appointments (number, session_id, slot_index, patient_id, status, prepaid, prepayment_ref, checked_in_at, arrival, workflow_id)
        VALUES (${number}, ${session!.id}, 0, ${t.patientId}, 'checked_in', true, ${`PAY-${i}`}, ${at(-300 + i * 100)}, 'on_time', ${`appointment-${number}`})
        RETURNING number, short_code`;
      appointments.push(a!);
    }
    const mine = appointments[1]!;

    for (const [i, viewport] of [{ width: 360, height: 740 }, { width: 390, height: 844 }].entries()) {
      const context = await web.browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport, isMobile: true, hasTouch: true });
      contexts.push(context);
      const page = await context.newPage();
      const fits = async () => expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(viewport.width);

      await page.goto(`${base}/s/${token}`);
      await page.locator('h1', { hasText: '出院随访问卷' }).waitFor();
      await fits();
      await walk.visit(page, `survey-${viewport.width}`);
      if (i === 1) {
        // The larger phone answers: the questions by their text, then the thank-you page.
        await page.locator('fieldset', { hasText: '疼痛程度' }).getByRole('radio', { name: '2', exact: true }).check();
        await page.locator('fieldset', { hasText: '38℃以上' }).getByRole('radio', { name: '否', exact: true }).check();
        await page.locator('fieldset', { hasText: '渗液' }).getByRole('radio', { name: '否', exact: true }).check();
        await page.getByRole('button', { name: '提交' }).tap();
        await page.locator('h1', { hasText: '提交成功' }).waitFor();
        await fits();
        await walk.visit(page, `survey-thanks-${viewport.width}`);
      }

      await page.goto(`${base}/queue/${mine.number}?code=${mine.short_code}`);
      await page.getByTestId('my-number').waitFor();
      expect(await page.getByTestId('my-number').innerText()).toBe(mine.number);
      await fits();
      const myNumber = await page.getByTestId('my-number').boundingBox();
      expect(myNumber!.x + myNumber!.width).toBeLessThanOrEqual(viewport.width);
      await walk.visit(page, `queue-${viewport.width}`, { allow: [mine.number, mine.short_code] });
    }
  });
});
