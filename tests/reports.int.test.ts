/**
 * Management reports end to end: follow-ups and tickets driven through the real workflows (a
 * department of its own, tasks due seconds after discharge), the rollup brought up to date by
 * reportRollupWorkflow, then the reports, the drill-down, the exports and the monthly archive show
 * exactly those records — to each viewer as far as their rights go.
 */
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../domain/access.js';
import type { ReportData } from '../domain/reports/data.js';
import { monthlyReportStart, reportExportWorkflowId, type ExportProgress } from '../workflows/reports/contracts.js';
import { executeWorkflow } from '../workflows/shared/start.js';
import { currentMonth } from '../services/reports.js';
import { ensureReportSchedules, MONTHLY_REPORT_SCHEDULE_ID, REPORT_ROLLUP_SCHEDULE_ID } from '../worker/report-schedules.js';
import { waitFor } from './support/follow-up-fixtures.js';
import { createTestOrg, signIn, TEST_PASSWORD, type TestOrg } from './support/org.js';
import { driveReportMonth } from './support/report-fixtures.js';
import { startStack, uniq, type TestStack } from './support/stack.js';

let stack: TestStack;
let org: TestOrg;
const users: Record<string, Principal> = {};
const month = currentMonth();
const period = { from: month, to: month };

let tickets: { id: string; subtag: string }[] = [];

beforeAll(async () => {
  stack = await startStack({ worker: true });
  org = await createTestOrg(stack.sql);
  for (const key of ['agentA', 'agentB', 'headA', 'staffB', 'manager', 'admin'] as const) {
    users[key] = (await stack.services.auth.login({ username: org.users[key].username, password: TEST_PASSWORD }, {})).user;
  }
  ({ tickets } = await driveReportMonth(stack, org, { agentA: users.agentA!, headA: users.headA! }));
}, 120_000);
afterAll(() => stack.stop());

