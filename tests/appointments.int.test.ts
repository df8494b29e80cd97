/**
 * Outpatient appointments and no-show control on the real Temporal server and Postgres. Session
 * times are seconds from now and the no-show rule of a test patient's ledger is given in its
 * workflow input (the shared `noshow_settings` row is left alone).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../domain/access.js';
import { isServiceError } from '../services/errors.js';
import {
  BlacklistedKey,
  LEDGER_EVENTS_PER_RUN,
  getAppointmentStateQuery,
  getLedgerStateQuery,
  noShowLedgerStart,
  noShowLedgerWorkflowId,
  recordNoShowSignal,
  type NoShowSettings,
} from '../workflows/appointment/contracts.js';
import { startWorkflow } from '../workflows/shared/start.js';
import { maybeRecordHistory, waitFor } from './support/follow-up-fixtures.js';
import { createTestOrg, TEST_PASSWORD, type TestOrg } from './support/org.js';
import { startStack, uniq, type TestStack } from './support/stack.js';

let stack: TestStack;
let org: TestOrg;
const users: Record<string, Principal> = {};
const PAID = { prepaid: true, prepaymentRef: 'PAY-001' };

beforeAll(async () => {
  stack = await startStack({ worker: true });
  org = await createTestOrg(stack.sql);
  for (const key of ['agentA', 'admin'] as const) {
    users[key] = (await stack.services.auth.login({ username: org.users[key].username, password: TEST_PASSWORD }, {})).user;
  }
});
afterAll(() => stack.stop());

const at = (seconds: number) => new Date(Date.now() + seconds * 1000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function createPatient(): Promise<string> {
  const id = uniq();
  const [p] = await stack.sql<{ id: string }[]>`
    INSERT INTO patients (his_patient_id, name, phone) VALUES (${`AP-${id}`}, '王建国', '13800138000') RETURNING id`;
  return p!.id;
}

/** A session of deptA; times in seconds from now; no grace period, so a slot's end is its deadline. */
async function createSession(t: { opensIn: number; endsIn: number; slots: { startIn: number; endIn: number; quota?: number }[] }): Promise<string> {
  const [s] = await stack.sql<{ id: string }[]>`
    INSERT INTO clinic_sessions (expert_name, department_code, session_date, registration_opens_at, starts_at, ends_at, slot_minutes, grace_minutes)
    VALUES ('张主任', ${org.deptA}, current_date, ${at(t.opensIn)}, ${at(Math.min(...t.slots.map((x) => x.startIn)))}, ${at(t.endsIn)}, 1, 0)
    RETURNING id`;
  for (const [i, slot] of t.slots.entries()) {
    await stack.sql`
      INSERT INTO clinic_slots (session_id, slot_index, starts_at, ends_at, appointment_quota)
      VALUES (${s!.id}, ${i}, ${at(slot.startIn)}, ${at(slot.endIn)}, ${slot.quota ?? 5})`;
  }
  return s!.id;
}

/** Sleeps until just after the instant: the services and the workflows read the same clock. */
const sleepUntil = (instant: Date) => sleep(Math.max(0, instant.getTime() - Date.now()) + 300);
const sessionTime = (sessionId: string, column: 'registration_opens_at' | 'ends_at') =>
  stack.sql<{ t: Date }[]>`SELECT ${stack.sql(column)} AS t FROM clinic_sessions WHERE id = ${sessionId}`.then((r) => r[0]!.t);
const slotEnd = (sessionId: string, slotIndex: number) =>
  stack.sql<{ t: Date }[]>`SELECT ends_at AS t FROM clinic_slots WHERE session_id = ${sessionId} AND slot_index = ${slotIndex}`.then((r) => r[0]!.t);

const appointmentRow = (id: string) =>
  stack.sql<{ status: string; arrival: string | null; queue_note: string | null; checked_in_at: Date | null; cancelled_at: Date | null }[]>`
    SELECT status, arrival, queue_note, checked_in_at, cancelled_at FROM appointments WHERE id = ${id}`.then((r) => r[0]!);
const booked = (sessionId: string, slotIndex = 0) =>
  stack.sql<{ booked: number }[]>`SELECT booked FROM clinic_slots WHERE session_id = ${sessionId} AND slot_index = ${slotIndex}`.then((r) => r[0]!.booked);
const ledgerRow = (patientId: string) =>
  stack.sql<{ no_shows: string[]; blacklisted_until: Date | null; blacklist_count: number; lift_reason: string | null }[]>`
    SELECT no_shows, blacklisted_until, blacklist_count, lift_reason FROM noshow_ledger WHERE patient_id = ${patientId}`.then((r) => r[0]);

