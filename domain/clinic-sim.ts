/**
 * Discrete-event simulation of one expert's outpatient session under an appointment quota plan
 * (分时段预约 仿真).
 *
 * One server (the expert), patients seen one at a time in the order given by
 * {@link orderQueue} from `clinic-queue.ts`: each time the expert becomes free, the patients who
 * have checked in and are not yet seen are ordered by the clinic-queue rules and the first is seen.
 *
 * Conventions:
 * - All times are minutes relative to session start (08:00 = 0; registration opening at 07:00 is
 *   −60). Internally they are converted to epoch-like milliseconds for {@link orderQueue}.
 * - Walk-ins check in when they register; a walk-in's slot is the slot holding its registration
 *   time (registrations before the first slot belong to the first slot, after the last slot to the
 *   last).
 * - Appointment patients (quotas[i] per slot i): each is a no-show with probability
 *   `noShowRate`; otherwise early (arrives 30–120 min before slot start) with probability
 *   `earlyShare`, late (30–120 min after slot start) with probability `lateShare`, else on time
 *   (uniformly within ±15 min of slot start). A late patient arriving before the slot's on-time
 *   deadline whose number was already called is seen next (过号 rule); one arriving after the
 *   deadline goes to the end of the queue.
 * - A number is "called" while its patient is absent when the expert becomes free at or after the
 *   slot start and that patient, had they been present, would have been seen before the head of
 *   the queue (or the queue is empty).
 * - The expert starts at `expertStartMinutes` (default 0; later when starting after ward rounds)
 *   and keeps seeing patients past the session end until every patient who came is seen.
 *
 * Wait (the documented choice): consultation start − max(arrival, slot start) for appointment
 * patients (an early arrival's wait counts from their slot start, as arriving early is their own
 * choice; 0 when seen before their slot starts), and consultation start − registration time for
 * walk-ins (they register on arrival, including from 07:00 before the session opens).
 *
 * Idle minutes: minutes between the expert's start and the end of the last consultation during
 * which the expert is not consulting (waiting for patients who have not yet arrived). Time after
 * the last consultation is not idle.
 *
 * Pure and deterministic given `rng` (e.g. {@link mulberry32} from `quota.ts`).
 */
import { orderQueue, type QueueEntry } from './clinic-queue.js';

const MS = 60_000;

/** One slot of the session, in minutes from session start: [start, end). */
export interface SlotWindow {
  start: number;
  end: number;
}

/** `count` consecutive slots of `slotMinutes` from minute 0. */
export function makeSlots(count: number, slotMinutes: number): SlotWindow[] {
  if (!Number.isInteger(count) || count <= 0) throw new RangeError(`count must be a positive integer (got ${count})`);
  if (!Number.isFinite(slotMinutes) || slotMinutes <= 0) throw new RangeError(`slotMinutes must be positive (got ${slotMinutes})`);
  return Array.from({ length: count }, (_, i) => ({ start: i * slotMinutes, end: (i + 1) * slotMinutes }));
}

/** How appointment patients arrive; shares and rate are probabilities in [0, 1]. */
export interface AppointmentBehaviour {
  /** Share of attending appointment patients arriving 30–120 min before their slot starts. */
  earlyShare: number;
  /** Share of attending appointment patients arriving 30–120 min after their slot starts. */
  lateShare: number;
  /** Probability that an appointment patient does not come at all. */
  noShowRate: number;
}

/** Input of {@link simulateSession}. */
export interface SimulateSessionInput {
  slots: readonly SlotWindow[];
  /** Appointment numbers per slot (same length as `slots`). */
  quotas: readonly number[];
  /** Walk-in registration (= check-in) times, minutes from session start; any order. */
  walkIns: readonly number[];
  appointmentBehaviour: AppointmentBehaviour;
  /** Consultation duration (minutes, > 0) of the `index`-th consultation of the session (0-based). */
  consult: (rng: () => number, index: number) => number;
  /** Random source in [0, 1). */
  rng: () => number;
  /** When the expert starts seeing patients, minutes from session start (default 0). */
  expertStartMinutes?: number;
  /** Grace period for clinic-queue's on-time rule (default: clinic-queue's default). */
  graceMinutes?: number;
}

