/**
 * The report formulas (满意度, 高频问题, 考核, 覆盖率/完整率), pure and unit-tested. Inputs are the
 * counts the rollups keep; every rate whose denominator is 0 is `null` (shown as "—"), never 0 %
 * or NaN.
 */

/** The hospital's goals (data in `report_settings`; these are the defaults the issue states). */
export interface ReportGoals {
  /** 回访覆盖率: follow-ups reached / follow-ups due. */
  coverage: number;
  /** 记录完整率: records with every core question answered / completed follow-ups. */
  completeness: number;
}
export const DEFAULT_GOALS: ReportGoals = { coverage: 0.95, completeness: 0.98 };

/** A share, or null when there is nothing to divide by. */
export function ratio(numerator: number, denominator: number): number | null {
  return denominator > 0 ? numerator / denominator : null;
}

/** Whether a rate meets its goal; null when the rate itself is undefined. */
export function meetsGoal(value: number | null, goal: number): boolean | null {
  return value === null ? null : value >= goal;
}

export interface SatisfactionCounts {
  /** Answered satisfaction questions. */
  answers: number;
  /** Of them rated 4 or 5. */
  positive: number;
}

/** 满意度: share of answered satisfaction questions rated 4–5, with the number of answers behind it. */
export function satisfaction(c: SatisfactionCounts): { share: number | null; n: number } {
  return { share: ratio(c.positive, c.answers), n: c.answers };
}

/** Sums counts field by field (months of a period, departments of the hospital). */
export function sumCounts<K extends string>(rows: readonly { readonly [P in K]: number }[], keys: readonly K[]): Record<K, number> {
  const total = Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
  for (const row of rows) for (const k of keys) total[k] += row[k];
  return total;
}

export interface TagCount {
  tag: string;
  count: number;
}

/** Tags in pinyin order; one collator, since localeCompare with a locale builds one per call. */
const byPinyin = new Intl.Collator('zh-CN').compare;

export interface RankedTag {
  rank: number;
  tag: string;
  count: number;
  /** The same tag's count in the previous period (0 when it did not occur). */
  previous: number;
  /** count − previous. */
  change: number;
}

/**
 * 高频问题 TOP N: the period's most frequent tags (ties by name, so the order is stable), each with
 * its count in the previous period and the change. Tags that occur only in the previous period
 * are not ranked.
 */
export function topTags(current: readonly TagCount[], previous: readonly TagCount[], limit = 5): RankedTag[] {
  const merge = (rows: readonly TagCount[]) => {
    const m = new Map<string, number>();
    for (const r of rows) m.set(r.tag, (m.get(r.tag) ?? 0) + r.count);
    return m;
  };
  const now = merge(current);
  const before = merge(previous);
  return [...now.entries()]
    .filter(([, count]) => count > 0)
    .sort((a, b) => b[1] - a[1] || byPinyin(a[0], b[0]))
    .slice(0, limit)
    .map(([tag, count], i) => {
      const prev = before.get(tag) ?? 0;
      return { rank: i + 1, tag, count, previous: prev, change: count - prev };
    });
}

/**
 * Resolution times of a set of tickets, summarised where the times are (Postgres): how many, their
 * sum, and the 90th percentile by nearest rank (the smallest time with at least 90 % of the times
 * at or below it: `percentile_disc(0.9)`).
 */
export interface ResolveTimes {
  count: number;
  totalSeconds: number;
  p90Seconds: number | null;
}

export interface TicketCounts {
  /** Tickets received in the period. */
  received: number;
  /** Of them resolved (the latest resolution counts). */
  resolved: number;
  /** Of the resolved, resolved by their SLA deadline. */
  resolvedInSla: number;
  /** Of them past their SLA (breached, resolved late or still open). */
  overdue: number;
  /** Seconds from receipt to resolution of the resolved tickets. */
  resolveTimes: ResolveTimes;
}

export interface TicketKpis {
  received: number;
  resolved: number;
  /** 处理率 = resolved / received. */
  processingRate: number | null;
  /** 及时率 = resolved within SLA / resolved. */
  timelinessRate: number | null;
  meanResolveHours: number | null;
  p90ResolveHours: number | null;
  overdue: number;
}

const HOUR = 3600;

export function ticketKpis(c: TicketCounts): TicketKpis {
  const { count, totalSeconds, p90Seconds } = c.resolveTimes;
  return {
    received: c.received,
    resolved: c.resolved,
    processingRate: ratio(c.resolved, c.received),
    timelinessRate: ratio(c.resolvedInSla, c.resolved),
    meanResolveHours: count > 0 ? totalSeconds / count / HOUR : null,
    p90ResolveHours: count > 0 && p90Seconds !== null ? p90Seconds / HOUR : null,
    overdue: c.overdue,
  };
}

export interface FollowUpCounts {
  /** Follow-up tasks due in the period (cancelled ones excluded). */
  due: number;
  /** Of them the patient was reached (completed or refused on the phone/survey). */
  reached: number;
  /** Follow-ups completed in the period. */
  completed: number;
  /** Of them with every core question answered. */
  complete: number;
}

export interface FollowUpKpis extends FollowUpCounts {
  /** 回访覆盖率 */
  coverage: number | null;
  /** 记录完整率 */
  completeness: number | null;
  coverageMet: boolean | null;
  completenessMet: boolean | null;
}

export function followUpKpis(c: FollowUpCounts, goals: ReportGoals = DEFAULT_GOALS): FollowUpKpis {
  const coverage = ratio(c.reached, c.due);
  const completeness = ratio(c.complete, c.completed);
  return { ...c, coverage, completeness, coverageMet: meetsGoal(coverage, goals.coverage), completenessMet: meetsGoal(completeness, goals.completeness) };
}

export interface AgentCounts extends FollowUpCounts {
  /** Calls the agent made (attempts recorded by them). */
  calls: number;
  /** Days on which the agent recorded at least one call. */
  activeDays: number;
}

export interface AgentKpis extends FollowUpKpis {
  calls: number;
  activeDays: number;
  /** Follow-ups completed per working day (a day with at least one call). */
  completedPerDay: number | null;
}

export function agentKpis(c: AgentCounts, goals: ReportGoals = DEFAULT_GOALS): AgentKpis {
  return { ...followUpKpis(c, goals), calls: c.calls, activeDays: c.activeDays, completedPerDay: ratio(c.completed, c.activeDays) };
}
