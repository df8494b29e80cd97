import { describe, expect, it } from 'vitest';
import { datedSessions, isoWeekday, sessionOn } from './clinic-schedule.js';

const monday = { id: 's1', weekday: 1, startsAt: '08:00', endsAt: '11:30', registrationOpensAt: '07:00', slotMinutes: 60, appointmentNumbers: 10 };

describe('clinic schedule', () => {
  it('knows ISO weekdays of local dates', () => {
    expect(isoWeekday('2026-11-30')).toBe(1);
    expect(isoWeekday('2026-12-06')).toBe(7);
  });

  it('cuts a session into slots in Asia/Shanghai, the last one shorter, and spreads the appointment numbers', () => {
    const s = sessionOn(monday, '2026-11-30');
    expect(s.registrationOpensAt.toISOString()).toBe('2026-11-29T23:00:00.000Z');
    expect(s.startsAt.toISOString()).toBe('2026-11-30T00:00:00.000Z');
    expect(s.endsAt.toISOString()).toBe('2026-11-30T03:30:00.000Z');
    expect(s.slots.map((x) => [x.startsAt.toISOString().slice(11, 16), x.endsAt.toISOString().slice(11, 16), x.quota])).toEqual([
      ['00:00', '01:00', 3],
      ['01:00', '02:00', 3],
      ['02:00', '03:00', 2],
      ['03:00', '03:30', 2],
    ]);
  });

  it('makes the sessions of a window on their weekdays, leaving out closed dates', () => {
    const friday = { ...monday, id: 's5', weekday: 5, startsAt: '13:30', endsAt: '17:00', registrationOpensAt: '13:00' };
    const got = datedSessions([monday, friday], new Set(['s1 2026-12-07']), '2026-11-30', 14);
    expect(got.map((s) => `${s.scheduleId} ${s.date}`)).toEqual(['s1 2026-11-30', 's5 2026-12-04', 's5 2026-12-11']);
  });
});
