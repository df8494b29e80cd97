/**
 * 管理报表 in a real (headless) Chromium at 1366×768: a manager opens the dashboard from the
 * navigation, changes the period (an empty month shows "—", never 0 %), drills down from a count
 * to the tickets behind it, and exports the report as .xlsx and PDF through the export workflow
 * while the page shows its progress. The .xlsx is parsed (exceljs); the PDF's first page is
 * rendered (pdftoppm) and must be neither blank nor missing the title's Chinese glyphs, judged
 * against a render of the same title in the same font and one in a font without Chinese glyphs.
 */
import { readFileSync } from 'node:fs';
import ExcelJS from 'exceljs';
import PDFDocument from 'pdfkit';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CJK_FONT_FACE, CJK_FONT_FILE } from '../../activities/reports/pdf.js';
import type { Principal } from '../../domain/access.js';
import { addMonths } from '../../domain/reports/period.js';
import { currentMonth } from '../../services/reports.js';
import { serveInBrowser, signedInPage, type BrowserStack } from '../support/browser-stack.js';
import { createTestOrg, TEST_PASSWORD, type TestOrg } from '../support/org.js';
import { inkInRows, rasterFirstPage } from '../support/pdf-raster.js';
import { driveReportMonth } from '../support/report-fixtures.js';
import { startStack, type TestStack } from '../support/stack.js';

/** Set to a folder to keep screenshots of the pages (e.g. E2E_SCREENSHOTS=/tmp). */
const SCREENSHOTS = process.env.E2E_SCREENSHOTS;
const TITLE = '示例医院 · 管理驾驶舱';

/** A one-page PDF with the report's title as renderPdf sets it (A4 landscape, 20 pt, centred), in the given font. */
function titlePdf(font: 'cjk' | 'Helvetica'): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'A4', layout: 'landscape', margin: 36 });
  if (font === 'cjk') doc.registerFont('cjk', CJK_FONT_FILE, CJK_FONT_FACE);
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve) => doc.on('end', () => resolve(Buffer.concat(chunks))));
  doc.font(font).fontSize(20).text(TITLE, { align: 'center' });
  doc.end();
  return done;
}

/** Title band of a page rendered at 50 dpi (the title sits 36–62 pt from the top). */
const titleInk = (pdf: Buffer) => inkInRows(rasterFirstPage(pdf), 20, 46);

