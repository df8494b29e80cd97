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
    expect(await refusal(stack.services.registrationDesk.checkIn(users.headA!, sessionId, { lookup: '  ' }, {}))).toMatchObject({ status: 400 });

    // The desk's one box (/desk): an ID card number typed with a small x finds the patient's booking.
    const onTimeIn = await stack.services.registrationDesk.checkIn(users.headA!, sessionId, { lookup: onTime.idNumber.toLowerCase() }, {});
    expect(onTimeIn).toMatchObject({ number: onTimeBooking.number, rule: 'appointment', position: 1 });
    const lateIn = await stack.services.registrationDesk.checkIn(users.headA!, sessionId, { lookup: ` ${lateBooking.number.toLowerCase()} ` }, {});
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

  it('ending the session marks the bookings not checked in as no-shows now (the ledger follows)', async () => {
    const [s] = await stack.sql<{ id: string }[]>`
      INSERT INTO clinic_sessions (expert_name, department_code, session_date, registration_opens_at, starts_at, ends_at, slot_minutes, grace_minutes)
      VALUES ('结束专家', ${org.deptA}, (now() AT TIME ZONE 'Asia/Shanghai')::date, ${at(30)}, ${at(-60)}, ${at(180)}, 60, 0) RETURNING id`;
    await stack.sql`INSERT INTO clinic_slots (session_id, slot_index, starts_at, ends_at, appointment_quota) VALUES (${s!.id}, 0, ${at(-60)}, ${at(180)}, 3)`;
    const [p] = await stack.sql<{ id: string }[]>`INSERT INTO patients (his_patient_id, name, phone) VALUES (${`END-${uniq()}`}, '吴未到', '13700137001') RETURNING id`;
    const booking = await stack.services.appointments.book(p!.id, s!.id, 0, { prepaid: true, prepaymentRef: 'PAY-E' });
    await waitUntilStarted(booking.workflowId);
    expect(await refusal(stack.services.registrationDesk.endSession(users.staffB!, s!.id, {}))).toMatchObject({ status: 403 });
    expect(await stack.services.registrationDesk.endSession(users.headA!, s!.id, {})).toEqual({ noShows: [booking.number] });
    const deadline = Date.now() + 20_000;
    let status = '';
    while (Date.now() < deadline) {
      [{ status } = { status: '' }] = await stack.sql<{ status: string }[]>`SELECT status FROM appointments WHERE number = ${booking.number}`;
      if (status === 'no_show') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(status).toBe('no_show');
    const ledger = await waitForLedger(p!.id);
    expect(ledger).toBe(1);
  });
});

async function waitUntilStarted(workflowId: string) {
  const handle = stack.temporal.workflow.getHandle(workflowId);
  await handle.describe();
}

/** The patient's no-show count in the ledger projection, once written (20 s at most). */
async function waitForLedger(patientId: string): Promise<number> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const [row] = await stack.sql<{ n: number }[]>`SELECT jsonb_array_length(no_shows)::int AS n FROM noshow_ledger WHERE patient_id = ${patientId}`;
    if (row && row.n > 0) return row.n;
    await new Promise((r) => setTimeout(r, 200));
  }
  return 0;
}
