/**
 * The live clinic queue on the shared test Postgres: consultation order (checked-in appointment
 * patients first within a slot, then walk-ins), the patient's position, calling the next patient,
 * the patient page's 404 for a wrong code, and 403 for another department. Appointments are
 * inserted as rows (the queue needs no workflow); times are seconds from now.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../domain/access.js';
import { isServiceError } from '../services/errors.js';
import { createTestOrg, TEST_PASSWORD, type TestOrg } from './support/org.js';
import { startStack, uniq, type TestStack } from './support/stack.js';

let stack: TestStack;
let org: TestOrg;
const users: Record<string, Principal> = {};

beforeAll(async () => {
  stack = await startStack();
  org = await createTestOrg(stack.sql);
  for (const key of ['headA', 'staffB', 'admin'] as const) {
    users[key] = (await stack.services.auth.login({ username: org.users[key].username, password: TEST_PASSWORD }, {})).user;
  }
});
afterAll(() => stack.stop());

const at = (seconds: number) => new Date(Date.now() + seconds * 1000);

async function createSession(slots: { startIn: number; endIn: number }[]): Promise<string> {
  const [s] = await stack.sql<{ id: string }[]>`
    INSERT INTO clinic_sessions (expert_name, department_code, session_date, registration_opens_at, starts_at, ends_at, slot_minutes, grace_minutes)
    VALUES ('张主任', ${org.deptA}, current_date, ${at(-3600)}, ${at(Math.min(...slots.map((x) => x.startIn)))},
            ${at(Math.max(...slots.map((x) => x.endIn)))}, 10, 0)
    RETURNING id`;
  for (const [i, slot] of slots.entries()) {
    await stack.sql`
      INSERT INTO clinic_slots (session_id, slot_index, starts_at, ends_at, appointment_quota)
      VALUES (${s!.id}, ${i}, ${at(slot.startIn)}, ${at(slot.endIn)}, 5)`;
  }
  return s!.id;
}

/** A booked appointment, checked in `checkedInAgo` seconds ago (null: not checked in). */
async function appointment(sessionId: string, slotIndex: number, checkedInAgo: number | null) {
  const id = uniq();
  const [p] = await stack.sql<{ id: string }[]>`
    INSERT INTO patients (his_patient_id, name, phone) VALUES (${`CQ-${id}`}, '王建国', '13800138000') RETURNING id`;
  const number = `AP${id}`;
  const [a] = await stack.sql<{ number: string; short_code: string }[]>`
    INSERT INTO appointments (number, session_id, slot_index, patient_id, status, prepaid, prepayment_ref, booked_at, checked_in_at, arrival, workflow_id)
    VALUES (${number}, ${sessionId}, ${slotIndex}, ${p!.id}, ${checkedInAgo === null ? 'booked' : 'checked_in'}, true, 'PAY-1', ${at(-7200)},
            ${checkedInAgo === null ? null : at(-checkedInAgo)}, ${checkedInAgo === null ? null : 'on_time'}, ${`appointment-${number}`})
    RETURNING number, short_code`;
  return { number: a!.number, code: a!.short_code };
}