/** One patient who was seen. */
export interface PatientOutcome {
  ticket: string;
  kind: 'appointment' | 'walk_in';
  slotIndex: number;
  /** Check-in time (minutes from session start). */
  arrival: number;
  /** Consultation start and end (minutes from session start). */
  start: number;
  end: number;
  /** Wait in minutes, see the module documentation. */
  wait: number;
  /** Queue rule that placed the patient when called in. */
  rule: 'late_called' | 'appointment' | 'walk_in' | 'after_slot_end';
}

/** Result of one simulated session. */
export interface SessionResult {
  patients: PatientOutcome[];
  /** Appointment patients who did not come. */
  noShows: number;
  idleMinutes: number;
  /** End of the last consultation (minutes from session start); expertStart when nobody came. */
  finish: number;
}

interface SimPatient {
  entry: QueueEntry;
  arrival: number;
  slotStart: number;
}

function assertShare(v: number, name: string): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) {
    throw new RangeError(`${name} must be within [0, 1] (got ${String(v)})`);
  }
}

function slotOf(slots: readonly SlotWindow[], t: number): number {
  for (let i = 0; i < slots.length; i++) {
    const s = slots[i];
    if (s !== undefined && t < s.end) return i;
  }
  return slots.length - 1;
}

/** Simulates one session; see the module documentation. */
export function simulateSession(input: SimulateSessionInput): SessionResult {
  const { slots, quotas, walkIns, appointmentBehaviour: b, consult, rng, expertStartMinutes = 0 } = input;
  if (slots.length === 0) throw new RangeError('slots must not be empty');
  if (quotas.length !== slots.length) throw new RangeError('quotas must have one entry per slot');
  quotas.forEach((q, i) => {
    if (!Number.isInteger(q) || q < 0) throw new RangeError(`quotas[${i}] must be a non-negative integer`);
  });
  walkIns.forEach((w, i) => {
    if (!Number.isFinite(w)) throw new RangeError(`walkIns[${i}] must be finite`);
  });
  assertShare(b.earlyShare, 'earlyShare');
  assertShare(b.lateShare, 'lateShare');
  assertShare(b.noShowRate, 'noShowRate');
  if (b.earlyShare + b.lateShare > 1) throw new RangeError('earlyShare + lateShare must not exceed 1');
  if (!Number.isFinite(expertStartMinutes)) throw new RangeError('expertStartMinutes must be finite');
  const options = input.graceMinutes === undefined ? {} : { graceMinutes: input.graceMinutes };

  const patients: SimPatient[] = [];
  let noShows = 0;
  slots.forEach((slot, i) => {
    const q = quotas[i] ?? 0;
    for (let k = 0; k < q; k++) {
      const ticket = `A${i}-${String(k + 1).padStart(2, '0')}`;
      if (rng() < b.noShowRate) {
        noShows++;
        continue;
      }
      const u = rng();
      const offset = 30 + 90 * rng();
      const arrival =
        u < b.earlyShare ? slot.start - offset : u < b.earlyShare + b.lateShare ? slot.start + offset : slot.start - 15 + 30 * rng();
      patients.push({
        arrival,
        slotStart: slot.start,
        entry: {
          ticket,
          kind: 'appointment',
          slotIndex: i,
          slotStart: slot.start * MS,
          slotEnd: slot.end * MS,
          checkedInAt: arrival * MS,
          registeredAt: (slot.start - 24 * 60) * MS,
        },
      });
    }
  });
  [...walkIns]
    .sort((x, y) => x - y)
    .forEach((reg, k) => {
      const i = slotOf(slots, reg);
      const slot = slots[i] as SlotWindow;
      patients.push({
        arrival: reg,
        slotStart: slot.start,
        entry: {
          ticket: `W${String(k + 1).padStart(3, '0')}`,
          kind: 'walk_in',
          slotIndex: i,
          slotStart: slot.start * MS,
          slotEnd: slot.end * MS,
          checkedInAt: reg * MS,
          registeredAt: reg * MS,
        },
      });
    });

  const byTicket = new Map(patients.map((p) => [p.entry.ticket, p]));
  const unseen = new Set(patients.map((p) => p.entry.ticket));
  const outcomes: PatientOutcome[] = [];
  let t = expertStartMinutes;
  let idle = 0;
  let index = 0;
  while (unseen.size > 0) {
    const waiting: QueueEntry[] = [];
    const absent: QueueEntry[] = [];
    for (const ticket of unseen) {
      const p = byTicket.get(ticket) as SimPatient;
      if (p.arrival <= t) waiting.push(p.entry);
      else if (p.entry.kind === 'appointment' && p.entry.calledAt == null && p.slotStart <= t) absent.push(p.entry);
    }
    // Call the numbers of absent appointment patients who would be seen before the head of the queue.
    if (absent.length > 0) {
      const pretend = absent.map((e) => ({ ...e, checkedInAt: t * MS, ticket: `~${e.ticket}` }));
      const order = orderQueue([...waiting, ...pretend], t * MS, options);
      for (const e of order) {
        if (!e.ticket.startsWith('~')) break;
        const p = byTicket.get(e.ticket.slice(1)) as SimPatient;
        p.entry = { ...p.entry, calledAt: t * MS };
      }
    }
    if (waiting.length === 0) {
      let next = Infinity;
      for (const ticket of unseen) next = Math.min(next, (byTicket.get(ticket) as SimPatient).arrival);
      idle += next - t;
      t = next;
      continue;
    }
    // Re-read entries so that calls made just now are visible.
    const current = waiting.map((e) => (byTicket.get(e.ticket) as SimPatient).entry);
    const head = orderQueue(current, t * MS, options)[0];
    if (head === undefined) throw new Error('unreachable: empty queue');
    const p = byTicket.get(head.ticket) as SimPatient;
    const duration = consult(rng, index++);
    if (!Number.isFinite(duration) || duration <= 0) throw new RangeError(`consult must return a positive duration (got ${duration})`);
    const from = p.entry.kind === 'appointment' ? Math.max(p.arrival, p.slotStart) : p.arrival;
    outcomes.push({
      ticket: head.ticket,
      kind: head.kind,
      slotIndex: head.slotIndex,
      arrival: p.arrival,
      start: t,
      end: t + duration,
      wait: Math.max(0, t - from),
      rule: head.rule,
    });
    unseen.delete(head.ticket);
    t += duration;
  }
  return { patients: outcomes, noShows, idleMinutes: idle, finish: outcomes.length > 0 ? t : expertStartMinutes };
}

