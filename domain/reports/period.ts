/**
 * Report periods: whole calendar months in Asia/Shanghai, written `YYYY-MM`, from–to inclusive.
 * Pure string arithmetic (no clock, no time zone maths), so it is safe in workflow code.
 */

export interface Period {
  /** First month, `YYYY-MM`. */
  from: string;
  /** Last month (inclusive), `YYYY-MM`. */
  to: string;
}

const MONTH_RE = /^(\d{4})-(0[1-9]|1[0-2])$/;

export function isMonth(value: string): boolean {
  return MONTH_RE.test(value);
}

function toIndex(month: string): number {
  const m = MONTH_RE.exec(month);
  if (!m) throw new RangeError(`not a month (YYYY-MM): ${month}`);
  return Number(m[1]) * 12 + Number(m[2]) - 1;
}

function fromIndex(index: number): string {
  const year = Math.floor(index / 12);
  return `${String(year).padStart(4, '0')}-${String((index % 12) + 1).padStart(2, '0')}`;
}

/** The month `n` months after (negative: before) `month`. */
export function addMonths(month: string, n: number): string {
  return fromIndex(toIndex(month) + n);
}

/** Every month of the period, in order. */
export function monthsOf(period: Period): string[] {
  const start = toIndex(period.from);
  const end = toIndex(period.to);
  const months: string[] = [];
  for (let i = start; i <= end; i++) months.push(fromIndex(i));
  return months;
}

/** The period of the same length that ends the month before this one starts (for "change vs previous"). */
export function previousPeriod(period: Period): Period {
  const length = monthsOf(period).length;
  return { from: addMonths(period.from, -length), to: addMonths(period.from, -1) };
}

/** The last `count` months up to and including `current`. */
export function lastMonths(current: string, count: number): Period {
  return { from: addMonths(current, -(count - 1)), to: current };
}

/** `2026-03` → `2026年3月`; a period of one month is that month, otherwise `2026年1月–2026年3月`. */
export function monthLabel(month: string): string {
  const index = toIndex(month);
  return `${Math.floor(index / 12)}年${(index % 12) + 1}月`;
}

export function periodLabel(period: Period): string {
  return period.from === period.to ? monthLabel(period.from) : `${monthLabel(period.from)}–${monthLabel(period.to)}`;
}

/** Checks a period given by a user: both months valid, from ≤ to, at most `maxMonths` long. Returns a problem in Chinese or null. */
export function periodProblem(period: { from?: string; to?: string }, maxMonths = 36): { field: 'from' | 'to'; message: string } | null {
  if (!period.from || !isMonth(period.from)) return { field: 'from', message: '开始月份格式应为 YYYY-MM' };
  if (!period.to || !isMonth(period.to)) return { field: 'to', message: '结束月份格式应为 YYYY-MM' };
  const length = toIndex(period.to) - toIndex(period.from) + 1;
  if (length < 1) return { field: 'to', message: '结束月份不能早于开始月份' };
  if (length > maxMonths) return { field: 'to', message: `统计期最长 ${maxMonths} 个月` };
  return null;
}