async function refusal(p: Promise<unknown>): Promise<{ status: number; code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    if (isServiceError(err)) return { status: err.status, code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('clinic queue', () => {
  it('orders checked-in appointments first within a slot, then walk-ins, slot by slot; gives positions', async () => {
    const sessionId = await createSession([
      { startIn: -1800, endIn: 1800 },
      { startIn: 1800, endIn: 3600 },
    ]);
    const walkIn = await stack.services.clinicQueue.registerWalkIn(users.headA!, sessionId, at(-600));
    expect(walkIn.shortCode).toMatch(/^[A-Z0-9]{4,6}$/);
    const later = await appointment(sessionId, 0, 60);
    const earlier = await appointment(sessionId, 0, 300);
    const nextSlot = await appointment(sessionId, 1, 900);
    const absent = await appointment(sessionId, 0, null);

    const view = await stack.services.clinicQueue.queue(sessionId);
    expect(view.entries.map((e) => e.number)).toEqual([earlier.number, later.number, walkIn.number, nextSlot.number]);
    expect(view.entries.map((e) => e.position)).toEqual([1, 2, 3, 4]);
    expect(view.currentNumber).toBeNull();
    expect(view.entries.some((e) => e.number === absent.number)).toBe(false);

    const mine = await stack.services.clinicQueue.patientView(walkIn.number, walkIn.shortCode.toLowerCase());
    expect(mine).toMatchObject({ state: 'waiting', position: 3, ahead: 2, currentNumber: null, expertName: '张主任' });
    expect(mine.estimatedTime).toMatch(/^\d{2}:\d{2}$/);
    expect(JSON.stringify(mine)).not.toContain('王建国');
    expect(await stack.services.clinicQueue.patientView(absent.number, absent.code)).toMatchObject({ state: 'not_checked_in', position: null });
  });

  it('callNext makes the first waiting patient the current number, marks the previous one seen, and audits', async () => {
    const sessionId = await createSession([{ startIn: -1800, endIn: 1800 }]);
    const first = await appointment(sessionId, 0, 300);
    const second = await appointment(sessionId, 0, 100);

    const c1 = await stack.services.clinicQueue.callNext(users.headA!, sessionId, { ip: '127.0.0.1' });
    expect(c1.number).toBe(first.number);
    let view = await stack.services.clinicQueue.queue(sessionId);
    expect(view.currentNumber).toBe(first.number);
    expect(view.entries.map((e) => e.number)).toEqual([second.number]);
    expect(await stack.services.clinicQueue.patientView(first.number, first.code)).toMatchObject({ state: 'called', currentNumber: first.number });
    expect(await stack.services.clinicQueue.patientView(second.number, second.code)).toMatchObject({ position: 1, ahead: 0, currentNumber: first.number });

    const c2 = await stack.services.clinicQueue.callNext(users.admin!, sessionId, {});
    expect(c2.number).toBe(second.number);
    view = await stack.services.clinicQueue.queue(sessionId);
    expect(view.currentNumber).toBe(second.number);
    expect(view.entries).toEqual([]);
    expect(await stack.services.clinicQueue.patientView(first.number, first.code)).toMatchObject({ state: 'seen' });
    expect(await refusal(stack.services.clinicQueue.callNext(users.headA!, sessionId, {}))).toMatchObject({ status: 409, code: 'queue_empty' });

    const audited = await stack.sql<{ details: { number: string } }[]>`
      SELECT details FROM audit_log WHERE action = 'clinic.call_next' AND entity_id = ${sessionId} ORDER BY at`;
    expect(audited.map((r) => r.details.number)).toEqual([first.number, second.number]);
  });

  it('answers a wrong code exactly like an unknown number (404)', async () => {
    const sessionId = await createSession([{ startIn: -1800, endIn: 1800 }]);
    const a = await appointment(sessionId, 0, 60);
    const wrong = await refusal(stack.services.clinicQueue.patientView(a.number, a.code === 'ZZZZ' ? 'YYYY' : 'ZZZZ'));
    const unknown = await refusal(stack.services.clinicQueue.patientView(`AP${uniq()}`, a.code));
    expect(wrong.status).toBe(404);
    expect(wrong).toEqual(unknown);
    expect(await refusal(stack.services.clinicQueue.patientView(a.number, ''))).toEqual(unknown);
  });

  it("refuses another department's user (403) on callNext and walk-in registration", async () => {
    const sessionId = await createSession([{ startIn: -1800, endIn: 1800 }]);
    const a = await appointment(sessionId, 0, 60);
    expect(await refusal(stack.services.clinicQueue.callNext(users.staffB!, sessionId, {}))).toMatchObject({ status: 403 });
    expect(await refusal(stack.services.clinicQueue.registerWalkIn(users.staffB!, sessionId))).toMatchObject({ status: 403 });
    expect((await stack.services.clinicQueue.queue(sessionId)).entries.map((e) => e.number)).toEqual([a.number]);
    expect((await stack.services.clinicQueue.queue(sessionId)).currentNumber).toBeNull();
  });

  it('gives walk-ins what the quotas leave, and the unbooked appointment numbers once registration opens', async () => {
    // 6 numbers, 2 + 2 for appointment; registration opens in an hour.
    const [session] = await stack.sql<{ id: string }[]>`
      INSERT INTO clinic_sessions (expert_name, department_code, session_date, registration_opens_at, starts_at, ends_at, total_numbers)
      VALUES ('李主任', ${org.deptA}, current_date, ${at(3600)}, ${at(7200)}, ${at(14400)}, 6) RETURNING id`;
    for (const i of [0, 1]) {
      await stack.sql`INSERT INTO clinic_slots (session_id, slot_index, starts_at, ends_at, appointment_quota)
                      VALUES (${session!.id}, ${i}, ${at(7200 + i * 3600)}, ${at(10800 + i * 3600)}, 2)`;
    }
    const sessionId = session!.id;
    await appointment(sessionId, 0, null); // one appointment booked
    for (let i = 0; i < 2; i++) await stack.services.clinicQueue.registerWalkIn(users.headA!, sessionId, at(-60));
    expect(await refusal(stack.services.clinicQueue.registerWalkIn(users.headA!, sessionId, at(-60)))).toMatchObject({
      status: 409,
      code: 'numbers_exhausted',
    });
    // Registration open: 6 − 1 booked = 5 walk-in numbers in all, so 3 more.
    for (let i = 0; i < 3; i++) await stack.services.clinicQueue.registerWalkIn(users.headA!, sessionId, at(3700));
    expect((await refusal(stack.services.clinicQueue.registerWalkIn(users.headA!, sessionId, at(3700)))).code).toBe('numbers_exhausted');
  });
});
