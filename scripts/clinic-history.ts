/**
 * Demo history generator: a month of one expert's morning sessions (08:00–12:00, registration opens
 * 07:00), deterministic for a seed (mulberry32 from domain/quota.ts).
 *
 * Per working day: 30 numbers, 12 of them open to appointment; 14–18 walk-ins register (the rest
 * of the walk-in numbers go unsold on quiet days). Walk-in registrations peak 07:00–09:00 and taper
 * off (share per half hour from 07:00: 22 %, 18 %, 16 %, 12 %, 10 %, 8 %, 6 %, 4 %, 2 %, 2 %).
 * The expert's habits are a {@link ClinicProfile}: by default consultation minutes ~N(9, 3) clipped
 * to [3, 25], and on about 40 % of days the expert comes late (15–40 min) after ward rounds.
 * `seenPerSlot` / `consultStarts` are what a busy clinic would have seen: consultations back to back
 * from the expert's start, counted by the hour in which they start.
 *
 * Times are minutes from session start (08:00 = 0, 07:00 = −60).
 */
import { mulberry32, slotCount } from '../domain/quota.js';
import { consultationsBySlot, slotCapacityFromHistory, type CapacityRule, type SlotCapacity } from '../domain/consultation-capacity.js';
import { makeSlots } from '../domain/clinic-sim.js';

/** One historical session. */
export interface ClinicDay {
  /** Working day, YYYY-MM-DD. */
  date: string;
  /** Walk-in registration times, minutes from 08:00 (−60 … 240), ascending. */
  walkInRegistrations: number[];
  /** Consultation durations in minutes, in consultation order (one per patient seen). */
  consultMinutes: number[];
  /** When the expert started seeing patients, minutes after 08:00 (0 unless late after ward rounds). */
  expertStartMinutes: number;
  /** Patients seen per slot (consultations starting in that hour). */
  seenPerSlot: number[];
  /**
   * When each consultation started, minutes from 08:00 (same order as `consultMinutes`); recorded
   * history has the clinic page's call times, generated history back to back from the expert's start.
   */
  consultStarts?: number[];
}

/** One expert's habits in the generated history. */
export interface ClinicProfile {
  /** Shown in the output (default '心内科 王主任 (demo)'). */
  expert?: string;
  /** Consultation minutes ~N(mean, sd), clipped to [3, 25] (default 9, 3). */
  consultMeanMinutes?: number;
  consultSdMinutes?: number;
  /** Share of days the expert starts late after ward rounds (default 0.4). */
  lateShare?: number;
  /** How late, minutes after the session start, uniform in [min, max] (default [15, 40]). */
  lateMinutes?: readonly [number, number];
}

/** A month of sessions of one expert. */
export interface ClinicHistory {
  expert: string;
  /** Session start, "08:00"; all minute offsets are relative to it. */
  sessionStart: string;
  /** Registration opening, minutes from session start (−60 = 07:00). */
  registrationOpensMinutes: number;
  periodMinutes: number;
  slotMinutes: number;
  totalNumbers: number;
  appointmentNumbers: number;
  days: ClinicDay[];
}

/** Share of walk-in registrations per half hour from 07:00 to 12:00. */
const HALF_HOUR_SHARES = [0.22, 0.18, 0.16, 0.12, 0.1, 0.08, 0.06, 0.04, 0.02, 0.02];

function pickHalfHour(u: number): number {
  let acc = 0;
  for (let i = 0; i < HALF_HOUR_SHARES.length; i++) {
    acc += HALF_HOUR_SHARES[i] ?? 0;
    if (u < acc) return i;
  }
  return HALF_HOUR_SHARES.length - 1;
}

