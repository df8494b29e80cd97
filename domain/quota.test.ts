import { describe, it, expect } from 'vitest';
import { slotCapacityFromHistory } from './consultation-capacity.js';
import {
  allocateQuotas,
  arrivalsPerSlot,
  estimateWalkIns,
  mulberry32,
  sampleMinuteWindows,
  slotCount,
} from './quota.js';

describe('slotCount', () => {
  it('cuts the period into whole slots', () => {
    expect(slotCount(240)).toBe(4);
    expect(slotCount(240, 30)).toBe(8);
  });
  it('rejects a period that is not a whole number of slots', () => {
    expect(() => slotCount(250, 60)).toThrow(RangeError);
    expect(() => slotCount(0, 60)).toThrow(/periodMinutes/);
    expect(() => slotCount(240, 0)).toThrow(/slotMinutes/);
  });
});

describe('arrivalsPerSlot', () => {
  it('caps counts at 4 and scales the mean by the slot length', () => {
    expect(arrivalsPerSlot([0, 1, 2, 5, 3], 60)).toBe(120);
    expect(arrivalsPerSlot([9, 9], 30)).toBe(120);
    expect(arrivalsPerSlot([0, 0, 0], 60)).toBe(0);
  });
  it('validates', () => {
    expect(() => arrivalsPerSlot([], 60)).toThrow(/sampleCounts/);
    expect(() => arrivalsPerSlot([1, -1], 60)).toThrow(/sampleCounts\[1\]/);
    expect(() => arrivalsPerSlot([1, Number.NaN], 60)).toThrow(RangeError);
    expect(() => arrivalsPerSlot([1], 0)).toThrow(/slotMinutes/);
  });
});

describe('allocateQuotas', () => {
  it('gives the first M−1 slots capacity − walk-ins and the rest to the last slot', () => {
    expect(allocateQuotas([15, 15, 15, 15], [20, 10, 12, 5], 30)).toEqual([0, 5, 3, 22]);
  });
  it('fills in slot order when the wants exceed the numbers', () => {
    expect(allocateQuotas([15, 15, 15, 15], [0, 0, 0, 0], 20)).toEqual([15, 5, 0, 0]);
    expect(allocateQuotas([15, 15, 15, 15], [0, 0, 0, 0], 45)).toEqual([15, 15, 15, 0]);
  });
  it('handles zero numbers', () => {
    expect(allocateQuotas([15, 15, 15], [1, 2, 3], 0)).toEqual([0, 0, 0]);
  });
  it('floors fractional capacity − walk-ins', () => {
    // 60/7 − 3.6 = 4.97 → 4; 8.5714 − 8.6 < 0 → 0
    expect(allocateQuotas([60 / 7, 60 / 7, 60 / 7], [3.6, 8.6, 0], 10)).toEqual([4, 0, 6]);
    // floating-point error just below a whole number does not lose it (2.9999999999999996 → 3)
    expect(allocateQuotas([60 / 20, 1], [0, 0], 5)).toEqual([3, 2]);
    expect(allocateQuotas([(0.1 + 0.2) * 10 - 0.0000000000000009, 1], [0, 0], 5)).toEqual([3, 2]);
  });
  it('gives a single slot everything', () => {
    expect(allocateQuotas([5], [10], 7)).toEqual([7]);
  });
  it('always sums to the total and is never negative', () => {
    const q = allocateQuotas([3.3, 0, 12, 7], [1.1, 4, 2.5, 100], 11);
    expect(q.reduce((a, b) => a + b, 0)).toBe(11);
    expect(q.every((n) => Number.isInteger(n) && n >= 0)).toBe(true);
  });
  it('validates', () => {
    expect(() => allocateQuotas([15, 15], [1], 10)).toThrow(RangeError);
    expect(() => allocateQuotas([15, 15], [1], 10)).toThrow(/capacity and walkIns/);
    expect(() => allocateQuotas([], [], 10)).toThrow(/capacity/);
    expect(() => allocateQuotas([15, -1], [1, 1], 10)).toThrow(/capacity\[1\]/);
    expect(() => allocateQuotas([15, 1], [1, Infinity], 10)).toThrow(/walkIns\[1\]/);
    expect(() => allocateQuotas([15, 1], [1, 1], -1)).toThrow(/totalAppointments/);
    expect(() => allocateQuotas([15, 1], [1, 1], 2.5)).toThrow(/totalAppointments/);
  });
});

