import { describe, expect, it } from 'vitest';
import { makeSlots } from './clinic-sim.js';
import { comparePlans } from './plan-comparison.js';

describe('comparePlans', () => {
  // A morning rush of walk-ins before 09:00, an expert who starts at 08:40, 10-minute consultations.
  const past = Array.from({ length: 4 }, () => ({
    walkIns: Array.from({ length: 12 }, (_, k) => -30 + k * 5),
    consultMinutes: Array(30).fill(10),
    expertStartMinutes: 40,
  }));
  const slots = makeSlots(4, 60);

  it('shows the proposed plan (no appointments on the rush) beating all appointments at 08:00', () => {
    const r = comparePlans({ slots, past, current: [12, 0, 0, 0], proposed: [0, 4, 4, 4], seed: 7, fallbackConsultMinutes: 10 });
    expect(r.sessions).toBe(4);
    expect(r.current.quotas).toEqual([12, 0, 0, 0]);
    expect(r.proposed.walkInMean).toBeLessThan(r.current.walkInMean);
    expect(r.proposed.appointmentMean).toBeLessThan(r.current.appointmentMean);
  });

  it('is deterministic for a seed', () => {
    const a = comparePlans({ slots, past, current: [6, 6, 0, 0], proposed: [0, 4, 4, 4], seed: 3, fallbackConsultMinutes: 10 });
    const b = comparePlans({ slots, past, current: [6, 6, 0, 0], proposed: [0, 4, 4, 4], seed: 3, fallbackConsultMinutes: 10 });
    expect(a).toEqual(b);
  });
});
