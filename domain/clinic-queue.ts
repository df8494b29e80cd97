/**
 * Consultation order in a time-sliced outpatient session (分时段预约 queue rules).
 *
 * Rules, in order of precedence:
 *
 * 1. Late-called: an appointment patient who checks in on time but after their number was called
 *    (过号) is next to be seen — at the front of the whole queue (several: in check-in order).
 * 2. After slot end: an appointment patient who checks in after their on-time deadline is placed at
 *    the end of the last slot's queue, i.e. after every other waiting patient (several: in
 *    check-in order). This is re-derived on every call, so later walk-ins of the last slot are
 *    still seen before them.
 * 3. Otherwise patients are queued slot by slot (by `slotIndex`); within a slot, checked-in
 *    appointment patients first in check-in order, then walk-ins in registration order.
 *
 * On time: checked in before the slot's end, or within the grace period (default 30 min) after
 * slot start when that ends later (only matters for slots shorter than the grace period, and only
 * when `slotStart` is given). Early arrival (before slot start) is on time.
 *
 * Assumptions:
 * - All instants are numbers in one unit: epoch milliseconds (e.g. `Date.getTime()`); the grace
 *   period is given in minutes.
 * - Callers pass only patients not yet seen; a patient in consultation or finished is removed by
 *   the caller. Patients not checked in (`checkedInAt` null/undefined or after `now`) are left out.
 * - `calledAt` means the number was called while the patient was absent; it is ignored when after
 *   `now` or not before `checkedInAt`, and for walk-ins (the late rules apply to appointments only).
 * - Ties are broken by ticket (string order), so the result is deterministic.
 *
 * Pure (no I/O, no clock), safe inside Temporal workflows.
 */

/** Default grace period after slot start that still counts as on time, in minutes. */
export const DEFAULT_GRACE_MINUTES = 30;

const MINUTE_MS = 60_000;

/** A patient waiting in (or registered for) a session. */
export interface QueueEntry {
  /** Ticket number (就诊号), unique within the session, e.g. "A012". */
  ticket: string;
  /** Appointment (预约) or walk-in (现场挂号) patient. */
  kind: 'appointment' | 'walk_in';
  /** 0-based index of the patient's slot within the period. */
  slotIndex: number;
  /** Start of the patient's slot (epoch ms); optional, only needed for the grace period. */
  slotStart?: number;
  /** End of the patient's slot (epoch ms). */
  slotEnd: number;
  /** When the patient checked in (签到), epoch ms; null/undefined when not yet checked in. */
  checkedInAt?: number | null;
  /** When the number was registered/booked (epoch ms); orders walk-ins. */
  registeredAt: number;
  /** When the number was called while the patient was absent (epoch ms), if it was. */
  calledAt?: number | null;
}

/** Which rule placed an entry; see the module documentation. */
export type QueueRule = 'late_called' | 'appointment' | 'walk_in' | 'after_slot_end';

/** An entry in consultation order, with the rule that placed it. */
export type QueuedEntry = QueueEntry & { rule: QueueRule };

/** Options of {@link orderQueue}. */
export interface OrderQueueOptions {
  /** Minutes after slot start that still count as on time (default 30). */
  graceMinutes?: number;
}

const GROUP: Record<QueueRule, number> = { late_called: 0, appointment: 1, walk_in: 1, after_slot_end: 2 };

function assertFinite(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new RangeError(`${name} must be a finite number (got ${String(value)})`);
  }
}

function validate(entry: QueueEntry, i: number): void {
  const at = `entries[${i}]`;
  if (typeof entry.ticket !== 'string' || entry.ticket === '') throw new RangeError(`${at}.ticket must be a non-empty string`);
  if (entry.kind !== 'appointment' && entry.kind !== 'walk_in') {
    throw new RangeError(`${at}.kind must be 'appointment' or 'walk_in'`);
  }
  if (!Number.isInteger(entry.slotIndex) || entry.slotIndex < 0) {
    throw new RangeError(`${at}.slotIndex must be a non-negative integer`);
  }
  assertFinite(entry.slotEnd, `${at}.slotEnd`);
  assertFinite(entry.registeredAt, `${at}.registeredAt`);
  if (entry.slotStart !== undefined) {
    assertFinite(entry.slotStart, `${at}.slotStart`);
    if (entry.slotStart > entry.slotEnd) throw new RangeError(`${at}.slotStart must not be after slotEnd`);
  }
  if (entry.checkedInAt != null) assertFinite(entry.checkedInAt, `${at}.checkedInAt`);
  if (entry.calledAt != null) assertFinite(entry.calledAt, `${at}.calledAt`);
}