describe('mulberry32', () => {
  it('is reproducible and in [0, 1)', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const xs = Array.from({ length: 100 }, () => a());
    expect(Array.from({ length: 100 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(mulberry32(43)()).not.toBe(xs[0]);
  });
});

describe('sampleMinuteWindows', () => {
  // 12 registrations: 6 in minute 0, 3 in minute 1, 1 each in minutes 2, 10, 59
  const registrationMinutes = [0, 0.2, 0.5, 0.5, 0.9, 0.99, 1, 1.5, 1.7, 2, 10.3, 59.9];

  it('is reproducible with the same seed and differs with another', () => {
    const a = sampleMinuteWindows({ registrationMinutes, slotMinutes: 60, rng: mulberry32(7) });
    const b = sampleMinuteWindows({ registrationMinutes, slotMinutes: 60, rng: mulberry32(7) });
    const c = sampleMinuteWindows({ registrationMinutes, slotMinutes: 60, rng: mulberry32(8) });
    expect(a).toHaveLength(50);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });
  it('counts registrations in the sampled minute (uncapped)', () => {
    // rng fixed at 0 → always minute 0; 0.999 → minute 59; 1/60 → minute 1
    expect(sampleMinuteWindows({ registrationMinutes, slotMinutes: 60, samples: 3, rng: () => 0 })).toEqual([6, 6, 6]);
    expect(sampleMinuteWindows({ registrationMinutes, slotMinutes: 60, samples: 2, rng: () => 0.999 })).toEqual([1, 1]);
    expect(sampleMinuteWindows({ registrationMinutes, slotMinutes: 60, samples: 1, rng: () => 1.5 / 60 })).toEqual([3]);
    expect(sampleMinuteWindows({ registrationMinutes: [], slotMinutes: 60, samples: 2, rng: () => 0 })).toEqual([0, 0]);
  });
  it('samples uniformly among the minutes', () => {
    const counts = sampleMinuteWindows({
      registrationMinutes: Array.from({ length: 60 }, (_, k) => k),
      slotMinutes: 60,
      samples: 200,
      rng: mulberry32(1),
    });
    expect(counts.every((c) => c === 1)).toBe(true);
  });
  it('validates', () => {
    const rng = mulberry32(1);
    expect(() => sampleMinuteWindows({ registrationMinutes: [60], slotMinutes: 60, rng })).toThrow(/registrationMinutes\[0\]/);
    expect(() => sampleMinuteWindows({ registrationMinutes: [-1], slotMinutes: 60, rng })).toThrow(/registrationMinutes\[0\]/);
    expect(() => sampleMinuteWindows({ registrationMinutes: [], slotMinutes: 59.5, rng })).toThrow(/slotMinutes/);
    expect(() => sampleMinuteWindows({ registrationMinutes: [], slotMinutes: 60, samples: 1.5, rng })).toThrow(/samples/);
  });
});

describe('estimateWalkIns', () => {
  it('caps every sampled minute at 4', () => {
    // 6 registrations in every minute of a 10-minute slot → every sample counts 4 → 40
    const period = Array.from({ length: 60 }, (_, k) => k / 6);
    expect(estimateWalkIns([period, period], 10, { seed: 3 })).toBe(40);
  });
  it('is exact for uniform arrivals', () => {
    const period = Array.from({ length: 120 }, (_, k) => k / 2); // 2 per minute
    expect(estimateWalkIns([period], 60, { seed: 99, samples: 10 })).toBe(120);
    expect(estimateWalkIns([[], []], 60, { seed: 99 })).toBe(0);
  });
  it('equals arrivalsPerSlot over the concatenated samples of one seeded stream', () => {
    const p1 = [0, 0, 0, 0, 0, 5, 5, 30.5, 59];
    const p2 = [1, 1, 2, 3, 3, 3, 40];
    const rng = mulberry32(2024);
    const counts = [
      ...sampleMinuteWindows({ registrationMinutes: p1, slotMinutes: 60, rng }),
      ...sampleMinuteWindows({ registrationMinutes: p2, slotMinutes: 60, rng }),
    ];
    const est = estimateWalkIns([p1, p2], 60, { seed: 2024 });
    expect(est).toBe(arrivalsPerSlot(counts, 60));
    expect(estimateWalkIns([p1, p2], 60, { seed: 2024 })).toBe(est);
    expect(estimateWalkIns([p1, p2], 60, { seed: 2025 })).not.toBe(est);
  });
  it('validates', () => {
    expect(() => estimateWalkIns([], 60, { seed: 1 })).toThrow(/history/);
    expect(() => estimateWalkIns([[1]], 60, { seed: 1, samples: 0 })).toThrow(/samples/);
    expect(() => estimateWalkIns([[1]], 60, { seed: Number.NaN })).toThrow(/seed/);
  });
});

describe('end to end (08:00–12:00, 4 slots)', () => {
  it('plans quotas for a late-start first slot', () => {
    const m = slotCount(240, 60);
    // One past session of 4-minute consultations (60 ÷ 4 = 15 per slot); the expert started late: 8 seen in the first.
    const rule = { lateStartRatio: 0.6, fallbackConsultMinutes: 10 };
    const capacity = Array.from({ length: m }, (_, i) =>
      slotCapacityFromHistory(60, { consultMinutes: Array(i === 0 ? 8 : 15).fill(4), pastSessions: 1 }, rule).capacity,
    );
    expect(capacity).toEqual([8, 15, 15, 15]);
    expect(allocateQuotas(capacity, [5, 10, 12, 5], 30)).toEqual([3, 5, 3, 19]);
  });
});