/** Mean and 90th percentile of a set of waits. */
export interface WaitStats {
  count: number;
  mean: number;
  /** Nearest-rank 90th percentile (the ⌈0.9·n⌉-th smallest); 0 when empty. */
  p90: number;
}

/** Summary of many sessions from {@link summarise}. */
export interface SimulationSummary {
  walkIn: WaitStats;
  appointment: WaitStats;
  /** Mean idle minutes per session. */
  idleMinutes: number;
  /** Mean end of the last consultation per session (minutes from session start). */
  finish: number;
  noShows: number;
  sessions: number;
}

function stats(waits: number[]): WaitStats {
  if (waits.length === 0) return { count: 0, mean: 0, p90: 0 };
  const sorted = [...waits].sort((a, b) => a - b);
  const mean = sorted.reduce((s, w) => s + w, 0) / sorted.length;
  const p90 = sorted[Math.ceil(0.9 * sorted.length) - 1] ?? 0;
  return { count: sorted.length, mean, p90 };
}

/** Pools the patients of all sessions: mean and p90 wait per kind, mean idle minutes per session. */
export function summarise(results: readonly SessionResult[]): SimulationSummary {
  const all = results.flatMap((r) => r.patients);
  const n = results.length;
  return {
    walkIn: stats(all.filter((p) => p.kind === 'walk_in').map((p) => p.wait)),
    appointment: stats(all.filter((p) => p.kind === 'appointment').map((p) => p.wait)),
    idleMinutes: n === 0 ? 0 : results.reduce((s, r) => s + r.idleMinutes, 0) / n,
    finish: n === 0 ? 0 : results.reduce((s, r) => s + r.finish, 0) / n,
    noShows: results.reduce((s, r) => s + r.noShows, 0),
    sessions: n,
  };
}
