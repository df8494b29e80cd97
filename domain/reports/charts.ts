/**
 * ECharts options of the report charts, built once for the portal (browser, canvas) and for the
 * PDF (server-side SVG), so both draw the same chart. Pure data: no ECharts import here.
 */
import type { ReportData } from './data.js';
import { monthLabel } from './period.js';

const PALETTE = ['#1f6feb', '#d4380d', '#389e0d', '#722ed1', '#d48806', '#08979c', '#c41d7f', '#595959'];

const percent = (v: number | null) => (v === null ? null : Math.round(v * 1000) / 10);

/** The y axis starts 10 points under the lowest value (rounded down to 10), so a change of a few points shows. */
const axisMin = (extent: { min: number }) => (Number.isFinite(extent.min) ? Math.max(0, Math.floor(extent.min / 10) * 10 - 10) : 0);

const shortMonth = (month: string) => monthLabel(month).replace(/^\d{4}年/, (y) => `${y.slice(2, 4)}年`);

/** 满意度趋势: one line per department (the hospital bold), in %, with the answers behind each point in the tooltip. */
export function satisfactionChartOption(data: ReportData, opts: { animation?: boolean; fontFamily?: string } = {}) {
  const series = data.satisfaction.map((s, i) => {
    const total = s.departmentCode === null;
    return {
      name: s.name,
      type: 'line' as const,
      connectNulls: false,
      symbolSize: total ? 8 : 6,
      lineStyle: { width: total ? 3 : 1.5 },
      itemStyle: { color: total ? '#000000' : PALETTE[i % PALETTE.length] },
      data: s.points.map((p) => ({ value: percent(p.share), n: p.n })),
      // The last point labelled: "骨科 92%" readable without hovering.
      endLabel: { show: true, formatter: (p: { value: unknown }) => `${s.name} ${p.value ?? '—'}%` },
      labelLayout: { moveOverlap: 'shiftY' as const },
    };
  });
  return {
    animation: opts.animation ?? false,
    textStyle: opts.fontFamily ? { fontFamily: opts.fontFamily } : undefined,
    title: { text: '满意度趋势(评 4–5 分占比)', left: 'center', textStyle: { fontSize: 14 } },
    tooltip: { trigger: 'axis' as const, valueFormatter: (v: unknown) => (v === null || v === undefined ? '—' : `${String(v)}%`) },
    legend: { bottom: 0, type: 'scroll' as const },
    grid: { left: 44, right: 96, top: 36, bottom: 44 },
    xAxis: { type: 'category' as const, data: data.months.map(shortMonth) },
    yAxis: { type: 'value' as const, min: axisMin, max: 100, axisLabel: { formatter: '{value}%' } },
    series,
  };
}

/** 覆盖率 and 完整率 month by month, with the hospital's goals as dashed lines. */
export function coverageChartOption(data: ReportData, opts: { animation?: boolean; fontFamily?: string } = {}) {
  const goalLine = (goal: number, name: string, color: string) => ({
    silent: true,
    symbol: 'none',
    lineStyle: { type: 'dashed' as const, color },
    label: { show: false },
    name: `${name} ${percent(goal)}%`,
    data: [{ yAxis: percent(goal) }],
  });
  return {
    animation: opts.animation ?? false,
    textStyle: opts.fontFamily ? { fontFamily: opts.fontFamily } : undefined,
    title: {
      text: '回访覆盖率与记录完整率',
      subtext: `虚线为目标:覆盖率 ≥ ${percent(data.goals.coverage)}%,完整率 ≥ ${percent(data.goals.completeness)}%`,
      left: 'center',
      itemGap: 4,
      textStyle: { fontSize: 14 },
    },
    tooltip: { trigger: 'axis' as const, valueFormatter: (v: unknown) => (v === null || v === undefined ? '—' : `${String(v)}%`) },
    legend: { bottom: 0 },
    grid: { left: 44, right: 24, top: 52, bottom: 44 },
    xAxis: { type: 'category' as const, data: data.months.map(shortMonth) },
    yAxis: { type: 'value' as const, min: axisMin, max: 100, axisLabel: { formatter: '{value}%' } },
    series: [
      {
        name: '回访覆盖率',
        type: 'line' as const,
        itemStyle: { color: '#1f6feb' },
        data: data.followUps.trend.map((p) => percent(p.coverage)),
        markLine: goalLine(data.goals.coverage, '覆盖率目标', '#1f6feb'),
      },
      {
        name: '记录完整率',
        type: 'line' as const,
        itemStyle: { color: '#389e0d' },
        data: data.followUps.trend.map((p) => percent(p.completeness)),
        markLine: goalLine(data.goals.completeness, '完整率目标', '#389e0d'),
      },
    ],
  };
}
