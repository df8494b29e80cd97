/**
 * Due-time arithmetic in Asia/Shanghai (医院本地时间).
 *
 * China has observed no daylight saving time since 1991: Asia/Shanghai is a fixed UTC+08:00, so
 * this module uses a constant +08:00 offset instead of a time-zone database. That keeps it pure
 * and deterministic (no Intl, no Date.now()), as Temporal workflow code requires. Do not use it
 * for instants before 1991.
 *
 * Local dates are `YYYY-MM-DD` strings; instants are `Date`s.
 */

/** Touchpoints are due at 09:00 local. */
export const FOLLOW_UP_HOUR = 9;
/** The contact window opens at 08:00 local … */
export const DAY_STARTS_HOUR = 8;
/** … and closes at 20:00 local. */
export const EVENING_STARTS_HOUR = 20;

/** Asia/Shanghai is UTC+08:00 all year (no DST since 1991). */
const OFFSET_MS = 8 * 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
const LOCAL_DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

function instantMs(instant: Date, name: string): number {
  const ms = instant instanceof Date ? instant.getTime() : Number.NaN;
  if (!Number.isFinite(ms)) throw new RangeError(`${name} is not a valid date`);
  return ms;
}

/** Milliseconds since the epoch of midnight UTC on y-m-d (works for years 0000–9999, unlike Date.UTC for 0–99). */
function utcMidnightMs(year: number, month: number, day: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  return d.getTime();
}

function parseLocalDate(localDate: string): number {
  const m = typeof localDate === 'string' ? LOCAL_DATE_RE.exec(localDate) : null;
  if (m) {
    const ms = utcMidnightMs(Number(m[1]), Number(m[2]), Number(m[3]));
    // Round-trip rejects 2026-02-30, 2026-13-01 and the like.
    if (formatUtcDate(ms) === localDate) return ms;
  }
  throw new RangeError(`Invalid local date ${JSON.stringify(localDate)} (expected YYYY-MM-DD)`);
}

