import { describe, expect, it } from 'vitest';
import { consultationsBySlot, slotCapacityFromHistory } from './consultation-capacity.js';

const rule = { lateStartRatio: 0.6, fallbackConsultMinutes: 10 };

describe('slotCapacityFromHistory', () => {
  it('uses slot minutes ÷ mean consultation time when the expert sees about that many', () => {
    // 4 sessions, 5 consultations of 12 minutes each → expected 5, seen 5.
    const c = slotCapacityFromHistory(60, { consultMinutes: Array(20).fill(12), pastSessions: 4 }, rule);
    expect(c).toMatchObject({ source: 'history', meanConsultMinutes: 12, meanSeen: 5, consultations: 20 });
    expect(c.capacity).toBeCloseTo(5);
  });

  it('takes the observed mean where far fewer are seen (the expert starts late)', () => {
    // 10-minute consultations (expected 6) but only 2 seen per session: 2 < 0.6 × 6.
    const c = slotCapacityFromHistory(60, { consultMinutes: Array(8).fill(10), pastSessions: 4 }, rule);
    expect(c).toMatchObject({ source: 'observed_late_start', capacity: 2, meanSeen: 2, expected: 6 });
  });

  it('the threshold is data: a lower ratio keeps the computed capacity', () => {
    const c = slotCapacityFromHistory(60, { consultMinutes: Array(8).fill(10), pastSessions: 4 }, { ...rule, lateStartRatio: 0.3 });
    expect(c).toMatchObject({ source: 'history', capacity: 6 });
  });

  it('exactly at the threshold is not late', () => {
    // expected 5 (12 min), seen 3 = 0.6 × 5.
    const c = slotCapacityFromHistory(60, { consultMinutes: Array(6).fill(12), pastSessions: 2 }, rule);
    expect(c.source).toBe('history');
  });

  it('falls back to the default consultation time without history, and says so', () => {
    expect(slotCapacityFromHistory(60, { consultMinutes: [], pastSessions: 0 }, rule)).toMatchObject({
      source: 'fallback',
      capacity: 6,
      meanConsultMinutes: 10,
      meanSeen: null,
    });
    expect(slotCapacityFromHistory(30, { consultMinutes: [], pastSessions: 3 }, { ...rule, fallbackConsultMinutes: 15 })).toMatchObject({
      source: 'fallback',
      capacity: 2,
      meanSeen: 0,
    });
  });

  it('rejects bad input', () => {
    expect(() => slotCapacityFromHistory(0, { consultMinutes: [], pastSessions: 0 }, rule)).toThrow(RangeError);
    expect(() => slotCapacityFromHistory(60, { consultMinutes: [-1], pastSessions: 1 }, rule)).toThrow(/consultMinutes\[0\]/);
    expect(() => slotCapacityFromHistory(60, { consultMinutes: [5], pastSessions: 0 }, rule)).toThrow(RangeError);
    expect(() => slotCapacityFromHistory(60, { consultMinutes: [], pastSessions: 0 }, { ...rule, lateStartRatio: 1.5 })).toThrow(/lateStartRatio/);
    expect(() => slotCapacityFromHistory(60, { consultMinutes: [], pastSessions: 0 }, { ...rule, fallbackConsultMinutes: 0 })).toThrow(/fallback/);
  });
});

describe('consultationsBySlot', () => {
  it('puts each consultation in the slot where it started, minutes as lengths', () => {
    const start = Date.UTC(2026, 0, 5, 0, 0); // 08:00 Asia/Shanghai
    const at = (min: number) => start + min * 60_000;
    const layout = [
      { offset: 0, minutes: 60 },
      { offset: 60, minutes: 60 },
    ];
    const grouped = consultationsBySlot(layout, [
      { sessionStart: start, startedAt: at(50), endedAt: at(62) },
      { sessionStart: start, startedAt: at(62), endedAt: at(70) },
      { sessionStart: start, startedAt: at(130), endedAt: at(140) },
      { sessionStart: start, startedAt: at(-5), endedAt: at(3) },
    ]);
    expect(grouped).toEqual([[12], [8]]);
  });
});
