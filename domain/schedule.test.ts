import { describe, it, expect } from 'vitest';
import {
  DAY_STARTS_HOUR,
  shanghaiDateTime,
  EVENING_STARTS_HOUR,
  FOLLOW_UP_HOUR,
  addDays,
  daysSince,
  greetingAt,
  greetingTiming,
  GREETING_STALE_MS,
  shanghaiDate,
  shanghaiDayBounds,
  shanghaiTime,
  touchpointDueAt,
} from './schedule.js';

const at = (iso: string) => new Date(iso);

describe('constants', () => {
  it('has the 09:00 due hour and the 08:00–20:00 contact window', () => {
    expect(FOLLOW_UP_HOUR).toBe(9);
    expect(DAY_STARTS_HOUR).toBe(8);
    expect(EVENING_STARTS_HOUR).toBe(20);
  });
});

describe('shanghaiDate', () => {
  it('uses the local (UTC+8) date, not the UTC date', () => {
    // 23:30 local on the 20th is 15:30Z on the 20th; 00:30 local on the 21st is 16:30Z on the 20th.
    expect(shanghaiDate(at('2026-11-20T23:30:00+08:00'))).toBe('2026-11-20');
    expect(shanghaiDate(at('2026-11-20T16:30:00Z'))).toBe('2026-11-21');
    expect(shanghaiDate(at('2026-11-20T15:59:59.999Z'))).toBe('2026-11-20');
    expect(shanghaiDate(at('2026-11-20T16:00:00Z'))).toBe('2026-11-21');
  });

  it('rolls over the year at local midnight', () => {
    expect(shanghaiDate(at('2026-12-31T16:00:00Z'))).toBe('2027-01-01');
  });

  it('is the same offset in summer and winter (no DST)', () => {
    expect(shanghaiTime('2026-07-15', 9).toISOString()).toBe('2026-07-15T01:00:00.000Z');
    expect(shanghaiTime('2026-01-15', 9).toISOString()).toBe('2026-01-15T01:00:00.000Z');
  });

  it('rejects an invalid Date', () => {
    expect(() => shanghaiDate(new Date('nope'))).toThrow(RangeError);
  });
});

describe('shanghaiTime', () => {
  it('returns the instant of HH:MM local', () => {
    expect(shanghaiTime('2026-11-21', 9).toISOString()).toBe('2026-11-21T01:00:00.000Z');
    expect(shanghaiTime('2026-11-21', 9, 30).toISOString()).toBe('2026-11-21T01:30:00.000Z');
    // Local midnight is 16:00Z the previous UTC day.
    expect(shanghaiTime('2026-11-21', 0).toISOString()).toBe('2026-11-20T16:00:00.000Z');
    expect(shanghaiTime('2026-11-21', 23, 59).toISOString()).toBe('2026-11-21T15:59:00.000Z');
  });

  it('round-trips through shanghaiDate', () => {
    expect(shanghaiDate(shanghaiTime('2028-02-29', 0))).toBe('2028-02-29');
    expect(shanghaiDate(shanghaiTime('2028-02-29', 23, 59))).toBe('2028-02-29');
  });

  it('rejects malformed and impossible dates', () => {
    for (const bad of ['2026-02-30', '2026-13-01', '2027-02-29', '2026-1-5', '2026/01/05', '', '2026-01-05T00:00']) {
      expect(() => shanghaiTime(bad, 9), bad).toThrow(RangeError);
    }
  });

  it('rejects out-of-range hours and minutes', () => {
    expect(() => shanghaiTime('2026-11-21', 24)).toThrow(RangeError);
    expect(() => shanghaiTime('2026-11-21', -1)).toThrow(RangeError);
    expect(() => shanghaiTime('2026-11-21', 9.5)).toThrow(RangeError);
    expect(() => shanghaiTime('2026-11-21', 9, 60)).toThrow(RangeError);
  });
});

