import { describe, it, expect } from 'vitest';
import { makeSlots, simulateSession, summarise, type SessionResult, type SimulateSessionInput } from './clinic-sim.js';
import { mulberry32 } from './quota.js';

const onTime = { earlyShare: 0, lateShare: 0, noShowRate: 0 };
const fixed = (minutes: number) => () => minutes;
const constant = (v: number) => () => v;

function run(over: Partial<SimulateSessionInput>): SessionResult {
  return simulateSession({
    slots: makeSlots(2, 60),
    quotas: [0, 0],
    walkIns: [],
    appointmentBehaviour: onTime,
    consult: fixed(10),
    rng: constant(0.5),
    ...over,
  });
}

const brief = (r: SessionResult) => r.patients.map((p) => [p.ticket, p.start, p.wait, p.rule]);

describe('simulateSession', () => {
  it('sees walk-ins in registration order, waits from registration', () => {
    const r = run({ walkIns: [5, 0, 0] });
    expect(brief(r)).toEqual([
      ['W001', 0, 0, 'walk_in'],
      ['W002', 10, 10, 'walk_in'],
      ['W003', 20, 15, 'walk_in'],
    ]);
    expect(r.idleMinutes).toBe(0);
    expect(r.finish).toBe(30);
  });

  it('counts idle gaps between consultations, not time after the last one', () => {
    const r = run({ walkIns: [0, 30] });
    expect(r.idleMinutes).toBe(20);
    expect(r.finish).toBe(40);
    // the expert starting late: registrations before the start are not idle
    const late = run({ walkIns: [-30, 0], expertStartMinutes: 25 });
    expect(brief(late)).toEqual([
      ['W001', 25, 55, 'walk_in'],
      ['W002', 35, 35, 'walk_in'],
    ]);
    expect(late.idleMinutes).toBe(0);
  });

  it('sees a checked-in appointment patient of the slot before its walk-ins', () => {
    // rng 0.5: on time at slot start − 15 + 30 × 0.5 = slot start
    const r = run({ quotas: [1, 0], walkIns: [-30] });
    expect(brief(r)).toEqual([
      ['A0-01', 0, 0, 'appointment'],
      ['W001', 10, 40, 'walk_in'],
    ]);
  });

  it('measures an early appointment patient from slot start', () => {
    // rng 0.5, earlyShare 1: arrives 30 + 90 × 0.5 = 75 min before 60 → −15
    const r = run({ quotas: [0, 1], walkIns: [0], appointmentBehaviour: { earlyShare: 1, lateShare: 0, noShowRate: 0 }, consult: fixed(70) });
    expect(brief(r)).toEqual([
      ['W001', 0, 0, 'walk_in'],
      ['A1-01', 70, 10, 'appointment'],
    ]);
    expect(r.patients[1]?.arrival).toBe(-15);
    // seen at the expert's start (0), before the slot starts, when nobody else waits: wait 0
    const alone = run({ quotas: [0, 1], appointmentBehaviour: { earlyShare: 1, lateShare: 0, noShowRate: 0 } });
    expect(brief(alone)).toEqual([['A1-01', 0, 0, 'appointment']]);
  });

  it('puts an appointment patient arriving after slot end behind everyone', () => {
    // rng 0.5, lateShare 1: arrives 75 min after slot 0 start, after its end (60)
    const r = run({ quotas: [1, 0], walkIns: [70, 72], appointmentBehaviour: { earlyShare: 0, lateShare: 1, noShowRate: 0 } });
    expect(brief(r)).toEqual([
      ['W001', 70, 0, 'walk_in'],
      ['W002', 80, 8, 'walk_in'],
      ['A0-01', 90, 15, 'after_slot_end'],
    ]);
    expect(r.idleMinutes).toBe(70);
  });

  it('sees a late patient whose number was called next (过号)', () => {
    // rng 0.1, lateShare 1: arrives 30 + 9 = 39, within the slot; called at 0 while absent
    const r = run({
      quotas: [1, 0],
      walkIns: [0, 5, 10],
      appointmentBehaviour: { earlyShare: 0, lateShare: 1, noShowRate: 0 },
      consult: fixed(20),
      rng: constant(0.1),
    });
    expect(brief(r)).toEqual([
      ['W001', 0, 0, 'walk_in'],
      ['W002', 20, 15, 'walk_in'],
      ['A0-01', 40, 1, 'late_called'],
      ['W003', 60, 50, 'walk_in'],
    ]);
  });

  it('counts no-shows and leaves them out', () => {
    const r = run({ quotas: [2, 1], walkIns: [0], appointmentBehaviour: { earlyShare: 0, lateShare: 0, noShowRate: 1 } });
    expect(r.noShows).toBe(3);
    expect(brief(r)).toEqual([['W001', 0, 0, 'walk_in']]);
  });

  it('is deterministic for a seed', () => {
    const input = (): SimulateSessionInput => ({
      slots: makeSlots(4, 60),
      quotas: [3, 3, 3, 3],
      walkIns: [-50, -20, -5, 3, 40, 100, 150],
      appointmentBehaviour: { earlyShare: 0.2, lateShare: 0.2, noShowRate: 0.1 },
      consult: (rng) => 5 + 8 * rng(),
      rng: mulberry32(7),
    });
    const a = simulateSession(input());
    expect(simulateSession(input())).toEqual(a);
    expect(a.patients.length + a.noShows).toBe(19);
  });

  it('validates input', () => {
    expect(() => run({ quotas: [1] })).toThrow(/quotas/);
    expect(() => run({ appointmentBehaviour: { earlyShare: 0.6, lateShare: 0.6, noShowRate: 0 } })).toThrow(/exceed/);
    expect(() => run({ appointmentBehaviour: { earlyShare: 0, lateShare: 0, noShowRate: 2 } })).toThrow(/noShowRate/);
    expect(() => run({ walkIns: [0], consult: fixed(0) })).toThrow(/consult/);
  });
});

describe('summarise', () => {
  it('pools waits per kind: mean and nearest-rank p90; idle per session', () => {
    const patient = (kind: 'appointment' | 'walk_in', wait: number) => ({
      ticket: `${kind}${wait}`, kind, slotIndex: 0, arrival: 0, start: wait, end: wait + 1, wait, rule: kind,
    });
    const results: SessionResult[] = [
      { patients: [1, 2, 3, 4, 5].map((w) => patient('walk_in', w)).concat([patient('appointment', 4)]), noShows: 1, idleMinutes: 10, finish: 200 },
      { patients: [6, 7, 8, 9, 10].map((w) => patient('walk_in', w)), noShows: 0, idleMinutes: 30, finish: 260 },
    ];
    const s = summarise(results);
    expect(s.walkIn).toEqual({ count: 10, mean: 5.5, p90: 9 });
    expect(s.appointment).toEqual({ count: 1, mean: 4, p90: 4 });
    expect(s.idleMinutes).toBe(20);
    expect(s.finish).toBe(230);
    expect(s.noShows).toBe(1);
    expect(summarise([]).walkIn).toEqual({ count: 0, mean: 0, p90: 0 });
  });
});