describe('reports from the workflows’ records', () => {
  it('shows exactly the department’s follow-ups and tickets to management', async () => {
    const data = await stack.services.reports.collect(users.manager!, { report: 'dashboard', period, departmentCode: org.deptA });
    expect(data.scope).toBe('all');
    expect(data.satisfaction).toEqual([
      { departmentCode: org.deptA, name: expect.stringContaining('骨科'), points: [{ month, share: 0.5, n: 2 }], total: { share: 0.5, n: 2 } },
    ]);
    expect(data.followUps.departments).toEqual([
      expect.objectContaining({ departmentCode: org.deptA, due: 3, reached: 2, completed: 2, complete: 2, coverage: 2 / 3, completeness: 1, coverageMet: false, completenessMet: true }),
    ]);
    expect(data.followUps.trend).toEqual([{ month, coverage: 2 / 3, completeness: 1 }]);
    expect(data.tickets!.departments).toEqual([
      expect.objectContaining({ departmentCode: org.deptA, received: 2, resolved: 1, processingRate: 0.5, timelinessRate: 1, overdue: 0 }),
    ]);
    expect(data.tickets!.total.meanResolveHours).toBeGreaterThanOrEqual(0);
    expect(data.tickets!.total.meanResolveHours).toBeLessThan(0.1);
    // One resolved ticket: its time is the mean and the p90 alike, for the department and the total.
    expect(data.tickets!.total.p90ResolveHours).toBeCloseTo(data.tickets!.total.meanResolveHours!, 9);
    expect(data.tickets!.departments[0]!.p90ResolveHours).toBeCloseTo(data.tickets!.total.meanResolveHours!, 9);
    expect(data.topProblems).toEqual([
      {
        departmentCode: org.deptA,
        name: expect.any(String),
        tags: [
          // Equal counts: by name (pinyin), 排队 before 噪音.
          { rank: 1, tag: '排队时间长', count: 1, previous: 0, change: 1 },
          { rank: 2, tag: '噪音大', count: 1, previous: 0, change: 1 },
        ],
      },
    ]);
    expect(data.agents).toEqual([
      expect.objectContaining({ agentId: users.agentA!.id, name: 'agentA', completed: 2, due: 3, reached: 2, calls: 3, activeDays: 1, completedPerDay: 2 }),
    ]);
  });

  it('shows "no figure" for a department without records, never 0 %', async () => {
    const data = await stack.services.reports.collect(users.manager!, { report: 'dashboard', period, departmentCode: org.deptB });
    expect(data.satisfaction[0]!.points).toEqual([{ month, share: null, n: 0 }]);
    expect(data.tickets!.total).toMatchObject({ received: 0, processingRate: null, timelinessRate: null, p90ResolveHours: null });
    expect(data.followUps.total).toMatchObject({ due: 0, coverage: null, completeness: null });
    expect(data.topProblems).toEqual([]);
  });

  it('gives a department head their department and an agent their own figures only', async () => {
    const head = await stack.services.reports.collect(users.headA!, { report: 'dashboard', period, departmentCode: null });
    expect(head).toMatchObject({ scope: 'department', departmentCode: org.deptA });
    expect(head.satisfaction.map((s) => s.departmentCode)).toEqual([org.deptA]);
    await expect(stack.services.reports.collect(users.headA!, { report: 'dashboard', period, departmentCode: org.deptB })).rejects.toMatchObject({ status: 403 });
    await expect(stack.services.reports.collect(users.staffB!, { report: 'dashboard', period, departmentCode: null })).rejects.toMatchObject({ status: 403 });

    const mine = await stack.services.reports.collect(users.agentA!, { report: 'dashboard', period, departmentCode: null });
    expect(mine).toMatchObject({ scope: 'agent', tickets: null, topProblems: [] });
    expect(mine.agents.map((a) => a.agentId)).toEqual([users.agentA!.id]);
    expect(mine.satisfaction[0]!.total).toEqual({ share: 0.5, n: 2 });
    const other = await stack.services.reports.collect(users.agentB!, { report: 'dashboard', period, departmentCode: null });
    expect(other.agents).toEqual([]);
    expect(other.followUps.total.due).toBe(0);
  });

  it('drills down from a number to the records behind it, within the viewer’s rights', async () => {
    const unreached = await stack.services.reports.drill(users.manager!, { metric: 'follow-ups-unreached', period, departmentCode: org.deptA });
    expect(unreached).toMatchObject({ kind: 'tasks', total: 1 });
    expect(unreached.rows[0]).toMatchObject({ status: expect.any(String), patientName: '王秀英', href: expect.stringMatching(/^\/tasks\//) });
    const tagged = await stack.services.reports.drill(users.headA!, { metric: 'tickets-tag', period, departmentCode: org.deptA, tag: '噪音大' });
    expect(tagged.rows.map((r) => r.id)).toEqual([tickets.find((t) => t.subtag === '噪音大')!.id]);
    expect((await stack.services.reports.drill(users.headA!, { metric: 'tickets-resolved', period })).rows.map((r) => r.detail)).toEqual(['排队时间长']);
    await expect(stack.services.reports.drill(users.headA!, { metric: 'tickets-received', period, departmentCode: org.deptB })).rejects.toMatchObject({ status: 403 });
    // An agent's drill-down lists their own follow-ups only.
    expect((await stack.services.reports.drill(users.agentB!, { metric: 'follow-ups-due', period })).total).toBe(0);
    expect((await stack.services.reports.drill(users.agentA!, { metric: 'follow-ups-due', period })).total).toBe(3);
  });

  it('serves the same figures and exports over the API, with the same rights', async () => {
    const manager = await signIn(stack.app, org.users.manager.username);
    const res = await stack.app.request(`/api/reports/coverage?from=${month}&to=${month}&department=${org.deptA}`, { headers: { cookie: manager } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as ReportData).followUps.total).toMatchObject({ due: 3, reached: 2 });

    const bad = await stack.app.request(`/api/reports/coverage?from=2026-13`, { headers: { cookie: manager } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ problems: [{ field: 'from' }] });

    const xlsx = await stack.app.request(`/api/reports/assessment/export.xlsx?from=${month}&to=${month}&department=${org.deptA}`, { headers: { cookie: manager } });
    expect(xlsx.status).toBe(200);
    expect(decodeURIComponent(xlsx.headers.get('content-disposition')!)).toContain('示例医院_考核报表_骨科');
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(await xlsx.arrayBuffer());
    const sheet = book.getWorksheet('考核-科室工单')!;
    expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    expect(sheet.getRow(2).getCell(2).value).toBe(2); // received, a number
    expect(sheet.getRow(2).getCell(4)).toMatchObject({ value: 0.5, numFmt: '0.0%' });

    const head = await signIn(stack.app, org.users.headA.username);
    expect((await stack.app.request(`/api/reports/dashboard?department=${org.deptB}`, { headers: { cookie: head } })).status).toBe(403);
    const staff = await signIn(stack.app, org.users.staffB.username);
    expect((await stack.app.request('/api/reports/dashboard', { headers: { cookie: staff } })).status).toBe(403);
    expect((await stack.app.request('/api/reports/dashboard')).status).toBe(401);
  });

  it('exports through the export workflow with progress, for the user who asked only', async () => {
    const { job } = await stack.services.reports.startExport(users.headA!, { report: 'dashboard', period, departmentCode: null }, 'pdf', {});
    const done: ExportProgress = await stack.temporal.workflow.getHandle(reportExportWorkflowId(job)).result();
    expect(done).toMatchObject({ stage: 'done', percent: 100, fileName: expect.stringMatching(/^示例医院_管理驾驶舱_骨科.*\.pdf$/) });
    expect(await stack.services.reports.exportProgress(users.headA!, job)).toMatchObject({ stage: 'done', fileId: done.fileId });
    await expect(stack.services.reports.exportProgress(users.manager!, job)).rejects.toMatchObject({ status: 404 });
    const file = await stack.services.reports.file(users.headA!, done.fileId!);
    expect(file.content.subarray(0, 5).toString()).toBe('%PDF-');
    await expect(stack.services.reports.file(users.manager!, done.fileId!)).rejects.toMatchObject({ status: 403 });
  });

  it('keeps the rollups current by a Schedule and files the monthly report on the 1st by another', async () => {
    const [before] = await stack.sql<{ refreshed_at: Date }[]>`SELECT refreshed_at FROM report_rollup_state`;
    try {
      await ensureReportSchedules(stack.temporal, { taskQueue: stack.taskQueue, rollupEverySeconds: 3600 });
      const rollup = await stack.temporal.schedule.getHandle(REPORT_ROLLUP_SCHEDULE_ID).describe();
      expect(rollup.spec.intervals).toMatchObject([{ every: 3_600_000 }]);
      expect(rollup.action).toMatchObject({ type: 'startWorkflow', workflowType: 'reportRollupWorkflow', taskQueue: stack.taskQueue });
      const monthly = await stack.temporal.schedule.getHandle(MONTHLY_REPORT_SCHEDULE_ID).describe();
      expect(monthly.spec.timezone).toBe('Asia/Shanghai');
      expect(monthly.spec.calendars?.[0]).toMatchObject({ dayOfMonth: [{ start: 1, end: 1, step: 1 }], hour: [{ start: 6, end: 6, step: 1 }] });
      expect(monthly.action).toMatchObject({ type: 'startWorkflow', workflowType: 'monthlyReportWorkflow' });
      // Bring-up runs the rollup once at once.
      await waitFor(async () => {
        const [after] = await stack.sql<{ refreshed_at: Date }[]>`SELECT refreshed_at FROM report_rollup_state`;
        return after!.refreshed_at > before!.refreshed_at ? true : undefined;
      }, 20_000, 'the Schedule’s rollup run');
    } finally {
      for (const id of [REPORT_ROLLUP_SCHEDULE_ID, MONTHLY_REPORT_SCHEDULE_ID]) await stack.temporal.schedule.getHandle(id).delete().catch(() => {});
    }
  });

  it('archives the monthly report once and announces it to management', async () => {
    const first = await executeWorkflow(stack.temporal, stack.taskQueue, monthlyReportStart({ month }, `report-monthly-test-${uniq()}`));
    const again = await executeWorkflow(stack.temporal, stack.taskQueue, monthlyReportStart({ month }, `report-monthly-test-${uniq()}`));
    expect(again.fileId).toBe(first.fileId);
    expect((await stack.services.reports.archive(users.manager!)).filter((f) => f.periodFrom === month)).toEqual([
      expect.objectContaining({ id: first.fileId, fileName: expect.stringContaining('管理驾驶舱') }),
    ]);
    expect(await stack.services.reports.archive(users.headA!)).toEqual([]);
    const notices = await stack.sql`SELECT audience, body FROM staff_notifications WHERE dedupe_key = ${`report-monthly:${month}`}`;
    expect(notices).toEqual([{ audience: 'management', body: expect.stringContaining('月度报表已生成') }]);
  });
});