describe('addDays', () => {
  it('crosses month ends', () => {
    expect(addDays('2026-01-31', 3)).toBe('2026-02-03');
    expect(addDays('2026-02-28', 1)).toBe('2026-03-01');
    expect(addDays('2026-04-30', 1)).toBe('2026-05-01');
  });

  it('handles leap years', () => {
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(addDays('2028-02-29', 1)).toBe('2028-03-01');
    expect(addDays('2100-02-28', 1)).toBe('2100-03-01'); // 2100 is not a leap year
    expect(addDays('2000-02-28', 1)).toBe('2000-02-29'); // 2000 is
  });

  it('crosses year ends', () => {
    expect(addDays('2026-12-30', 3)).toBe('2027-01-02');
    expect(addDays('2026-12-31', 365)).toBe('2027-12-31');
  });

  it('accepts 0 and negative days', () => {
    expect(addDays('2026-03-01', 0)).toBe('2026-03-01');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(addDays('2027-01-02', -3)).toBe('2026-12-30');
  });

  it('rejects bad input', () => {
    expect(() => addDays('2026-02-30', 1)).toThrow(RangeError);
    expect(() => addDays('2026-01-01', 1.5)).toThrow(RangeError);
    expect(() => addDays('2026-01-01', Number.NaN)).toThrow(RangeError);
  });
});

describe('touchpointDueAt', () => {
  it('is 09:00 local on discharge date + offsetDays', () => {
    const discharged = at('2026-11-20T14:00:00+08:00');
    expect(touchpointDueAt(discharged, { offsetDays: 3 }).toISOString()).toBe(at('2026-11-23T09:00:00+08:00').toISOString());
    expect(touchpointDueAt(discharged, { offsetDays: 30 }).toISOString()).toBe(at('2026-12-20T09:00:00+08:00').toISOString());
  });

  it('follows the local discharge date for an evening discharge', () => {
    const discharged = at('2026-11-20T21:30:00+08:00');
    expect(touchpointDueAt(discharged, { offsetDays: 3 }).toISOString()).toBe(at('2026-11-23T09:00:00+08:00').toISOString());
  });

  it('follows the LOCAL date when the UTC date differs (23:30 local = 15:30Z)', () => {
    const discharged = at('2026-11-20T23:30:00+08:00');
    expect(discharged.toISOString()).toBe('2026-11-20T15:30:00.000Z');
    expect(touchpointDueAt(discharged, { offsetDays: 3 }).toISOString()).toBe('2026-11-23T01:00:00.000Z');
    // 00:30 local on the 21st is still the 20th in UTC: the due date follows the 21st.
    const afterMidnight = at('2026-11-21T00:30:00+08:00');
    expect(afterMidnight.toISOString().slice(0, 10)).toBe('2026-11-20');
    expect(touchpointDueAt(afterMidnight, { offsetDays: 3 }).toISOString()).toBe(at('2026-11-24T09:00:00+08:00').toISOString());
  });

  it('handles month and year ends', () => {
    expect(touchpointDueAt(at('2026-01-31T10:00:00+08:00'), { offsetDays: 3 }).toISOString()).toBe(at('2026-02-03T09:00:00+08:00').toISOString());
    expect(touchpointDueAt(at('2026-12-30T22:00:00+08:00'), { offsetDays: 3 }).toISOString()).toBe(at('2027-01-02T09:00:00+08:00').toISOString());
  });

  it('with offsetDays 0 is 09:00 on the discharge day', () => {
    expect(touchpointDueAt(at('2026-11-20T06:00:00+08:00'), { offsetDays: 0 }).toISOString()).toBe(at('2026-11-20T09:00:00+08:00').toISOString());
  });

  it('with offsetSeconds is dischargedAt + seconds exactly', () => {
    const discharged = at('2026-11-20T23:30:12.345+08:00');
    expect(touchpointDueAt(discharged, { offsetSeconds: 30 }).toISOString()).toBe('2026-11-20T15:30:42.345Z');
    expect(touchpointDueAt(discharged, { offsetSeconds: 0 }).getTime()).toBe(discharged.getTime());
    expect(touchpointDueAt(discharged, { offsetSeconds: 86_400 }).toISOString()).toBe('2026-11-21T15:30:12.345Z');
  });

  it('does not mutate the discharge date', () => {
    const discharged = at('2026-11-20T10:00:00+08:00');
    const due = touchpointDueAt(discharged, { offsetSeconds: 0 });
    due.setTime(0);
    expect(discharged.toISOString()).toBe('2026-11-20T02:00:00.000Z');
  });

  it('throws RangeError for invalid timings', () => {
    const d = at('2026-11-20T10:00:00+08:00');
    expect(() => touchpointDueAt(d, {})).toThrow(RangeError);
    expect(() => touchpointDueAt(d, { offsetDays: 1, offsetSeconds: 60 })).toThrow(RangeError);
    expect(() => touchpointDueAt(d, { offsetDays: -1 })).toThrow(RangeError);
    expect(() => touchpointDueAt(d, { offsetSeconds: -1 })).toThrow(RangeError);
    expect(() => touchpointDueAt(d, { offsetDays: 1.5 })).toThrow(RangeError);
    expect(() => touchpointDueAt(d, { offsetDays: Number.NaN })).toThrow(RangeError);
    expect(() => touchpointDueAt(d, { offsetSeconds: Number.POSITIVE_INFINITY })).toThrow(RangeError);
    // JSON from the database may carry null for the unused field.
    expect(() => touchpointDueAt(d, { offsetDays: null, offsetSeconds: null } as unknown as { offsetDays: number })).toThrow(RangeError);
    expect(touchpointDueAt(d, { offsetDays: 1, offsetSeconds: null } as unknown as { offsetDays: number }).toISOString()).toBe(
      at('2026-11-21T09:00:00+08:00').toISOString(),
    );
    expect(() => touchpointDueAt(new Date('nope'), { offsetDays: 1 })).toThrow(RangeError);
  });
});

