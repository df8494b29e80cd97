/**
 * The registration desk on the real Temporal server and Postgres: check-in by appointment number
 * or ID card through the appointment's workflow, placed by the queue rules — a patient arriving
 * after their slot's end goes to the end of the last slot; a passed number (过号) comes next when
 * checked in again — and another department's staff refused.
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
  stack = await startStack({ worker: true });
  org = await createTestOrg(stack.sql);
  for (const key of ['headA', 'staffB'] as const) {
    users[key] = (await stack.services.auth.login({ username: org.users[key].username, password: TEST_PASSWORD }, {})).user;
  }
});
afterAll(() => stack.stop());

const at = (minutes: number) => new Date(Date.now() + minutes * 60_000);

async function refusal(p: Promise<unknown>): Promise<{ status: number; code: string }> {
  try {
    await p;
  } catch (err) {
    if (isServiceError(err)) return { status: err.status, code: err.code };
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('registration desk', () => {
  it('a late patient goes to the end of the last slot; a passed number comes next when checked in again', async () => {
    // Slot 0 ended an hour ago, slot 1 runs until 2 hours from now; booking is still open for the test's bookings.
    const [s] = await stack.sql<{ id: string }[]>`
      INSERT INTO clinic_sessions (expert_name, department_code, session_date, registration_opens_at, starts_at, ends_at, slot_minutes, grace_minutes)
      VALUES ('窗口专家', ${org.deptA}, (now() AT TIME ZONE 'Asia/Shanghai')::date, ${at(30)}, ${at(-180)}, ${at(120)}, 60, 0) RETURNING id`;
    const sessionId = s!.id;
    await stack.sql`INSERT INTO clinic_slots (session_id, slot_index, starts_at, ends_at, appointment_quota) VALUES
      (${sessionId}, 0, ${at(-180)}, ${at(-60)}, 3), (${sessionId}, 1, ${at(-60)}, ${at(120)}, 3)`;
    const patient = async (name: string) => {
      const idNumber = `${String(Date.now()).slice(-13)}${Math.floor(Math.random() * 10_000).toString().padStart(4, '0')}X`.slice(-18);
      const [p] = await stack.sql<{ id: string }[]>`
        INSERT INTO patients (his_patient_id, name, phone, id_number) VALUES (${`DESK-${uniq()}`}, ${name}, '13700137000', ${idNumber}) RETURNING id`;
      return { id: p!.id, idNumber };
    };
    const late = await patient('钱迟到');
    const onTime = await patient('周准时');
    const lateBooking = await stack.services.appointments.book(late.id, sessionId, 0, { prepaid: true, prepaymentRef: 'PAY-L' });
    const onTimeBooking = await stack.services.appointments.book(onTime.id, sessionId, 1, { prepaid: true, prepaymentRef: 'PAY-O' });
    const walkIn = await stack.services.clinicQueue.registerWalkIn(users.headA!, sessionId, at(-10));

    expect(await refusal(stack.services.registrationDesk.checkIn(users.staffB!, sessionId, { number: lateBooking.number }, {}))).toMatchObject({ status: 403 });
    expect(await refusal(stack.services.registrationDesk.checkIn(users.headA!, sessionId, {}, {}))).toMatchObject({ status: 400 });

    const onTimeIn = await stack.services.registrationDesk.checkIn(users.headA!, sessionId, { idNumber: onTime.idNumber }, {});
    expect(onTimeIn).toMatchObject({ number: onTimeBooking.number, rule: 'appointment', position: 1 });
    const lateIn = await stack.services.registrationDesk.checkIn(users.headA!, sessionId, { number: lateBooking.number.toLowerCase() }, {});
    expect(lateIn).toMatchObject({ number: lateBooking.number, rule: 'after_slot_end', queueNote: '超过时段签到,排在最后一个时段末尾候诊' });
    const queue = await stack.services.clinicQueue.queue(sessionId);
    expect(queue.entries.map((e) => [e.number, e.rule])).toEqual([
      [onTimeBooking.number, 'appointment'],
      [walkIn.number, 'walk_in'],
      [lateBooking.number, 'after_slot_end'],
    ]);
    expect(lateIn.position).toBe(3);

    // The on-time patient is called but not there: passed; at the desk again, they come next.
    expect((await stack.services.clinicQueue.callNext(users.headA!, sessionId, {})).number).toBe(onTimeBooking.number);
    await stack.services.clinicQueue.markPassed(users.headA!, sessionId, {});
    expect((await stack.services.clinicQueue.queue(sessionId)).entries.map((e) => e.number)).toEqual([walkIn.number, lateBooking.number]);
    const back = await stack.services.registrationDesk.checkIn(users.headA!, sessionId, { idNumber: onTime.idNumber }, {});
    expect(back).toMatchObject({ number: onTimeBooking.number, rule: 'late_called', position: 1 });
    expect((await stack.services.clinicQueue.callNext(users.headA!, sessionId, {})).number).toBe(onTimeBooking.number);
  });
});
