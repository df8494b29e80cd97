import { describe, expect, it } from 'vitest';
import { followUpVerdict } from './discharge-age.js';

const policy = { horizonDays: 90, lateWindowDays: 7 };
const now = new Date('2026-11-29T12:00:00+08:00');
const plan = [{ offsetDays: 3 }, { offsetDays: 7 }, { offsetDays: 14 }];

describe('followUpVerdict', () => {
  it('follows up a fresh discharge and a backlog of a few days, late but not skipped', () => {
    expect(followUpVerdict(new Date('2026-11-29T09:00:00+08:00'), plan, now, policy)).toEqual({ followUp: true });
    expect(followUpVerdict(new Date('2026-11-24T09:00:00+08:00'), [{ offsetDays: 3 }], now, policy)).toEqual({ followUp: true });
  });

  it('skips a discharge whose last touchpoint passed more than the late window ago', () => {
    // day 14 of 2026-11-01 is 11-15 09:00; 14 days later is past the 7-day window.
    const verdict = followUpVerdict(new Date('2026-11-01T10:00:00+08:00'), plan, now, policy);
    expect(verdict).toMatchObject({ followUp: false });
    expect(followUpVerdict(new Date('2026-11-18T10:00:00+08:00'), [{ offsetDays: 3 }], now, policy)).toMatchObject({ followUp: false });
  });

  it('skips anything older than the horizon, also without a plan', () => {
    expect(followUpVerdict(new Date('2013-02-11T10:00:00Z'), [], now, policy)).toEqual({ followUp: false, reason: '出院已超过 90 天,不再随访' });
    expect(followUpVerdict(new Date('2026-10-01T10:00:00+08:00'), [], now, policy)).toEqual({ followUp: true });
  });
});
