/**
 * A collected report as a PDF (pdfkit): Chinese text in an embedded CJK font (Noto Sans CJK), the
 * charts rendered server-side by ECharts as SVG and drawn as vectors (svg-to-pdfkit), then the
 * tables. A4 landscape.
 */
import { existsSync } from 'node:fs';
import * as echarts from 'echarts';
import PDFDocument from 'pdfkit';
import SVGtoPDF from 'svg-to-pdfkit';
import { coverageChartOption, satisfactionChartOption } from '../../domain/reports/charts.js';
import type { ReportData } from '../../domain/reports/data.js';
import { formatNumber, formatPercent, NO_VALUE } from '../../domain/reports/format.js';
import { monthLabel, periodLabel } from '../../domain/reports/period.js';
import { reportTables, type Cell, type ColumnType, type ReportTable } from '../../domain/reports/tables.js';
import { REPORT_LABELS } from '../../workflows/reports/contracts.js';

/** The CJK font (Debian/Ubuntu fonts-noto-cjk); REPORT_CJK_FONT may point elsewhere. */
export const CJK_FONT_FILE = process.env.REPORT_CJK_FONT ?? '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc';
/** The face inside the collection (simplified Chinese). */
export const CJK_FONT_FACE = process.env.REPORT_CJK_FONT_FACE ?? 'NotoSansCJKsc-Regular';
const FONT = 'cjk';

const PAGE = { width: 842, height: 595, margin: 36 };
/** Two charts side by side on the landscape page. */
const CHART = { width: 380, height: 250 };

function chartSvg(option: echarts.EChartsCoreOption): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: CHART.width, height: CHART.height });
  try {
    chart.setOption(option);
    // Labels carry a white halo drawn under the glyphs (paint-order), which svg-to-pdfkit ignores
    // and would paint over them: drop the halo.
    return chart.renderToSVGString().replace(/ stroke="[^"]*" stroke-width="[^"]*" paint-order="stroke"/g, '');
  } finally {
    chart.dispose();
  }
}

function cellText(cell: Cell, type: ColumnType): string {
  if (cell === null) return NO_VALUE;
  if (typeof cell === 'string') return cell;
  if (type === 'percent') return formatPercent(cell);
  if (type === 'decimal') return formatNumber(cell, 1);
  return String(cell);
}

/** The PDF keeps the last 12 months of a wide month-by-month table, and no per-month answer counts (they are in the .xlsx). */
function fitForPage(table: ReportTable): ReportTable {
  const keep = table.columns.map((c, i) => ({ c, i })).filter(({ c, i }) => i < 3 || !c.header.endsWith('回答数'));
  const trimmed = keep.length > 15 ? [...keep.slice(0, 3), ...keep.slice(keep.length - 12)] : keep;
  return { title: table.title, columns: trimmed.map((k) => k.c), rows: table.rows.map((r) => trimmed.map((k) => r[k.i] ?? null)) };
}

/** The text, shortened with "…" until it fits the width. */
function fit(doc: PDFKit.PDFDocument, text: string, width: number): string {
  if (doc.widthOfString(text) <= width) return text;
  const chars = [...text];
  while (chars.length > 1 && doc.widthOfString(`${chars.join('')}…`) > width) chars.pop();
  return `${chars.join('')}…`;
}