function formatUtcDate(ms: number): string {
  const d = new Date(ms);
  const year = d.getUTCFullYear();
  if (year < 0 || year > 9999) throw new RangeError(`Date out of range: year ${year}`);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(year, 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** Local hour (0–23) of an instant in Asia/Shanghai. */
function shanghaiHour(ms: number): number {
  return new Date(ms + OFFSET_MS).getUTCHours();
}

/**
 * Local calendar date (YYYY-MM-DD) of an instant in Asia/Shanghai.
 *
 * @example shanghaiDate(new Date('2026-11-20T15:30:00Z')) // '2026-11-20' (23:30 local)
 * @throws RangeError for an invalid Date.
 */
export function shanghaiDate(instant: Date): string {
  return formatUtcDate(instantMs(instant, 'instant') + OFFSET_MS);
}

/**
 * An instant as people in the hospital read it: `11月30日 09:05` in Asia/Shanghai (no Intl, so the
 * workflow sandbox formats it the same everywhere).
 */
export function shanghaiDateTime(instant: Date): string {
  const local = new Date(instantMs(instant, 'instant') + OFFSET_MS);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${local.getUTCMonth() + 1}月${local.getUTCDate()}日 ${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}`;
}

/**
 * The instant of HH:MM local time on a local date (YYYY-MM-DD) in Asia/Shanghai.
 *
 * @param hour integer 0–23
 * @param minute integer 0–59 (default 0)
 * @example shanghaiTime('2026-11-21', 9) // 2026-11-21T01:00:00.000Z
 * @throws RangeError for a malformed or impossible date, or an hour/minute out of range.
 */
export function shanghaiTime(localDate: string, hour: number, minute = 0): Date {
  const midnight = parseLocalDate(localDate);
  if (!Number.isInteger(hour) || hour < 0 || hour > 23) throw new RangeError(`Invalid hour ${hour} (expected 0–23)`);
  if (!Number.isInteger(minute) || minute < 0 || minute > 59) throw new RangeError(`Invalid minute ${minute} (expected 0–59)`);
  return new Date(midnight + (hour * 60 + minute) * 60_000 - OFFSET_MS);
}

/**
 * Adds calendar days to a local date string (handles month/year ends, leap years).
 *
 * @param days integer, may be negative
 * @example addDays('2026-01-31', 3) // '2026-02-03'
 * @throws RangeError for a malformed date or a non-integer `days`.
 */
export function addDays(localDate: string, days: number): string {
  const midnight = parseLocalDate(localDate);
  if (!Number.isInteger(days)) throw new RangeError(`Invalid day count ${days} (expected an integer)`);
  return formatUtcDate(midnight + days * DAY_MS);
}

/** When a touchpoint is due, relative to discharge. Exactly one of the two is set. */
export interface TouchpointTiming {
  /** Calendar days after the local discharge date; due at 09:00 local that day. */
  offsetDays?: number;
  /** Seconds after the discharge instant (short timings for tests and demos). */
  offsetSeconds?: number;
}

/**
 * Due instant of a touchpoint: with offsetDays, 09:00 Asia/Shanghai on (local discharge date +
 * offsetDays); with offsetSeconds (short timings for tests/demo), dischargedAt + seconds exactly.
 *
 * The local discharge date is used, not the UTC one: a discharge at 23:30 local (15:30Z) on
 * 11-20 with offsetDays 3 is due 11-23 09:00 local. With offsetDays 0 the due time is 09:00 on
 * the discharge day, which may precede the discharge itself.
 *
 * @throws RangeError unless exactly one of offsetDays / offsetSeconds is given (`null` counts as
 *   absent), for negative values, a non-integer offsetDays, a non-finite offsetSeconds, or an
 *   invalid dischargedAt.
 */
export function touchpointDueAt(dischargedAt: Date, timing: TouchpointTiming): Date {
  const discharged = instantMs(dischargedAt, 'dischargedAt');
  const { offsetDays, offsetSeconds } = timing ?? {};
  const hasDays = offsetDays !== undefined && offsetDays !== null;
  const hasSeconds = offsetSeconds !== undefined && offsetSeconds !== null;
  if (hasDays === hasSeconds) throw new RangeError('Exactly one of offsetDays and offsetSeconds must be given');
  if (hasDays) {
    if (typeof offsetDays !== 'number' || !Number.isInteger(offsetDays) || offsetDays < 0) {
      throw new RangeError(`Invalid offsetDays ${String(offsetDays)} (expected a non-negative integer)`);
    }
    return shanghaiTime(addDays(shanghaiDate(dischargedAt), offsetDays), FOLLOW_UP_HOUR);
  }
  if (typeof offsetSeconds !== 'number' || !Number.isFinite(offsetSeconds) || offsetSeconds < 0) {
    throw new RangeError(`Invalid offsetSeconds ${String(offsetSeconds)} (expected a non-negative number)`);
  }
  return new Date(discharged + Math.round(offsetSeconds * 1000));
}

/**
 * When the discharge-day greeting goes out: at discharge if it happened between 08:00 and 20:00
 * local; 09:00 the same day if before 08:00; 09:00 the next morning if at/after 20:00.
 *
 * @example greetingAt(new Date('2026-11-20T21:30:00+08:00')) // 2026-11-21T09:00+08:00
 * @throws RangeError for an invalid Date.
 */
export function greetingAt(dischargedAt: Date): Date {
  const ms = instantMs(dischargedAt, 'dischargedAt');
  const hour = shanghaiHour(ms);
  const date = shanghaiDate(dischargedAt);
  if (hour < DAY_STARTS_HOUR) return shanghaiTime(date, FOLLOW_UP_HOUR);
  if (hour >= EVENING_STARTS_HOUR) return shanghaiTime(addDays(date, 1), FOLLOW_UP_HOUR);
  return new Date(ms);
}

/** A greeting more than a day late (a discharge reported late) would confuse more than help. */
export const GREETING_STALE_MS = 24 * 3600 * 1000;

/**
 * What to do with a greeting due at `at` when it is `now`: send it, wait `waitMs`, or drop it
 * as stale (more than GREETING_STALE_MS late).
 */
export function greetingTiming(at: Date, now: Date): { action: 'send' } | { action: 'wait'; waitMs: number } | { action: 'stale' } {
  const late = instantMs(now, 'now') - instantMs(at, 'at');
  if (late > GREETING_STALE_MS) return { action: 'stale' };
  return late < 0 ? { action: 'wait', waitMs: -late } : { action: 'send' };
}

/**
 * Whole calendar days (local dates) from discharge to `now` (0 on discharge day), e.g. 1 at
 * 00:10 local after a discharge at 23:50 the evening before. Negative if `now` is on a local
 * date before the discharge date.
 *
 * @throws RangeError for an invalid Date.
 */
export function daysSince(dischargedAt: Date, now: Date): number {
  const from = parseLocalDate(shanghaiDate(dischargedAt));
  const to = parseLocalDate(shanghaiDate(now));
  return Math.round((to - from) / DAY_MS);
}

/**
 * Start and end instants of the local day containing `now` (for "due today" lists). The range
 * is half-open: `start` is 00:00 local of that day (inclusive), `end` is 00:00 local of the
 * next day (exclusive), so query with `due_at >= start AND due_at < end`.
 *
 * @throws RangeError for an invalid Date.
 */
export function shanghaiDayBounds(now: Date): { start: Date; end: Date } {
  const date = shanghaiDate(now);
  return { start: shanghaiTime(date, 0), end: shanghaiTime(addDays(date, 1), 0) };
}
