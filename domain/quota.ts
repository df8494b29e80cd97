/**
 * Appointment quotas for a time-sliced outpatient session (分时段预约, part of the numbers open to
 * appointment).
 *
 * A service period of T minutes (e.g. 08:00–12:00) is cut into M = T / t slots (t = 60 by
 * default). For each slot:
 *
 * - walk-in arrivals NX'ᵢ are estimated from history: in every past period, 1-minute windows of the
 *   slot are sampled at random (50 per slot per period by default, from a seeded PRNG so results
 *   are reproducible), the registrations in each window are counted (4 or more count as 4), and the
 *   mean count per minute over all samples × the slot length is the estimate
 *   ({@link estimateWalkIns}, {@link arrivalsPerSlot});
 * - capacity NXᵢ is slot minutes ÷ mean consultation minutes, or, for a slot whose expert
 *   historically starts late, the observed mean number of patients seen — computed from the recorded
 *   consultations by domain/consultation-capacity.ts (`slotCapacityFromHistory`), the only such rule;
 * - the first M − 1 slots get max(0, NXᵢ − NX'ᵢ) appointment numbers (floored to whole numbers),
 *   filled in slot order while the period's appointment numbers last, and the last slot gets all
 *   that remain ({@link allocateQuotas}).
 *
 * Pure and deterministic (no I/O, no clock, no Math.random), so it is safe inside Temporal
 * workflows. Invalid input throws a RangeError naming the offending argument.
 */

/** Default slot length t, in minutes. */
export const DEFAULT_SLOT_MINUTES = 60;
/** Default number of sampled 1-minute windows per slot per past period. */
export const DEFAULT_SAMPLES = 50;
/** Per-window registration counts above this are counted as this (4 or more count as 4). */
export const MAX_COUNT_PER_MINUTE = 4;

/**
 * Tolerance used when flooring capacity − walk-ins, so that a difference such as 2.9999999999996
 * produced by floating-point division (e.g. 60 / 20) still counts as 3.
 */
const FLOOR_EPSILON = 1e-9;

function assertFiniteNonNegative(value: number, name: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`${name} must be a finite non-negative number (got ${String(value)})`);
  }
}

function assertPositive(value: number, name: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${name} must be a finite positive number (got ${String(value)})`);
  }
}

function assertPositiveInteger(value: number, name: string): void {
  if (!Number.isInteger(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive integer (got ${String(value)})`);
  }
}

