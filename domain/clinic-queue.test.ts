import { describe, it, expect } from 'vitest';
import { estimatedWaitMinutes, orderQueue, positionOf, type QueueEntry } from './clinic-queue.js';

const MIN = 60_000;
const T0 = Date.UTC(2025, 0, 6, 0, 0); // 08:00 Asia/Shanghai
const at = (minutes: number) => T0 + minutes * MIN;
const slot = (i: number, minutes = 60) => ({ slotIndex: i, slotStart: at(i * minutes), slotEnd: at((i + 1) * minutes) });

const appt = (ticket: string, i: number, checkedIn: number | null, extra: Partial<QueueEntry> = {}): QueueEntry => ({
  ticket,
  kind: 'appointment',
  ...slot(i),
  registeredAt: at(-1440),
  checkedInAt: checkedIn === null ? null : at(checkedIn),
  ...extra,
});
const walk = (ticket: string, i: number, registered: number): QueueEntry => ({
  ticket,
  kind: 'walk_in',
  ...slot(i),
  registeredAt: at(registered),
  checkedInAt: at(registered),
});
const tickets = (q: { ticket: string }[]) => q.map((e) => e.ticket);

describe('orderQueue', () => {
  it('sees checked-in appointments first in check-in order, then walk-ins in registration order', () => {
    const q = orderQueue(
      [walk('W2', 0, 5), appt('A2', 0, -10), walk('W1', 0, 1), appt('A1', 0, -20), appt('A3', 0, 15)],
      at(20),
    );
    expect(tickets(q)).toEqual(['A1', 'A2', 'A3', 'W1', 'W2']);
    expect(q.map((e) => e.rule)).toEqual(['appointment', 'appointment', 'appointment', 'walk_in', 'walk_in']);
  });
  it('leaves out patients not checked in yet', () => {
    const q = orderQueue([appt('A1', 0, null), appt('A2', 0, 30), walk('W1', 0, 2)], at(10));
    expect(tickets(q)).toEqual(['W1']);
  });
  it('queues slot by slot', () => {
    const q = orderQueue([appt('B1', 1, 40), walk('W1', 0, 30), appt('A1', 0, 20), walk('W2', 1, 65)], at(70));
    expect(tickets(q)).toEqual(['A1', 'W1', 'B1', 'W2']);
  });
  it('puts an on-time appointment who arrives after being called next', () => {
    const q = orderQueue(
      [appt('A1', 0, -5), walk('W1', 0, 1), appt('A2', 0, 25, { calledAt: at(10) })],
      at(30),
    );
    expect(tickets(q)).toEqual(['A2', 'A1', 'W1']);
    expect(q[0]?.rule).toBe('late_called');
  });
  it('ignores calledAt when the patient was already there, and for walk-ins', () => {
    expect(tickets(orderQueue([appt('A1', 0, -5), appt('A2', 0, 0, { calledAt: at(3) })], at(5)))).toEqual(['A1', 'A2']);
    const calledWalkIn = { ...walk('W1', 0, 1), checkedInAt: at(4), calledAt: at(2) };
    expect(tickets(orderQueue([calledWalkIn, appt('A1', 0, -5)], at(5)))).toEqual(['A1', 'W1']);
  });
  it('moves an appointment arriving after its slot ended to the end of the last slot queue', () => {
    const q = orderQueue(
      [
        appt('A1', 0, 70, { calledAt: at(10) }), // slot 0 ended at 60
        appt('B1', 1, 50),
        walk('W1', 1, 65),
        appt('C1', 3, 100),
        walk('W9', 3, 110), // registered after A1 arrived, still ahead of it
      ],
      at(120),
    );
    expect(tickets(q)).toEqual(['B1', 'W1', 'C1', 'W9', 'A1']);
    expect(q.at(-1)?.rule).toBe('after_slot_end');
  });
  it('counts the grace period after slot start as on time for short slots', () => {
    const short = (ticket: string, checkedIn: number, calledAt?: number): QueueEntry => ({
      ticket,
      kind: 'appointment',
      ...slot(0, 15), // 08:00–08:15
      registeredAt: at(-60),
      checkedInAt: at(checkedIn),
      calledAt: calledAt === undefined ? null : at(calledAt),
    });
    const entries = [walk('W1', 1, 16), short('A1', 25, 5), short('A2', 35, 5)];
    // 25 min after start: within the 30 min grace → late_called; 35 min → after slot end
    expect(tickets(orderQueue(entries, at(40)))).toEqual(['A1', 'W1', 'A2']);
    // with a 10 min grace, both are after the slot's end
    expect(tickets(orderQueue(entries, at(40), { graceMinutes: 10 }))).toEqual(['W1', 'A1', 'A2']);
  });
  it('breaks ties by ticket and validates', () => {
    expect(tickets(orderQueue([walk('W2', 0, 1), walk('W1', 0, 1)], at(5)))).toEqual(['W1', 'W2']);
    expect(() => orderQueue([walk('W1', 0, 1), walk('W1', 0, 2)], at(5))).toThrow(/duplicated/);
    expect(() => orderQueue([{ ...walk('W1', 0, 1), slotIndex: -1 }], at(5))).toThrow(/slotIndex/);
    expect(() => orderQueue([{ ...walk('W1', 0, 1), slotEnd: Number.NaN }], at(5))).toThrow(/slotEnd/);
    expect(() => orderQueue([], Number.NaN)).toThrow(/now/);
  });
});

describe('positionOf / estimatedWaitMinutes', () => {
  it('gives the 1-based position and the wait before it', () => {
    const q = orderQueue([appt('A1', 0, -5), walk('W1', 0, 1), walk('W2', 0, 2)], at(5));
    expect(positionOf(q, 'A1')).toBe(1);
    expect(positionOf(q, 'W2')).toBe(3);
    expect(positionOf(q, 'nope')).toBeUndefined();
    expect(estimatedWaitMinutes(1, 4)).toBe(0);
    expect(estimatedWaitMinutes(3, 4)).toBe(8);
    expect(() => estimatedWaitMinutes(0, 4)).toThrow(/position/);
    expect(() => estimatedWaitMinutes(2, -1)).toThrow(/meanConsultMinutes/);
  });
});