describe('greetingAt', () => {
  it('goes out at discharge during the day', () => {
    const d = at('2026-11-20T14:15:00+08:00');
    expect(greetingAt(d).getTime()).toBe(d.getTime());
    expect(greetingAt(d)).not.toBe(d);
  });

  it('goes out at discharge at exactly 08:00 and at 19:59', () => {
    expect(greetingAt(at('2026-11-20T08:00:00+08:00')).toISOString()).toBe(at('2026-11-20T08:00:00+08:00').toISOString());
    expect(greetingAt(at('2026-11-20T19:59:59+08:00')).toISOString()).toBe(at('2026-11-20T19:59:59+08:00').toISOString());
  });

  it('waits until 09:00 the same day for an early-morning discharge (06:00 local)', () => {
    const d = at('2026-11-20T06:00:00+08:00');
    expect(d.toISOString()).toBe('2026-11-19T22:00:00.000Z'); // UTC date is the day before
    expect(greetingAt(d).toISOString()).toBe(at('2026-11-20T09:00:00+08:00').toISOString());
    expect(greetingAt(at('2026-11-20T00:00:00+08:00')).toISOString()).toBe(at('2026-11-20T09:00:00+08:00').toISOString());
    expect(greetingAt(at('2026-11-20T07:59:59+08:00')).toISOString()).toBe(at('2026-11-20T09:00:00+08:00').toISOString());
  });

  it('waits until 09:00 the next morning for an evening discharge', () => {
    expect(greetingAt(at('2026-11-20T21:30:00+08:00')).toISOString()).toBe(at('2026-11-21T09:00:00+08:00').toISOString());
    expect(greetingAt(at('2026-11-20T20:00:00+08:00')).toISOString()).toBe(at('2026-11-21T09:00:00+08:00').toISOString());
    // 23:30 local = 15:30Z: "next morning" is the 21st local.
    expect(greetingAt(at('2026-11-20T23:30:00+08:00')).toISOString()).toBe(at('2026-11-21T09:00:00+08:00').toISOString());
    expect(greetingAt(at('2026-12-31T22:00:00+08:00')).toISOString()).toBe(at('2027-01-01T09:00:00+08:00').toISOString());
  });
});