async function refusal(p: Promise<unknown>): Promise<{ status: number; code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    if (isServiceError(err)) return { status: err.status, code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected a refusal');
}

/** Starts a patient's ledger with the test's no-show rule (the appointment workflow then finds it running). */
async function startLedger(patientId: string, settings: NoShowSettings) {
  return startWorkflow(stack.temporal, stack.taskQueue, noShowLedgerStart({ patientId, settings }));
}

describe('appointments', () => {
  it('reminds the patient the day before, with the time in Beijing time, the number and the queue lookup code', async () => {
    // The session starts a day and a few seconds from now: the reminder is due in a few seconds.
    const day = 86_400;
    const sessionId = await createSession({ opensIn: day - 600, endsIn: day + 3600, slots: [{ startIn: day + 4, endIn: day + 1800 }] });
    const patient = await createPatient();
    const booking = await stack.services.appointments.book(patient, sessionId, 0, PAID);
    const [a] = await stack.sql<{ number: string; short_code: string }[]>`SELECT number, short_code FROM appointments WHERE id = ${booking.appointmentId}`;
    const message = await waitFor(
      async () => (await stack.sql<{ body: string }[]>`SELECT body FROM outbound_messages WHERE workflow_id = ${booking.workflowId} AND step = 'reminder'`)[0],
      20_000,
      'the reminder',
    );
    expect(message.body).toContain(`预约号 ${a!.number}`);
    expect(message.body).toContain(`候诊查询码 ${a!.short_code}`);
    expect(message.body).toMatch(/第 1 时段\(\d+月\d+日 \d{2}:\d{2}\)/);
    expect(message.body).not.toMatch(/\d{4}-\d{2}-\d{2}T/);
    await stack.temporal.workflow.getHandle(booking.workflowId).terminate('test done');
  });

  it('requires prepayment to book', async () => {
    const sessionId = await createSession({ opensIn: 60, endsIn: 120, slots: [{ startIn: 60, endIn: 120 }] });
    const patientId = await createPatient();
    const r = await refusal(stack.services.appointments.book(patientId, sessionId, 0, { prepaid: false }));
    expect(r).toMatchObject({ status: 400, code: 'prepayment_required' });
    expect(r.message).toContain('预缴费');
    expect(await booked(sessionId)).toBe(0);
  });

  it('cancels before registration opens and gives the number back to the slot; refuses after, with the reason', async () => {
    // Wide enough that the bookings and the cancellation finish before registration opens on a busy machine.
    const sessionId = await createSession({ opensIn: 12, endsIn: 40, slots: [{ startIn: 14, endIn: 40, quota: 1 }] });
    const [p1, p2] = [await createPatient(), await createPatient()];
    const first = await stack.services.appointments.book(p1, sessionId, 0, PAID);
    expect(await booked(sessionId)).toBe(1);
    const full = await refusal(stack.services.appointments.book(p2, sessionId, 0, PAID));
    expect(full).toMatchObject({ status: 409, code: 'slot_full' });

    const cancelled = await stack.services.appointments.cancel(first.appointmentId, { reason: '临时有事' });
    expect(cancelled.status).toBe('cancelled');
    expect(await appointmentRow(first.appointmentId)).toMatchObject({ status: 'cancelled' });
    expect(await booked(sessionId)).toBe(0);
    const again = await refusal(stack.services.appointments.cancel(first.appointmentId));
    expect(again.status).toBe(409);

    // The released number can be booked; once registration opens it can no longer be cancelled.
    const second = await stack.services.appointments.book(p2, sessionId, 0, PAID);
    await sleepUntil(await sessionTime(sessionId, 'registration_opens_at'));
    const late = await refusal(stack.services.appointments.cancel(second.appointmentId));
    expect(late).toMatchObject({ status: 409, code: 'appointment_action_refused' });
    expect(late.message).toContain('已开始取号');
    expect(await appointmentRow(second.appointmentId)).toMatchObject({ status: 'booked' });
    expect(await booked(sessionId)).toBe(1);
  });

  it('records check-in on time, late within the slot, and after the slot (queued at the end)', async () => {
    const sessionId = await createSession({
      // Booked while booking is open; registration (取号) opens just after.
      opensIn: 25,
      endsIn: 30,
      slots: [
        { startIn: -30, endIn: 10 },
        { startIn: 20, endIn: 30 },
      ],
    });
    const [early, late, afterSlot] = [await createPatient(), await createPatient(), await createPatient()];
    const a = await stack.services.appointments.book(early, sessionId, 1, PAID);
    const b = await stack.services.appointments.book(late, sessionId, 0, PAID);
    const c = await stack.services.appointments.book(afterSlot, sessionId, 0, PAID);
    await stack.sql`UPDATE clinic_sessions SET registration_opens_at = now() - interval '30 seconds' WHERE id = ${sessionId}`;

    expect(await stack.services.appointments.checkIn(a.appointmentId)).toMatchObject({ status: 'checked_in', arrival: 'on_time' });
    expect(await stack.services.appointments.checkIn(b.appointmentId)).toMatchObject({ status: 'checked_in', arrival: 'late' });
    await sleepUntil(await slotEnd(sessionId, 0)); // slot 0 has ended
    const s = await stack.services.appointments.checkIn(c.appointmentId);
    expect(s).toMatchObject({ status: 'checked_in', arrival: 'after_slot_end' });
    expect(await appointmentRow(c.appointmentId)).toMatchObject({ status: 'checked_in', arrival: 'after_slot_end', queue_note: s.queueNote });
    expect(s.queueNote).toContain('末尾');
    expect(await appointmentRow(a.appointmentId)).toMatchObject({ arrival: 'on_time' });
    const twice = await refusal(stack.services.appointments.checkIn(b.appointmentId));
    expect(twice.status).toBe(409);
    // The Temporal UI tells supervisors what the booking is and how it ended.
    const metadata = await stack.temporal.workflow.getHandle(c.workflowId).query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    expect(metadata.currentDetails).toMatch(/^\*\*预约 \S+\*\* · .+ · 第 1 时段（.+）· 已签到\n\n已签到$/);
    await maybeRecordHistory(stack.temporal, c.workflowId, 'appointment-after-slot');
  });

  it('marks a no-show at session end, reports it to the ledger, blacklists at the threshold, refuses booking, lifts itself', async () => {
    const patientId = await createPatient();
    const other = await createPatient(); // no ledger yet: the appointment workflow starts one
    // Booking stays open long enough for the three bookings on a busy machine; the blacklist lasts
    // long enough to see a booking refused before its timer lifts it.
    const ledger = await startLedger(patientId, { threshold: 2, windowSeconds: 120, blacklistSeconds: 10 });
    const first = await createSession({ opensIn: 8, endsIn: 10, slots: [{ startIn: 8, endIn: 10 }] });
    const second = await createSession({ opensIn: 8, endsIn: 13, slots: [{ startIn: 8, endIn: 13 }] });
    const a1 = await stack.services.appointments.book(patientId, first, 0, PAID);
    const a2 = await stack.services.appointments.book(patientId, second, 0, PAID);
    const o1 = await stack.services.appointments.book(other, first, 0, PAID);

    await waitFor(async () => ((await appointmentRow(a1.appointmentId)).status === 'no_show' ? true : undefined), 20_000, 'first no-show');
    const afterOne = await waitFor(async () => {
      const s = await ledger.query(getLedgerStateQuery);
      return s.noShows.length === 1 ? s : undefined;
    });
    expect(afterOne).toMatchObject({ blacklisted: false });
    // The projection row follows the workflow's state (its activity may still be running).
    const ledgerAfterOne = await waitFor(async () => {
      const r = await ledgerRow(patientId);
      return r?.no_shows.length === 1 ? r : undefined;
    });
    expect(ledgerAfterOne.no_shows).toHaveLength(1);
    // The other patient's ledger was started by the appointment workflow, on the shared rule.
    const otherLedger = stack.temporal.workflow.getHandle(noShowLedgerWorkflowId(other));
    const otherState = await waitFor(async () => {
      const s = await otherLedger.query(getLedgerStateQuery);
      return s.noShows.length === 1 ? s : undefined;
    });
    expect(otherState.blacklisted).toBe(false);
    expect((await stack.temporal.workflow.getHandle(o1.workflowId).query(getAppointmentStateQuery)).status).toBe('no_show');
    await maybeRecordHistory(stack.temporal, o1.workflowId, 'appointment-no-show');

    // The second no-show reaches the threshold.
    const row = await waitFor(async () => {
      const r = await ledgerRow(patientId);
      return r?.blacklisted_until ? r : undefined;
    }, 20_000, 'blacklisted');
    expect(row).toMatchObject({ blacklist_count: 1 });
    expect((await appointmentRow(a2.appointmentId)).status).toBe('no_show');
    // The workflow publishes Blacklisted in the workflow task after its projection activity.
    const blacklisted = await waitFor(async () => (await ledger.describe()).typedSearchAttributes.get(BlacklistedKey) || undefined);
    expect(blacklisted).toBe(true);
    const open = await createSession({ opensIn: 3600, endsIn: 7200, slots: [{ startIn: 3600, endIn: 7200 }] });
    const refused = await refusal(stack.services.appointments.book(patientId, open, 0, PAID));
    expect(refused).toMatchObject({ status: 409, code: 'patient_blacklisted' });
    expect(refused.message).toContain('爽约');

    // The blacklist ends on its own after its period.
    await waitFor(async () => ((await ledgerRow(patientId))?.blacklisted_until === null ? true : undefined), 20_000, 'lifted by timer');
    await waitFor(async () => ((await ledger.describe()).typedSearchAttributes.get(BlacklistedKey) === false ? true : undefined));
    expect((await ledger.query(getLedgerStateQuery)).lastLift).toMatchObject({ early: false });
    const rebooked = await stack.services.appointments.book(patientId, open, 0, PAID);
    expect(rebooked.number).toMatch(/^AP/);
  });

  it('lets an admin lift a blacklist early with a reason, audited', async () => {
    const patientId = await createPatient();
    const ledger = await startLedger(patientId, { threshold: 1, windowSeconds: 60, blacklistSeconds: 3600 });
    await ledger.signal(recordNoShowSignal, { at: new Date().toISOString(), appointmentNumber: `X${uniq()}` });
    await waitFor(async () => ((await ledgerRow(patientId))?.blacklisted_until ? true : undefined), 20_000, 'blacklisted');

    expect(await refusal(stack.services.appointments.liftBlacklist(users.agentA!, patientId, '患者说明原因', {}))).toMatchObject({ status: 403 });
    // The admin page lists the patient, masked.
    const listed = (await stack.services.appointments.blacklisted(users.admin!)).find((p) => p.patientId === patientId);
    expect(listed).toMatchObject({ count: 1 });
    expect(listed!.phoneMasked).toMatch(/\*{4}/);
    expect(await refusal(stack.services.appointments.blacklisted(users.agentA!))).toMatchObject({ status: 403 });
    expect(await refusal(stack.services.appointments.liftBlacklist(users.admin!, patientId, ' ', {}))).toMatchObject({ status: 400 });

    const state = await stack.services.appointments.liftBlacklist(users.admin!, patientId, '患者因急诊住院未能就诊', { ip: '10.0.0.9' });
    expect(state).toMatchObject({ blacklisted: false, lastLift: { early: true, reason: '患者因急诊住院未能就诊', actorId: users.admin!.id } });
    expect(await ledgerRow(patientId)).toMatchObject({ blacklisted_until: null, lift_reason: '患者因急诊住院未能就诊' });
    expect((await ledger.describe()).typedSearchAttributes.get(BlacklistedKey)).toBe(false);
    const [entry] = await stack.sql<{ actor_id: string; details: { reason: string }; ip: string }[]>`
      SELECT actor_id, details, ip FROM audit_log WHERE action = 'noshow.blacklist_lifted' AND patient_id = ${patientId}`;
    expect(entry).toMatchObject({ actor_id: users.admin!.id, details: { reason: '患者因急诊住院未能就诊' }, ip: '10.0.0.9' });

    const again = await refusal(stack.services.appointments.liftBlacklist(users.admin!, patientId, '重复解除', {}));
    expect(again).toMatchObject({ status: 409 });
    expect(again.message).toContain('未被列入');
  });

  it('continues the ledger as new after its events per run, carrying the window', async () => {
    const patientId = await createPatient();
    const ledger = await startLedger(patientId, { threshold: 1000, windowSeconds: 3600, blacklistSeconds: 60 });
    const firstRun = (await ledger.describe()).runId;
    for (let i = 0; i < LEDGER_EVENTS_PER_RUN; i++) {
      await ledger.signal(recordNoShowSignal, { at: new Date().toISOString(), appointmentNumber: `CAN-${i}` });
    }
    const next = await waitFor(async () => {
      const d = await stack.temporal.workflow.getHandle(ledger.workflowId).describe();
      return d.runId !== firstRun && d.status.name === 'RUNNING' ? d : undefined;
    }, 30_000, 'continued as new');
    expect(next.runId).not.toBe(firstRun);
    const state = await stack.temporal.workflow.getHandle(ledger.workflowId).query(getLedgerStateQuery);
    expect(state).toMatchObject({ blacklisted: false, events: 0, settings: { threshold: 1000 } });
    expect(state.noShows).toHaveLength(LEDGER_EVENTS_PER_RUN);
  });
});