function assertNonNegativeInteger(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative integer (got ${String(value)})`);
  }
}

function assertNumberArray(values: readonly number[], name: string): void {
  if (!Array.isArray(values)) throw new RangeError(`${name} must be an array`);
  values.forEach((v, i) => assertFiniteNonNegative(v, `${name}[${i}]`));
}

/**
 * The number of slots M = periodMinutes / slotMinutes.
 *
 * @param periodMinutes - length T of the service period, in minutes (e.g. 240 for 08:00–12:00).
 * @param slotMinutes - slot length t, in minutes (default 60).
 * @throws RangeError when either is not a finite positive number, or when the period is not a
 *   whole number of slots.
 */
export function slotCount(periodMinutes: number, slotMinutes: number = DEFAULT_SLOT_MINUTES): number {
  assertPositive(periodMinutes, 'periodMinutes');
  assertPositive(slotMinutes, 'slotMinutes');
  const m = periodMinutes / slotMinutes;
  if (!Number.isInteger(m)) {
    throw new RangeError(
      `periodMinutes (${periodMinutes}) is not a whole number of slots of slotMinutes (${slotMinutes})`,
    );
  }
  return m;
}

/**
 * Mulberry32: a small, fast, seeded PRNG. Returns a function yielding numbers in [0, 1); the same
 * seed always yields the same sequence. The seed is reduced to an unsigned 32-bit integer.
 *
 * @throws RangeError when seed is not a finite number.
 */
export function mulberry32(seed: number): () => number {
  if (typeof seed !== 'number' || !Number.isFinite(seed)) {
    throw new RangeError(`seed must be a finite number (got ${String(seed)})`);
  }
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Input of {@link sampleMinuteWindows}. */
export interface SampleMinuteWindowsInput {
  /** Minute offsets from slot start of each registration in one past period's slot; each in [0, slotMinutes). */
  registrationMinutes: readonly number[];
  /** Slot length in whole minutes. */
  slotMinutes: number;
  /** Number of 1-minute windows to sample (default 50). */
  samples?: number;
  /** Random source in [0, 1), e.g. from {@link mulberry32}. */
  rng: () => number;
}

/**
 * Samples `samples` 1-minute windows of one past period's slot, uniformly at random with
 * replacement among the slot's minutes (window k covers offsets [k, k + 1)), and returns the number
 * of registrations in each window, in sampling order. Counts are NOT capped here;
 * {@link arrivalsPerSlot} caps them at 4.
 *
 * @throws RangeError when slotMinutes is not a positive integer, samples is not a non-negative
 *   integer, or a registration offset is negative, non-finite or not before slotMinutes.
 */
export function sampleMinuteWindows(input: SampleMinuteWindowsInput): number[] {
  const { registrationMinutes, slotMinutes, samples = DEFAULT_SAMPLES, rng } = input;
  assertPositiveInteger(slotMinutes, 'slotMinutes');
  assertNonNegativeInteger(samples, 'samples');
  if (typeof rng !== 'function') throw new RangeError('rng must be a function');
  assertNumberArray(registrationMinutes, 'registrationMinutes');
  const perMinute = new Array<number>(slotMinutes).fill(0);
  registrationMinutes.forEach((offset, i) => {
    if (offset >= slotMinutes) {
      throw new RangeError(`registrationMinutes[${i}] (${offset}) is not within the slot of ${slotMinutes} minutes`);
    }
    const k = Math.floor(offset);
    perMinute[k] = (perMinute[k] ?? 0) + 1;
  });
  const counts: number[] = [];
  for (let s = 0; s < samples; s++) {
    const k = Math.min(slotMinutes - 1, Math.floor(rng() * slotMinutes));
    counts.push(perMinute[k] ?? 0);
  }
  return counts;
}

/**
 * Estimated walk-in arrivals in a slot: the mean of the per-minute sample counts, each capped at 4,
 * times the slot length.
 *
 * Example: `arrivalsPerSlot([0, 1, 2, 5, 3], 60)` = mean(0, 1, 2, 4, 3) × 60 = 120.
 *
 * @throws RangeError when sampleCounts is empty or holds a negative or non-finite count, or
 *   slotMinutes is not positive.
 */
export function arrivalsPerSlot(sampleCounts: number[], slotMinutes: number): number {
  assertNumberArray(sampleCounts, 'sampleCounts');
  if (sampleCounts.length === 0) throw new RangeError('sampleCounts must not be empty');
  assertPositive(slotMinutes, 'slotMinutes');
  const sum = sampleCounts.reduce((acc, c) => acc + Math.min(c, MAX_COUNT_PER_MINUTE), 0);
  return (sum / sampleCounts.length) * slotMinutes;
}

/** Options of {@link estimateWalkIns}. */
export interface EstimateWalkInsOptions {
  /** Windows sampled per past period (default 50). */
  samples?: number;
  /** PRNG seed; the same seed and history always give the same estimate. */
  seed: number;
}

/**
 * Walk-in estimate NX'ᵢ for one slot from history: samples `samples` 1-minute windows from each past
 * period (one {@link mulberry32} stream seeded with `seed`, consumed period by period in order) and
 * returns {@link arrivalsPerSlot} over all samples of all periods.
 *
 * @param history - per past period, the minute offsets within this slot of each registration.
 * @throws RangeError when history is empty, samples is 0, or as {@link sampleMinuteWindows}.
 */
export function estimateWalkIns(
  history: readonly (readonly number[])[],
  slotMinutes: number,
  options: EstimateWalkInsOptions,
): number {
  const { samples = DEFAULT_SAMPLES, seed } = options;
  if (!Array.isArray(history) || history.length === 0) {
    throw new RangeError('history must hold at least one past period');
  }
  assertPositiveInteger(samples, 'samples');
  const rng = mulberry32(seed);
  const counts = history.flatMap((registrationMinutes, p) => {
    if (!Array.isArray(registrationMinutes)) throw new RangeError(`history[${p}] must be an array`);
    return sampleMinuteWindows({ registrationMinutes, slotMinutes, samples, rng });
  });
  return arrivalsPerSlot(counts, slotMinutes);
}

/**
 * Appointment numbers per slot.
 *
 * The first M − 1 slots each want `floor(capacity[i] − walkIns[i])` when positive, else 0
 * (whole numbers: each slot's difference is floored, so fractional capacity or walk-in estimates
 * never round a quota up; a 1e-9 tolerance absorbs floating-point error, e.g. 2.9999999999996
 * counts as 3). Those wants are granted in slot order while `totalAppointments` lasts (a slot may
 * get only part of its want, later ones then get 0); the last slot gets whatever remains.
 *
 * Examples: `allocateQuotas([15,15,15,15], [20,10,12,5], 30)` → `[0, 5, 3, 22]`;
 * `allocateQuotas([15,15,15,15], [0,0,0,0], 20)` → `[15, 5, 0, 0]`.
 *
 * @returns one non-negative integer per slot, summing to totalAppointments.
 * @throws RangeError when capacity and walkIns differ in length or are empty, hold a negative or
 *   non-finite value, or totalAppointments is not a non-negative integer.
 */
export function allocateQuotas(capacity: number[], walkIns: number[], totalAppointments: number): number[] {
  assertNumberArray(capacity, 'capacity');
  assertNumberArray(walkIns, 'walkIns');
  if (capacity.length !== walkIns.length) {
    throw new RangeError(
      `capacity and walkIns must have the same length (got ${capacity.length} and ${walkIns.length})`,
    );
  }
  if (capacity.length === 0) throw new RangeError('capacity must hold at least one slot');
  assertNonNegativeInteger(totalAppointments, 'totalAppointments');

  const m = capacity.length;
  const quotas: number[] = [];
  let remaining = totalAppointments;
  for (let i = 0; i < m - 1; i++) {
    const diff = (capacity[i] ?? 0) - (walkIns[i] ?? 0);
    const want = Math.max(0, Math.floor(diff + FLOOR_EPSILON));
    const granted = Math.min(want, remaining);
    quotas.push(granted);
    remaining -= granted;
  }
  quotas.push(remaining);
  return quotas;
}