describe('daysSince', () => {
  it('is 0 on the discharge day', () => {
    expect(daysSince(at('2026-11-20T06:00:00+08:00'), at('2026-11-20T23:59:00+08:00'))).toBe(0);
  });

  it('counts local calendar days, not 24-hour periods', () => {
    const d = at('2026-11-20T23:30:00+08:00');
    expect(daysSince(d, at('2026-11-21T00:10:00+08:00'))).toBe(1);
    expect(daysSince(d, at('2026-11-23T09:00:00+08:00'))).toBe(3);
    // Same UTC date (11-20) but different local dates.
    expect(daysSince(at('2026-11-20T10:00:00+08:00'), at('2026-11-21T00:30:00+08:00'))).toBe(1);
  });

  it('crosses month and year ends', () => {
    expect(daysSince(at('2026-12-30T12:00:00+08:00'), at('2027-01-02T08:00:00+08:00'))).toBe(3);
    expect(daysSince(at('2028-02-28T12:00:00+08:00'), at('2028-03-01T12:00:00+08:00'))).toBe(2);
  });

  it('is negative before the discharge day', () => {
    expect(daysSince(at('2026-11-20T12:00:00+08:00'), at('2026-11-19T12:00:00+08:00'))).toBe(-1);
  });
});

describe('shanghaiDayBounds', () => {
  it('spans local midnight to the next local midnight', () => {
    const { start, end } = shanghaiDayBounds(at('2026-11-20T15:30:00Z')); // 23:30 local on the 20th
    expect(start.toISOString()).toBe('2026-11-19T16:00:00.000Z');
    expect(end.toISOString()).toBe('2026-11-20T16:00:00.000Z');
  });

  it('uses the local day when the UTC day differs', () => {
    const { start, end } = shanghaiDayBounds(at('2026-11-20T16:30:00Z')); // 00:30 local on the 21st
    expect(start.toISOString()).toBe(at('2026-11-21T00:00:00+08:00').toISOString());
    expect(end.toISOString()).toBe(at('2026-11-22T00:00:00+08:00').toISOString());
  });

  it('contains its own start but not its end', () => {
    const { start, end } = shanghaiDayBounds(at('2026-12-31T12:00:00+08:00'));
    expect(shanghaiDayBounds(start).start.getTime()).toBe(start.getTime());
    expect(shanghaiDayBounds(end).start.getTime()).toBe(end.getTime());
    expect(shanghaiDate(end)).toBe('2027-01-01');
  });
});

describe('greetingTiming', () => {
  const due = at('2026-11-20T09:00:00+08:00');

  it('sends a greeting that is due now or a little late', () => {
    expect(greetingTiming(due, due)).toEqual({ action: 'send' });
    expect(greetingTiming(due, at('2026-11-20T18:30:00+08:00'))).toEqual({ action: 'send' });
    expect(greetingTiming(due, new Date(due.getTime() + GREETING_STALE_MS))).toEqual({ action: 'send' });
  });

  it('waits for a greeting due later (an evening discharge greets the next morning)', () => {
    expect(greetingTiming(due, at('2026-11-19T21:30:00+08:00'))).toEqual({ action: 'wait', waitMs: 11.5 * 3600 * 1000 });
  });

  it('drops a greeting more than a day late, across a month end', () => {
    const endOfMonth = at('2026-11-30T10:00:00+08:00');
    expect(greetingTiming(endOfMonth, at('2026-12-01T10:00:00.001+08:00'))).toEqual({ action: 'stale' });
    expect(greetingTiming(endOfMonth, at('2026-12-01T10:00:00+08:00'))).toEqual({ action: 'send' });
  });

  it('rejects invalid dates', () => {
    expect(() => greetingTiming(new Date('x'), due)).toThrow(RangeError);
  });
});

describe('shanghaiDateTime', () => {
  it('formats an instant in Beijing time, across midnight and a month end', () => {
    expect(shanghaiDateTime(new Date('2026-11-30T02:05:00Z'))).toBe('11月30日 10:05');
    expect(shanghaiDateTime(new Date('2026-11-30T16:30:00Z'))).toBe('12月1日 00:30');
  });
});