/**
 * The consultation order at `now` of the patients who have checked in (see the module
 * documentation for the rules and assumptions).
 *
 * @param entries - patients of one session not yet seen, in any order.
 * @param now - the current instant (epoch ms), passed in so the function stays pure.
 * @returns checked-in entries, next to be seen first, each tagged with the rule that placed it.
 * @throws RangeError on invalid fields, duplicate tickets, a non-finite `now` or a negative grace.
 */
export function orderQueue(
  entries: readonly QueueEntry[],
  now: number,
  options: OrderQueueOptions = {},
): QueuedEntry[] {
  if (!Array.isArray(entries)) throw new RangeError('entries must be an array');
  assertFinite(now, 'now');
  const { graceMinutes = DEFAULT_GRACE_MINUTES } = options;
  assertFinite(graceMinutes, 'graceMinutes');
  if (graceMinutes < 0) throw new RangeError('graceMinutes must not be negative');
  const graceMs = graceMinutes * MINUTE_MS;

  const seen = new Set<string>();
  const queued: { entry: QueuedEntry; time: number }[] = [];
  entries.forEach((entry, i) => {
    validate(entry, i);
    if (seen.has(entry.ticket)) throw new RangeError(`entries[${i}].ticket "${entry.ticket}" is duplicated`);
    seen.add(entry.ticket);
    const checkedInAt = entry.checkedInAt;
    if (checkedInAt == null || checkedInAt > now) return;

    let rule: QueueRule;
    let time: number;
    if (entry.kind === 'walk_in') {
      rule = 'walk_in';
      time = entry.registeredAt;
    } else {
      const deadline = entry.slotStart === undefined ? entry.slotEnd : Math.max(entry.slotEnd, entry.slotStart + graceMs);
      const called = entry.calledAt != null && entry.calledAt <= now && entry.calledAt < checkedInAt;
      if (checkedInAt > deadline) rule = 'after_slot_end';
      else if (called) rule = 'late_called';
      else rule = 'appointment';
      time = checkedInAt;
    }
    queued.push({ entry: { ...entry, rule }, time });
  });

  queued.sort((a, b) => {
    const ga = GROUP[a.entry.rule];
    const gb = GROUP[b.entry.rule];
    if (ga !== gb) return ga - gb;
    if (ga === 1) {
      if (a.entry.slotIndex !== b.entry.slotIndex) return a.entry.slotIndex - b.entry.slotIndex;
      if (a.entry.kind !== b.entry.kind) return a.entry.kind === 'appointment' ? -1 : 1;
    }
    if (a.time !== b.time) return a.time - b.time;
    return a.entry.ticket < b.entry.ticket ? -1 : a.entry.ticket > b.entry.ticket ? 1 : 0;
  });
  return queued.map((q) => q.entry);
}

/**
 * 1-based position of `ticket` in a queue from {@link orderQueue} (1 = next to be seen), or
 * undefined when the ticket is not in the queue.
 */
export function positionOf(queue: readonly Pick<QueueEntry, 'ticket'>[], ticket: string): number | undefined {
  const i = queue.findIndex((e) => e.ticket === ticket);
  return i < 0 ? undefined : i + 1;
}

/**
 * Estimated wait before consultation starts: (position − 1) × meanConsultMinutes. Ignores the
 * remaining time of a consultation already in progress.
 *
 * @throws RangeError when position is not a positive integer or meanConsultMinutes is negative or
 *   not finite.
 */
export function estimatedWaitMinutes(position: number, meanConsultMinutes: number): number {
  if (!Number.isInteger(position) || position < 1) {
    throw new RangeError(`position must be a positive integer (got ${String(position)})`);
  }
  assertFinite(meanConsultMinutes, 'meanConsultMinutes');
  if (meanConsultMinutes < 0) throw new RangeError('meanConsultMinutes must not be negative');
  return (position - 1) * meanConsultMinutes;
}