describe('management reports in a browser', () => {
  let stack: TestStack;
  let web: BrowserStack;
  let org: TestOrg;
  let page: Page;
  let deptName: string;
  const month = currentMonth();

  beforeAll(async () => {
    stack = await startStack({ worker: true, web: true });
    org = await createTestOrg(stack.sql);
    const login = async (key: 'agentA' | 'headA'): Promise<Principal> =>
      (await stack.services.auth.login({ username: org.users[key].username, password: TEST_PASSWORD }, {})).user;
    await driveReportMonth(stack, org, { agentA: await login('agentA'), headA: await login('headA') });
    deptName = (await stack.sql<{ name: string }[]>`SELECT name FROM departments WHERE code = ${org.deptA}`)[0]!.name;
    web = await serveInBrowser(stack);
    page = await signedInPage(web, org.users.manager.username, TEST_PASSWORD);
    await page.setViewportSize({ width: 1366, height: 768 });
  }, 180_000);
  afterAll(async () => {
    await web?.close();
    await stack?.stop();
  });

  it('opens the dashboard from the navigation, filters by department and period', async () => {
    await page.getByRole('link', { name: '管理报表' }).click();
    await page.waitForURL(/\/reports/);
    await page.getByLabel('科室').selectOption(org.deptA);
    await page.getByLabel('开始月份').fill(month);
    await page.getByLabel('结束月份').fill(month);
    await page.getByRole('button', { name: '查询' }).click();
    await page.waitForURL((url) => url.searchParams.get('department') === org.deptA);
    const satisfaction = page.locator('section', { has: page.getByRole('heading', { name: '满意度趋势' }) });
    await expect.poll(() => satisfaction.locator('tbody tr').first().innerText()).toMatch(new RegExp(`${deptName}\\s+50\\.0%\\s+2`));
    // Both charts are drawn in the browser (ECharts on canvas).
    await expect.poll(() => page.locator('.chart canvas').count()).toBe(2);
    if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/reports-dashboard.png` });
    if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/reports-dashboard-full.png`, fullPage: true });

    // The month before has no records: "—", never 0 %.
    await page.getByLabel('开始月份').fill(addMonths(month, -1));
    await page.getByLabel('结束月份').fill(addMonths(month, -1));
    await page.getByRole('button', { name: '查询' }).click();
    await page.waitForURL((url) => url.searchParams.get('to') === addMonths(month, -1));
    await expect.poll(() => satisfaction.locator('tbody tr').first().innerText()).toMatch(/—\s+0/);
    await expect.poll(() => page.getByText('本期没有工单。').count()).toBe(1);

    await page.getByLabel('开始月份').fill(month);
    await page.getByLabel('结束月份').fill(month);
    await page.getByRole('button', { name: '查询' }).click();
    await page.waitForURL((url) => url.searchParams.get('to') === month);
  });

  it('drills down from a count to the tickets behind it', async () => {
    const card = page.locator('.tag-card', { hasText: deptName });
    await card.locator('li', { hasText: '噪音大' }).getByRole('link', { name: '1' }).click();
    await page.waitForURL(/\/reports\/drill/);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).innerText()).toContain('噪音大');
    const rows = page.locator('table.grid tbody tr');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().innerText()).toContain('噪音大');
    if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/reports-drill.png` });
    await page.getByRole('link', { name: '← 返回报表' }).click();
    await page.waitForURL((url) => url.pathname === '/reports' && url.searchParams.get('department') === org.deptA);
  });

  /** Starts an export, waits for the progress to end in a download link, and downloads the file. */
  async function exportFile(button: string, extension: 'xlsx' | 'pdf'): Promise<{ name: string; content: Buffer }> {
    await page.getByRole('button', { name: button }).click();
    // The previous export's link may still be on the page: wait for this one's.
    const link = page.getByRole('link', { name: new RegExp(`^下载 .+\\.${extension}$`) });
    await link.waitFor({ timeout: 60_000 });
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    const path = await download.path();
    return { name: download.suggestedFilename(), content: readFileSync(path) };
  }

  it('exports the dashboard as .xlsx: one sheet per table, numbers as numbers, percentages formatted, header frozen', async () => {
    const file = await exportFile('生成报表(Excel)', 'xlsx');
    expect(file.name).toBe(`示例医院_管理驾驶舱_${deptName}_${month.slice(0, 4)}年${Number(month.slice(5))}月.xlsx`);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(file.content as unknown as ArrayBuffer);
    expect(book.worksheets.map((s) => s.name)).toEqual(['满意度趋势', '高频问题TOP5', '考核-科室工单', '表扬与建议', '考核-客服', '覆盖率与完整率', '覆盖率与完整率-月度']);
    const coverage = book.getWorksheet('覆盖率与完整率')!;
    expect(coverage.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    const row = coverage.getRow(2);
    expect(row.getCell(1).value).toBe(deptName);
    expect([row.getCell(2).value, row.getCell(3).value]).toEqual([3, 2]);
    expect(row.getCell(4).value).toBeCloseTo(2 / 3);
    expect(row.getCell(4).numFmt).toBe('0.0%');
  });

  it('exports the dashboard as a PDF whose first page shows the charts and the Chinese title', async () => {
    await page.getByRole('button', { name: '生成报表(PDF)' }).waitFor();
    const file = await exportFile('生成报表(PDF)', 'pdf');
    expect(file.name).toMatch(/^示例医院_管理驾驶舱_.+\.pdf$/);
    if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/reports-export-done.png` });
    const image = rasterFirstPage(file.content);
    // Not blank, and more than a title: charts, lines and tables put ink below it.
    expect(inkInRows(image, 46, image.height)).toBeGreaterThan(3 * titleInk(file.content));
    // The title's glyphs are drawn: as much ink as the same text in the same font, and clearly
    // not what a font without Chinese glyphs draws.
    const [expected, tofu] = [titleInk(await titlePdf('cjk')), titleInk(await titlePdf('Helvetica'))];
    expect(Math.abs(expected - tofu) / expected).toBeGreaterThan(0.3);
    expect(titleInk(file.content) / expected).toBeGreaterThan(0.85);
    expect(titleInk(file.content) / expected).toBeLessThan(1.15);
  });

  it('shows a department head their department and an agent their own figures', async () => {
    const head = await signedInPage(web, org.users.headA.username, TEST_PASSWORD);
    await head.setViewportSize({ width: 1366, height: 768 });
    await head.getByRole('link', { name: '科室报表' }).click();
    await head.waitForURL(/\/reports/);
    await expect.poll(() => head.locator('.page-head .muted').innerText()).toContain(deptName);
    expect(await head.getByLabel('科室').count()).toBe(0); // no other department to choose
    expect(await head.getByText('全院', { exact: true }).count()).toBe(0);
    if (SCREENSHOTS) await head.screenshot({ path: `${SCREENSHOTS}/reports-head.png`, fullPage: true });

    const agent = await signedInPage(web, org.users.agentA.username, TEST_PASSWORD);
    await agent.setViewportSize({ width: 1366, height: 768 });
    await agent.getByRole('link', { name: '我的报表' }).click();
    await agent.waitForURL(/\/reports/);
    const mine = agent.locator('section', { has: agent.getByRole('heading', { name: '考核报表 · 客服' }) });
    await expect.poll(() => mine.locator('tbody tr').count()).toBe(1);
    expect(await mine.locator('tbody tr').innerText()).toContain('agentA');
    expect(await agent.getByRole('heading', { name: /高频问题/ }).count()).toBe(0);
    if (SCREENSHOTS) await agent.screenshot({ path: `${SCREENSHOTS}/reports-agent.png`, fullPage: true });
  });
});
