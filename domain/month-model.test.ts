import { describe, expect, it } from 'vitest';
import { linkAnswerShare, modelMonth, staffingTable, type MonthModelInput } from './month-model.js';

const base: MonthModelInput = {
  dischargesPerDay: 100,
  days: 30,
  touchpoints: [
    { day: 3, channel: 'sms', maxAttempts: 3 },
    { day: 14, channel: 'phone', maxAttempts: 3 },
  ],
  wechatBound: 0.35,
  wechatAnswer: 0.4,
  ageBands: [
    { share: 0.6, linkAnswer: 0.1, elderly: false },
    { share: 0.4, linkAnswer: 0.04, elderly: true },
  ],
  phoneAnswer: 0.6,
  wrongNumber: 0.04,
  agents: 5,
  hoursPerDay: 9,
  callsPerHour: 10,
};

describe('linkAnswerShare', () => {
  it('counts WeChat for bound patients and SMS links only below the phone age, over the attempts', () => {
    const one = linkAnswerShare({ wechatBound: 0.5, wechatAnswer: 0.5, ageBands: [{ share: 1, linkAnswer: 0.2, elderly: false }] }, 1);
    expect(one.byLink).toBeCloseTo(0.5 * 0.5 + 0.5 * 0.2);
    const elderly = linkAnswerShare({ wechatBound: 0, wechatAnswer: 0.9, ageBands: [{ share: 1, linkAnswer: 0.9, elderly: true }] }, 3);
    expect(elderly).toEqual({ byLink: 0, toPhone: 1 });
    const twice = linkAnswerShare({ wechatBound: 0, wechatAnswer: 0, ageBands: [{ share: 1, linkAnswer: 0.5, elderly: false }] }, 2);
    expect(twice.byLink).toBeCloseTo(0.75);
  });
});

describe('modelMonth', () => {
  it('counts touchpoints due inside the month only (day 3 from day 3 on, day 14 from day 14 on)', () => {
    const r = modelMonth(base);
    expect(r.due).toBe(100 * (30 - 3) + 100 * (30 - 14));
  });

  it('with ample agents reaches every answering patient and leaves no backlog', () => {
    const r = modelMonth({ ...base, agents: 100, wrongNumber: 0, phoneAnswer: 1 });
    expect(r.coverage).toBeCloseTo(1);
    expect(r.backlogEnd).toBe(0);
    expect(r.overtimeHoursPerAgentDay).toBe(0);
  });

  it('with too few agents builds a backlog that needs overtime, and coverage falls', () => {
    const [few, many] = staffingTable(base, [1, 8]);
    expect(few!.backlogEnd).toBeGreaterThan(0);
    expect(few!.overtimeHoursPerAgentDay).toBeGreaterThan(0);
    expect(few!.coverage!).toBeLessThan(many!.coverage!);
    // One agent calls at capacity once work has started (nothing is due on days 0–2).
    expect(few!.calls).toBeLessThanOrEqual(9 * 10 * 27);
    expect(few!.calls).toBeGreaterThan(9 * 10 * 26);
  });

  it('phone only needs more calls for the same patients than links first', () => {
    const phoneOnly = modelMonth({ ...base, wechatBound: 0, touchpoints: base.touchpoints.map((t) => ({ ...t, channel: 'phone' as const })) });
    const automated = modelMonth(base);
    expect(automated.byLink).toBeGreaterThan(0);
    expect(phoneOnly.byLink).toBe(0);
    expect(phoneOnly.calls).toBeGreaterThan(automated.calls);
  });

  it('nothing due: coverage is null, not 0', () => {
    expect(modelMonth({ ...base, days: 2 }).coverage).toBeNull();
  });
});