function drawTable(doc: PDFKit.PDFDocument, table: ReportTable): void {
  const t = fitForPage(table);
  const usable = PAGE.width - 2 * PAGE.margin;
  const first = Math.min(150, usable / t.columns.length + 40);
  const other = t.columns.length > 1 ? (usable - first) / (t.columns.length - 1) : 0;
  const widths = t.columns.map((_, i) => (i === 0 ? first : other));
  const rowHeight = 16;
  const ensureRoom = (h: number) => {
    if (doc.y + h > PAGE.height - PAGE.margin) doc.addPage();
  };
  ensureRoom(rowHeight * 3 + 20);
  doc.font(FONT).fontSize(12).fillColor('#000').text(table.title, PAGE.margin, doc.y + 6);
  doc.moveDown(0.3);
  const drawRow = (cells: string[], header: boolean) => {
    ensureRoom(rowHeight);
    const y = doc.y;
    let x = PAGE.margin;
    if (header) doc.rect(PAGE.margin, y, usable, rowHeight).fill('#eef2f7');
    doc.fillColor('#000').fontSize(header ? 8 : 8.5);
    cells.forEach((text, i) => {
      // One line per cell, placed by hand: pdfkit's line wrapper (width/align options) costs a few
      // milliseconds per call, seconds for a large table.
      const room = widths[i]! - 6;
      const fitted = fit(doc, text, room);
      const numeric = i > 0 && t.columns[i]!.type !== 'text';
      const left = numeric ? x + 3 + room - doc.widthOfString(fitted) : x + 3;
      doc.text(fitted, left, y + 4, { lineBreak: false });
      x += widths[i]!;
    });
    doc.moveTo(PAGE.margin, y + rowHeight).lineTo(PAGE.margin + usable, y + rowHeight).lineWidth(0.3).strokeColor('#c8ced6').stroke();
    doc.x = PAGE.margin;
    doc.y = y + rowHeight;
  };
  drawRow(
    t.columns.map((c) => c.header),
    true,
  );
  if (t.rows.length === 0) drawRow(['本期无数据', ...t.columns.slice(1).map(() => '')], false);
  for (const row of t.rows) drawRow(row.map((cell, i) => cellText(cell, t.columns[i]!.type)), false);
  doc.moveDown(0.8);
}

function drawCharts(doc: PDFKit.PDFDocument, options: echarts.EChartsCoreOption[]): void {
  if (options.length === 0) return;
  if (doc.y + CHART.height > PAGE.height - PAGE.margin) doc.addPage();
  const y = doc.y;
  const gap = (PAGE.width - 2 * PAGE.margin - options.length * CHART.width) / (options.length + 1);
  options.forEach((option, i) => {
    // Every text of the chart in the embedded CJK font.
    SVGtoPDF(doc, chartSvg(option), PAGE.margin + gap + i * (CHART.width + gap), y, { fontCallback: () => FONT });
  });
  doc.x = PAGE.margin;
  doc.y = y + CHART.height + 8;
}

export async function renderPdf(data: ReportData): Promise<Buffer> {
  if (!existsSync(CJK_FONT_FILE)) throw new Error(`CJK font not found: ${CJK_FONT_FILE} (install fonts-noto-cjk or set REPORT_CJK_FONT)`);
  const doc = new PDFDocument({ size: 'A4', layout: 'landscape', margin: PAGE.margin, info: { Title: `${data.hospitalName} ${REPORT_LABELS[data.report]} ${periodLabel(data.period)}` } });
  doc.registerFont(FONT, CJK_FONT_FILE, CJK_FONT_FACE);
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const finished = new Promise<void>((resolve, reject) => {
    doc.on('end', resolve);
    doc.on('error', reject);
  });

  doc.font(FONT).fontSize(20).fillColor('#000').text(`${data.hospitalName} · ${REPORT_LABELS[data.report]}`, { align: 'center' });
  const scope = data.scope === 'agent' ? `本人(${data.agents[0]?.name ?? ''})` : (data.departmentName ?? '全院');
  const fresh = data.refreshedAt ? `数据截至 ${new Date(data.refreshedAt).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false })}` : '数据尚未汇总';
  doc.fontSize(10).fillColor('#444').text(`统计期:${periodLabel(data.period)}(对比上期 ${periodLabel(data.previousPeriod)}) · 范围:${scope} · ${fresh}`, { align: 'center' });
  doc.moveDown(0.8);

  const charts: echarts.EChartsCoreOption[] = [];
  if (data.report === 'dashboard' || data.report === 'satisfaction') charts.push(satisfactionChartOption(data, { fontFamily: FONT }));
  if (data.report === 'dashboard' || data.report === 'coverage') charts.push(coverageChartOption(data, { fontFamily: FONT }));
  drawCharts(doc, charts);
  for (const table of reportTables(data)) drawTable(doc, table);

  doc.fontSize(8).fillColor('#888').text(`目标:回访覆盖率 ≥ ${formatPercent(data.goals.coverage, 0)},记录完整率 ≥ ${formatPercent(data.goals.completeness, 0)}。“—”表示无数据(分母为 0)。月份:${data.months.map(monthLabel).join('、')}`);
  doc.end();
  await finished;
  return Buffer.concat(chunks);
}
