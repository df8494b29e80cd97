/**
 * A collected report as tables (title, typed columns, rows), the one layout the .xlsx sheets, the
 * PDF and the API's consumers share. Cells keep numbers as numbers; null is an undefined figure.
 */
import type { ReportKind } from '../../workflows/reports/contracts.js';
import type { ReportData } from './data.js';
import { formatChange } from './format.js';
import { monthLabel } from './period.js';

export type ColumnType = 'text' | 'int' | 'percent' | 'decimal';
export interface Column {
  header: string;
  type: ColumnType;
}
export type Cell = string | number | null;
export interface ReportTable {
  /** Also the sheet name (≤ 31 characters, no []:*?/\). */
  title: string;
  columns: Column[];
  rows: Cell[][];
}

const text = (header: string): Column => ({ header, type: 'text' });
const int = (header: string): Column => ({ header, type: 'int' });
const pct = (header: string): Column => ({ header, type: 'percent' });
const dec = (header: string): Column => ({ header, type: 'decimal' });

function satisfactionTable(d: ReportData): ReportTable {
  return {
    title: '满意度趋势',
    columns: [text('科室'), pct('统计期满意度'), int('回答数'), ...d.months.flatMap((m) => [pct(`${monthLabel(m)}`), int(`${monthLabel(m)}回答数`)])],
    rows: d.satisfaction.map((s) => [s.name, s.total.share, s.total.n, ...s.points.flatMap((p) => [p.share, p.n])]),
  };
}

function topProblemsTable(d: ReportData): ReportTable {
  return {
    title: '高频问题TOP5',
    columns: [text('科室'), int('排名'), text('问题'), int('本期'), int('上期'), text('变化')],
    rows: d.topProblems.flatMap((dep) => dep.tags.map((t) => [dep.name, t.rank, t.tag, t.count, t.previous, formatChange(t.change)])),
  };
}

function ticketTable(d: ReportData): ReportTable | null {
  if (!d.tickets) return null;
  const row = (name: string, k: NonNullable<ReportData['tickets']>['total']): Cell[] => [
    name,
    k.received,
    k.resolved,
    k.processingRate,
    k.timelinessRate,
    k.meanResolveHours,
    k.p90ResolveHours,
    k.overdue,
  ];
  return {
    title: '考核-科室工单',
    columns: [text('责任科室'), int('受理'), int('已解决'), pct('处理率'), pct('及时率'), dec('平均处理时长(小时)'), dec('P90处理时长(小时)'), int('超时')],
    rows: [...d.tickets.departments.map((r) => row(r.name, r)), row('合计', d.tickets.total)],
  };
}

function feedbackTable(d: ReportData): ReportTable | null {
  if (!d.feedback) return null;
  return {
    title: '表扬与建议',
    columns: [text('科室'), int('表扬'), int('建议')],
    rows: [...d.feedback.departments.map((r) => [r.name, r.praise, r.suggestions]), ['合计', d.feedback.total.praise, d.feedback.total.suggestions]],
  };
}

function agentTable(d: ReportData): ReportTable {
  return {
    title: '考核-客服',
    columns: [text('客服'), text('科室'), dec('日均完成随访'), int('完成随访'), int('应随访'), pct('覆盖率'), pct('记录完整率'), int('通话次数'), int('工作天数')],
    rows: d.agents.map((a) => [a.name, a.departmentName, a.completedPerDay, a.completed, a.due, a.coverage, a.completeness, a.calls, a.activeDays]),
  };
}

function coverageTable(d: ReportData): ReportTable {
  const row = (name: string, k: ReportData['followUps']['total']): Cell[] => [
    name,
    k.due,
    k.reached,
    k.coverage,
    k.completed,
    k.complete,
    k.completeness,
    k.coverageMet === null ? null : k.coverageMet ? '达标' : '未达标',
    k.completenessMet === null ? null : k.completenessMet ? '达标' : '未达标',
  ];
  return {
    title: '覆盖率与完整率',
    columns: [text('科室'), int('应随访'), int('已联系'), pct('回访覆盖率'), int('已完成'), int('完整记录'), pct('记录完整率'), text('覆盖率达标'), text('完整率达标')],
    rows: [...d.followUps.departments.map((r) => row(r.name, r)), row(d.scope === 'agent' ? '本人' : '合计', d.followUps.total)],
  };
}

function coverageTrendTable(d: ReportData): ReportTable {
  return {
    title: '覆盖率与完整率-月度',
    columns: [text('月份'), pct('回访覆盖率'), pct(`覆盖率目标`), pct('记录完整率'), pct('完整率目标')],
    rows: d.followUps.trend.map((p) => [monthLabel(p.month), p.coverage, d.goals.coverage, p.completeness, d.goals.completeness]),
  };
}

/** The tables of one report (the dashboard has them all). */
export function reportTables(d: ReportData, report: ReportKind = d.report): ReportTable[] {
  const tickets = ticketTable(d);
  const feedback = feedbackTable(d);
  const byKind: Record<ReportKind, (ReportTable | null)[]> = {
    satisfaction: [satisfactionTable(d)],
    'top-problems': [topProblemsTable(d)],
    assessment: [tickets, feedback, agentTable(d)],
    coverage: [coverageTable(d), coverageTrendTable(d), agentTable(d)],
    dashboard: [satisfactionTable(d), topProblemsTable(d), tickets, feedback, agentTable(d), coverageTable(d), coverageTrendTable(d)],
  };
  return byKind[report].filter((t): t is ReportTable => t !== null);
}
