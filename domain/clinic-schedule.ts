/**
 * The dated clinic sessions a weekly schedule makes (出诊安排 → 门诊): for each day in a window, every
 * active schedule on that weekday, except on its closed dates, with its slots and an even first
 * spread of the appointment numbers (the nightly quota plan redistributes them from history).
 * Times are local (Asia/Shanghai). Pure.
 */
import { addDays, shanghaiTime } from './schedule.js';

export const HALF_DAY_LABELS = { am: '上午', pm: '下午' } as const;
export type HalfDay = keyof typeof HALF_DAY_LABELS;
export const WEEKDAY_LABELS = ['', '周一', '周二', '周三', '周四', '周五', '周六', '周日'] as const;

export interface WeeklySession {
  id: string;
  /** ISO weekday, 1 = Monday … 7 = Sunday. */
  weekday: number;
  /** Local times, `HH:MM`. */
  startsAt: string;
  endsAt: string;
  registrationOpensAt: string;
  slotMinutes: number;
  appointmentNumbers: number;
}

export interface DatedSession {
  scheduleId: string;
  date: string;
  registrationOpensAt: Date;
  startsAt: Date;
  endsAt: Date;
  slots: { index: number; startsAt: Date; endsAt: Date; quota: number }[];
}

/** ISO weekday of a local date (YYYY-MM-DD). */
export function isoWeekday(localDate: string): number {
  return new Date(`${localDate}T00:00:00Z`).getUTCDay() || 7;
}

const minutesOf = (hhmm: string) => {
  const m = /^(\d{2}):(\d{2})/.exec(hhmm);
  if (!m) throw new RangeError(`Invalid time ${hhmm} (expected HH:MM)`);
  return Number(m[1]) * 60 + Number(m[2]);
};
const at = (date: string, minutes: number) => shanghaiTime(date, Math.floor(minutes / 60), minutes % 60);

/** Slots of `slotMinutes` from start to end (the last one shorter when it does not divide evenly). */
export function sessionOn(s: WeeklySession, date: string): DatedSession {
  const start = minutesOf(s.startsAt);
  const end = minutesOf(s.endsAt);
  const slots: DatedSession['slots'] = [];
  for (let from = start, i = 0; from < end; from += s.slotMinutes, i++) {
    slots.push({ index: i, startsAt: at(date, from), endsAt: at(date, Math.min(from + s.slotMinutes, end)), quota: 0 });
  }
  // Even spread, the remainder to the earliest slots.
  slots.forEach((slot, i) => (slot.quota = Math.floor(s.appointmentNumbers / slots.length) + (i < s.appointmentNumbers % slots.length ? 1 : 0)));
  return { scheduleId: s.id, date, registrationOpensAt: at(date, minutesOf(s.registrationOpensAt)), startsAt: at(date, start), endsAt: at(date, end), slots };
}

/** The sessions on the `days` local dates from `firstDate` on, closed dates (`scheduleId date` keys) left out. */
export function datedSessions(schedules: WeeklySession[], closed: ReadonlySet<string>, firstDate: string, days: number): DatedSession[] {
  const out: DatedSession[] = [];
  for (let d = 0; d < days; d++) {
    const date = addDays(firstDate, d);
    for (const s of schedules) {
      if (s.weekday === isoWeekday(date) && !closed.has(`${s.id} ${date}`)) out.push(sessionOn(s, date));
    }
  }
  return out;
}
