import { describe, expect, it } from 'vitest';
import { addMonths, lastMonths, monthLabel, monthsOf, periodLabel, periodProblem, previousPeriod } from './period.js';

describe('report periods', () => {
  it('walks months across year ends', () => {
    expect(addMonths('2026-11', 2)).toBe('2027-01');
    expect(addMonths('2026-01', -1)).toBe('2025-12');
    expect(monthsOf({ from: '2025-11', to: '2026-02' })).toEqual(['2025-11', '2025-12', '2026-01', '2026-02']);
    expect(lastMonths('2026-02', 3)).toEqual({ from: '2025-12', to: '2026-02' });
  });

  it('takes the previous period of the same length', () => {
    expect(previousPeriod({ from: '2026-03', to: '2026-03' })).toEqual({ from: '2026-02', to: '2026-02' });
    expect(previousPeriod({ from: '2026-01', to: '2026-03' })).toEqual({ from: '2025-10', to: '2025-12' });
  });

  it('labels months and periods in Chinese', () => {
    expect(monthLabel('2026-03')).toBe('2026年3月');
    expect(periodLabel({ from: '2026-03', to: '2026-03' })).toBe('2026年3月');
    expect(periodLabel({ from: '2026-01', to: '2026-03' })).toBe('2026年1月–2026年3月');
  });

  it('names the field of a bad period', () => {
    expect(periodProblem({ from: '2026-3', to: '2026-03' })).toMatchObject({ field: 'from' });
    expect(periodProblem({ from: '2026-03', to: '2026-13' })).toMatchObject({ field: 'to' });
    expect(periodProblem({ from: '2026-03', to: '2026-02' })).toEqual({ field: 'to', message: '结束月份不能早于开始月份' });
    expect(periodProblem({ from: '2023-01', to: '2026-02' })).toMatchObject({ field: 'to' });
    expect(periodProblem({ from: '2026-01', to: '2026-03' })).toBeNull();
  });
});