function normal(rng: () => number): number {
  const u = Math.max(rng(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

function workingDays(count: number, from = new Date(Date.UTC(2025, 2, 3))): string[] {
  const days: string[] = [];
  const d = new Date(from);
  while (days.length < count) {
    const wd = d.getUTCDay();
    if (wd !== 0 && wd !== 6) days.push(d.toISOString().slice(0, 10));
    d.setUTCDate(d.getUTCDate() + 1);
  }
  return days;
}

/** Generates `days` working days of history (default 20), the same for the same seed and profile. */
export function generateClinicHistory({ seed, days = 20, profile = {} }: { seed: number; days?: number; profile?: ClinicProfile }): ClinicHistory {
  if (!Number.isInteger(days) || days <= 0) throw new RangeError(`days must be a positive integer (got ${days})`);
  const { consultMeanMinutes = 9, consultSdMinutes = 3, lateShare = 0.4, lateMinutes: [lateMin, lateMax] = [15, 40] } = profile;
  const rng = mulberry32(seed);
  const totalNumbers = 30;
  const appointmentNumbers = 12;
  const slotMinutes = 60;
  const periodMinutes = 240;
  const slots = periodMinutes / slotMinutes;
  const out: ClinicDay[] = workingDays(days).map((date) => {
    const walkIns = 14 + Math.floor(rng() * 5);
    const walkInRegistrations = Array.from({ length: walkIns }, () => {
      const h = pickHalfHour(rng());
      return Math.round((-60 + h * 30 + rng() * 30) * 10) / 10;
    })
      .map((m) => Math.min(m, periodMinutes - 0.1))
      .sort((a, b) => a - b);
    const expertStartMinutes = rng() < lateShare ? lateMin + Math.round(rng() * (lateMax - lateMin)) : 0;
    const seen = walkIns + appointmentNumbers;
    const consultMinutes = Array.from({ length: seen }, () =>
      Math.round(Math.min(25, Math.max(3, consultMeanMinutes + consultSdMinutes * normal(rng))) * 10) / 10,
    );
    const seenPerSlot = new Array<number>(slots).fill(0);
    const consultStarts: number[] = [];
    let t = expertStartMinutes;
    for (const c of consultMinutes) {
      const i = Math.floor(t / slotMinutes);
      if (i < slots) seenPerSlot[i] = (seenPerSlot[i] ?? 0) + 1;
      consultStarts.push(Math.round(t * 10) / 10);
      t += c;
    }
    return { date, walkInRegistrations, consultMinutes, expertStartMinutes, seenPerSlot, consultStarts };
  });
  return {
    expert: profile.expert ?? '心内科 王主任 (demo)',
    sessionStart: '08:00',
    registrationOpensMinutes: -60,
    periodMinutes,
    slotMinutes,
    totalNumbers,
    appointmentNumbers,
    days: out,
  };
}

/** When each consultation of the day started: the recorded call times, or back to back from the expert's start. */
export function consultStartsOf(day: ClinicDay): number[] {
  if (day.consultStarts) return day.consultStarts;
  let t = day.expertStartMinutes;
  return day.consultMinutes.map((c) => {
    const start = t;
    t += c;
    return start;
  });
}

/**
 * Each slot's capacity from the history's consultations, by the product's rule
 * (domain/consultation-capacity.ts: slot minutes ÷ mean consultation time, or the observed mean seen
 * when that is below `rule.lateStartRatio` × the expectation), as the nightly plan computes it.
 */
export function historyCapacities(history: ClinicHistory, rule: CapacityRule): SlotCapacity[] {
  const layout = makeSlots(slotCount(history.periodMinutes, history.slotMinutes), history.slotMinutes).map((s) => ({ offset: s.start, minutes: s.end - s.start }));
  const records = history.days.flatMap((d, k) => {
    const starts = consultStartsOf(d);
    // Each day on its own (far apart) clock, so that the instants of different days never mix.
    const sessionStart = k * 7 * 24 * 60 * 60_000;
    return d.consultMinutes.map((c, i) => ({ sessionStart, startedAt: sessionStart + (starts[i] ?? 0) * 60_000, endedAt: sessionStart + ((starts[i] ?? 0) + c) * 60_000 }));
  });
  const bySlot = consultationsBySlot(layout, records);
  return layout.map((l, i) => slotCapacityFromHistory(l.minutes, { consultMinutes: bySlot[i]!, pastSessions: history.days.length }, rule));
}
