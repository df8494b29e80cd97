import { describe, expect, it } from 'vitest';
import { agentKpis, DEFAULT_GOALS, followUpKpis, meetsGoal, ratio, satisfaction, sumCounts, ticketKpis, topTags } from './kpi.js';
import { formatChange, formatHours, formatPercent } from './format.js';

describe('ratio and goals', () => {
  it('is null when dividing by zero, never 0 or NaN', () => {
    expect(ratio(0, 0)).toBeNull();
    expect(ratio(5, 0)).toBeNull();
    expect(ratio(0, 4)).toBe(0);
    expect(ratio(3, 4)).toBe(0.75);
    expect(formatPercent(ratio(0, 0))).toBe('—');
    expect(formatPercent(ratio(0, 4))).toBe('0.0%');
  });

  it('judges goals, with no verdict for an undefined rate', () => {
    expect(DEFAULT_GOALS).toEqual({ coverage: 0.95, completeness: 0.98 });
    expect(meetsGoal(0.95, 0.95)).toBe(true);
    expect(meetsGoal(0.9499, 0.95)).toBe(false);
    expect(meetsGoal(null, 0.95)).toBeNull();
  });
});

describe('satisfaction', () => {
  it('is the share rated 4–5 with the number of answers', () => {
    // 17 of 20 answers rated 4 or 5 (85 %); next month 23 of 25 (92 %).
    expect(satisfaction({ answers: 20, positive: 17 })).toEqual({ share: 0.85, n: 20 });
    expect(satisfaction({ answers: 25, positive: 23 })).toEqual({ share: 0.92, n: 25 });
  });

  it('is undefined for a month without answers', () => {
    expect(satisfaction({ answers: 0, positive: 0 })).toEqual({ share: null, n: 0 });
  });

  it('sums months into a period, not averaging the shares', () => {
    const months = [
      { answers: 10, positive: 10 },
      { answers: 0, positive: 0 },
      { answers: 30, positive: 15 },
    ];
    expect(satisfaction(sumCounts(months, ['answers', 'positive']))).toEqual({ share: 25 / 40, n: 40 });
    expect(sumCounts([], ['answers', 'positive'])).toEqual({ answers: 0, positive: 0 });
  });
});

describe('topTags', () => {
  it('ranks the five most frequent tags with the change from the previous period', () => {
    const current = [
      { tag: '排队时间长', count: 9 },
      { tag: '态度冷淡', count: 4 },
      { tag: '噪音大', count: 4 },
      { tag: '缴费不便', count: 2 },
      { tag: '用药指导不清晰', count: 7 },
      { tag: '卫生不整洁', count: 1 },
      { tag: '排队时间长', count: 1 },
    ];
    const previous = [
      { tag: '排队时间长', count: 12 },
      { tag: '噪音大', count: 1 },
      { tag: '出院手续繁琐', count: 8 },
    ];
    expect(topTags(current, previous)).toEqual([
      { rank: 1, tag: '排队时间长', count: 10, previous: 12, change: -2 },
      { rank: 2, tag: '用药指导不清晰', count: 7, previous: 0, change: 7 },
      // A tie is ordered by name (pinyin collation), so the ranking is stable.
      { rank: 3, tag: '态度冷淡', count: 4, previous: 0, change: 4 },
      { rank: 4, tag: '噪音大', count: 4, previous: 1, change: 3 },
      { rank: 5, tag: '缴费不便', count: 2, previous: 0, change: 2 },
    ]);
  });

  it('is empty for a department without tickets, whatever happened before', () => {
    expect(topTags([], [{ tag: '噪音大', count: 3 }])).toEqual([]);
    expect(topTags([{ tag: '噪音大', count: 0 }], [])).toEqual([]);
  });

  it('formats the change with a sign', () => {
    expect([formatChange(3), formatChange(-2), formatChange(0)]).toEqual(['+3', '−2', '0']);
  });
});

describe('ticketKpis', () => {
  it('computes processing and timeliness rates, mean and p90 time to resolve', () => {
    // 10 received, 8 resolved (6 within SLA), 3 overdue; resolve times 1, 2, 3, 4, 5, 6, 7 and 20 hours
    // (sum 48 h; nearest-rank p90: the ceil(0.9 × 8) = 8th time, 20 h).
    const k = ticketKpis({ received: 10, resolved: 8, resolvedInSla: 6, overdue: 3, resolveTimes: { count: 8, totalSeconds: 48 * 3600, p90Seconds: 20 * 3600 } });
    expect(k).toEqual({
      received: 10,
      resolved: 8,
      processingRate: 0.8,
      timelinessRate: 0.75,
      meanResolveHours: 6,
      p90ResolveHours: 20,
      overdue: 3,
    });
    expect(formatHours(k.meanResolveHours)).toBe('6.0 小时');
  });

  it('has no rates for a department with no tickets', () => {
    expect(ticketKpis({ received: 0, resolved: 0, resolvedInSla: 0, overdue: 0, resolveTimes: { count: 0, totalSeconds: 0, p90Seconds: null } })).toEqual({
      received: 0,
      resolved: 0,
      processingRate: null,
      timelinessRate: null,
      meanResolveHours: null,
      p90ResolveHours: null,
      overdue: 0,
    });
  });

  it('has a processing rate but no timeliness when nothing was resolved yet', () => {
    const k = ticketKpis({ received: 4, resolved: 0, resolvedInSla: 0, overdue: 4, resolveTimes: { count: 0, totalSeconds: 0, p90Seconds: null } });
    expect(k.processingRate).toBe(0);
    expect(k.timelinessRate).toBeNull();
    expect(formatHours(k.p90ResolveHours)).toBe('—');
  });
});

describe('followUpKpis and agentKpis', () => {
  it('computes coverage and completeness against the goals', () => {
    expect(followUpKpis({ due: 20, reached: 19, completed: 18, complete: 17 })).toEqual({
      due: 20,
      reached: 19,
      completed: 18,
      complete: 17,
      coverage: 0.95,
      completeness: 17 / 18,
      coverageMet: true,
      completenessMet: false,
    });
  });

  it('uses the hospital goals given as data', () => {
    const k = followUpKpis({ due: 10, reached: 9, completed: 10, complete: 10 }, { coverage: 0.9, completeness: 1 });
    expect([k.coverageMet, k.completenessMet]).toEqual([true, true]);
  });

  it('has no rates and no verdict for an empty period', () => {
    expect(followUpKpis({ due: 0, reached: 0, completed: 0, complete: 0 })).toMatchObject({
      coverage: null,
      completeness: null,
      coverageMet: null,
      completenessMet: null,
    });
  });

  it('counts an agent’s completed follow-ups per working day', () => {
    const k = agentKpis({ due: 12, reached: 9, completed: 9, complete: 9, calls: 15, activeDays: 3 });
    expect(k).toMatchObject({ completedPerDay: 3, calls: 15, coverage: 0.75, coverageMet: false, completeness: 1 });
    expect(agentKpis({ due: 0, reached: 0, completed: 0, complete: 0, calls: 0, activeDays: 0 }).completedPerDay).toBeNull();
  });
});
