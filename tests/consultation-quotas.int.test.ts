/**
 * Quotas from the hospital's own history (the paper, section 3), on the real Temporal server and
 * Postgres: the clinic page's calls record consultations (start at the call, end at the next call;
 * a called patient who is not there is passed, and comes next when back), and the next nightly
 * plan turns them into per-slot capacity — slot minutes ÷ mean consultation time, or the observed
 * mean seen for a slot whose expert starts late. Sessions belong to an expert of this file only.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../domain/access.js';
import { isServiceError } from '../services/errors.js';
import { quotaPlanningStart, type QuotaSlotPlan, type RecomputeQuotasResult } from '../workflows/quota-planning/contracts.js';
import { executeWorkflow } from '../workflows/shared/start.js';
import { CAPACITY_SOURCE_LABELS } from '../domain/consultation-capacity.js';
import { DEMO_CLINIC_DAYS, DEMO_CLINIC_EXPERTS, seedDemoClinicHistory } from '../scripts/demo-consultations.js';
import { DEFAULT_QUOTA_HISTORY_WEEKS, DEFAULT_QUOTA_HORIZON_DAYS } from '../worker/quota-schedule.js';
import { uniquePhone } from './support/channels.js';
import { createTestOrg, TEST_PASSWORD, type TestOrg } from './support/org.js';
import { startStack, uniq, type TestStack } from './support/stack.js';

let stack: TestStack;
let org: TestOrg;
let admin: Principal;
const EXPERT = `晚开诊专家-${uniq()}`;
const run = promisify(execFile);

beforeAll(async () => {
  stack = await startStack({ worker: true });
  org = await createTestOrg(stack.sql);
  admin = (await stack.services.auth.login({ username: org.users.admin.username, password: TEST_PASSWORD }, {})).user;
});
afterAll(() => stack.stop());

/** A session of EXPERT on the Shanghai date `dayOffset` days from today, 08:00–12:00, four 60-minute slots. */
async function createSession(dayOffset: number, quotas = [8, 8, 7, 7]): Promise<{ id: string; startsAt: Date }> {
  const [s] = await stack.sql<{ id: string; starts_at: Date }[]>`
    WITH d AS (SELECT (now() AT TIME ZONE 'Asia/Shanghai')::date + ${dayOffset}::int AS day)
    INSERT INTO clinic_sessions (expert_name, department_code, session_date, registration_opens_at, starts_at, ends_at, slot_minutes, grace_minutes)
    SELECT ${EXPERT}, ${org.deptA}, day, (day + time '07:00') AT TIME ZONE 'Asia/Shanghai',
           (day + time '08:00') AT TIME ZONE 'Asia/Shanghai', (day + time '12:00') AT TIME ZONE 'Asia/Shanghai', 60, 0
    FROM d RETURNING id, starts_at`;
  for (const [i, quota] of quotas.entries()) {
    await stack.sql`
      INSERT INTO clinic_slots (session_id, slot_index, starts_at, ends_at, appointment_quota)
      SELECT id, ${i}, starts_at + make_interval(hours => ${i}::int), starts_at + make_interval(hours => ${i + 1}::int), ${quota}
      FROM clinic_sessions WHERE id = ${s!.id}`;
  }
  return { id: s!.id, startsAt: s!.starts_at };
}

const minutesAfter = (d: Date, m: number) => new Date(d.getTime() + m * 60_000);

async function refusal(p: Promise<unknown>): Promise<{ status: number; code: string }> {
  try {
    await p;
  } catch (err) {
    if (isServiceError(err)) return { status: err.status, code: err.code };
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('consultation records and quotas from history', () => {
  it('clinic calls record consultations; the next nightly plan gives a late-starting slot its observed capacity', async () => {
    for (const week of [1, 2, 3]) {
      const past = await createSession(-7 * week);
      // Twelve walk-ins queue from 07:30; the expert starts at 08:40 and sees one every 10 minutes.
      const tag = uniq();
      for (let k = 0; k < 12; k++) {
        await stack.sql`
          INSERT INTO walk_in_registrations (session_id, number, registered_at)
          VALUES (${past.id}, ${`W-${tag}-${k}`}, ${minutesAfter(past.startsAt, -30 + k)})`;
      }
      for (const m of [40, 50, 60, 70, 80, 90, 100, 110, 120]) {
        await stack.services.clinicQueue.callNext(admin, past.id, {}, minutesAfter(past.startsAt, m));
      }
      const records = await stack.sql<{ started_at: Date; ended_at: Date | null; outcome: string }[]>`
        SELECT started_at, ended_at, outcome FROM consultations WHERE session_id = ${past.id} ORDER BY started_at`;
      expect(records).toHaveLength(9);
      expect(records.slice(0, 8).every((r) => r.outcome === 'seen' && r.ended_at!.getTime() - r.started_at.getTime() === 10 * 60_000)).toBe(true);
      expect(records[8]).toMatchObject({ outcome: 'in_progress', ended_at: null });
      const [seen] = await stack.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM walk_in_registrations WHERE session_id = ${past.id} AND status = 'seen'`;
      expect(seen!.n).toBe(8);
    }
    const upcoming = await createSession(1);

    const result: RecomputeQuotasResult = await executeWorkflow(stack.temporal, stack.taskQueue, quotaPlanningStart({ weeks: 8, horizonDays: 3 }, `quota-consult-test-${uniq()}`));
    expect(result.planned.find((p) => p.sessionId === upcoming.id)).toBeDefined();
    const [plan] = await stack.sql<{ computed: QuotaSlotPlan[] }[]>`SELECT computed FROM quota_plans WHERE session_id = ${upcoming.id}`;
    const [slot0, slot1, slot2] = plan!.computed;
    // 08:00–09:00: 10-minute consultations would allow 6, but only 2 were ever seen → 2.
    expect(slot0!.capacity).toBe(2);
    expect(slot0!.basis).toMatchObject({ capacitySource: 'observed_late_start', meanConsultMinutes: 10, meanSeen: 2, expectedSeen: 6, consultations: 6, lateStartRatio: 0.6 });
    // 09:00–10:00: 6 seen of 6 expected → slot minutes ÷ mean consultation time.
    expect(slot1!.capacity).toBeCloseTo(6);
    expect(slot1!.basis).toMatchObject({ capacitySource: 'history', meanSeen: 6, consultations: 18 });
    expect(slot1!.quota).toBe(6);
    // 10:00–11:00: nothing finished there (the last call is still in progress) → the 10-minute fallback, named.
    expect(slot2!.basis).toMatchObject({ capacitySource: 'fallback', meanConsultMinutes: 10, consultations: 0 });
    expect(plan!.computed.reduce((a, c) => a + c.quota, 0)).toBe(30);
    // Current vs proposed plan, simulated over the recorded sessions, for the quota page.
    const listedPlan = (await stack.services.quotaPlanning.list(admin)).find((s) => s.sessionId === upcoming.id);
    expect(listedPlan?.simulation).toMatchObject({ sessions: 3, current: { quotas: [8, 8, 7, 7] }, proposed: { quotas: plan!.computed.map((c) => c.quota) } });
    expect(listedPlan!.simulation!.proposed.walkInMean).toBeLessThan(listedPlan!.simulation!.current.walkInMean);

    // The quota page's data carries the source.
    const listed = (await stack.services.quotaPlanning.list(admin)).find((s) => s.sessionId === upcoming.id);
    expect(listed?.slots.map((s) => s.computed?.basis.capacitySource)).toEqual(['observed_late_start', 'history', 'fallback', 'fallback']);

    // `npm run simulate:clinic` runs on the same recorded history.
    const sim = await run('node_modules/.bin/tsx', ['scripts/simulate-clinic.ts'], {
      env: { ...process.env, SIM_EXPERT: EXPERT, DATABASE_URL: stack.env.DATABASE_URL },
      timeout: 120_000,
    });
    expect(sim.stdout).toContain('recorded history (clinic page consultations)');
    expect(sim.stdout).toMatch(/3 个工作日 working days/);
    expect(sim.stdout).toContain('平均就诊时长 mean consultation 10.0 min; 专家迟到 expert started late on 3/3 days');
    expect(sim.stdout).toMatch(/\| 测算配额 computed quotas \|/);
    if (process.env.SIM_PRINT) console.log(sim.stdout);

    // The threshold is data: at 0.3 the same history keeps the computed capacity.
    await stack.sql`UPDATE quota_capacity_settings SET late_start_ratio = 0.3`;
    try {
      await executeWorkflow(stack.temporal, stack.taskQueue, quotaPlanningStart({ weeks: 8, horizonDays: 3 }, `quota-consult-test-${uniq()}`));
      const [again] = await stack.sql<{ computed: QuotaSlotPlan[] }[]>`SELECT computed FROM quota_plans WHERE session_id = ${upcoming.id}`;
      expect(again!.computed[0]!.basis.capacitySource).toBe('history');
      expect(again!.computed[0]!.capacity).toBeCloseTo(6);
    } finally {
      await stack.sql`UPDATE quota_capacity_settings SET late_start_ratio = 0.6`;
    }

  });

  it('the demo history: the nightly plan gives the late-starting expert’s first slot the observed capacity, the others history or the named fallback', async () => {
    // The demo's experts with their seeds and habits, under names of this test.
    const tag = uniq();
    const experts = DEMO_CLINIC_EXPERTS.map((e) => ({ ...e, name: `${e.name}-${tag}`, code: `${e.code}${tag}`, departmentCode: org.deptA }));
    const [late, onTime, unrecorded] = experts as [(typeof experts)[0], (typeof experts)[0], (typeof experts)[0]];
    const patients: { id: string }[] = [];
    for (let i = 0; i < 20; i++) {
      const [p] = await stack.sql<{ id: string }[]>`
        INSERT INTO patients (his_patient_id, name, phone) VALUES (${`DH-${tag}-${i}`}, ${`历史患者${i}`}, ${uniquePhone()}) RETURNING id`;
      patients.push(p!);
    }
    const seeded = await seedDemoClinicHistory(stack.sql, { experts, patients });
    expect(seeded).toMatchObject({ pastSessions: 3 * DEMO_CLINIC_DAYS, recorded: 2 * DEMO_CLINIC_DAYS });
    expect([...seeded.upcoming.keys()]).toEqual(experts.map((e) => e.name));

    // The clinic page's shape: each consultation called and seen, each seen walk-in and appointment carrying its times.
    const [shape] = await stack.sql<{ consultations: number; calls: number; sessions: number; finished: boolean; walkInsSeen: number; walkInsTimed: number; appointments: number; appointmentConsults: number }[]>`
      SELECT (SELECT count(*)::int FROM consultations c JOIN clinic_sessions s ON s.id = c.session_id WHERE s.expert_name = ${late.name}) AS consultations,
             (SELECT count(*)::int FROM clinic_calls c JOIN clinic_sessions s ON s.id = c.session_id WHERE s.expert_name = ${late.name}) AS calls,
             (SELECT count(DISTINCT c.session_id)::int FROM consultations c JOIN clinic_sessions s ON s.id = c.session_id WHERE s.expert_name = ${late.name}) AS sessions,
             (SELECT bool_and(c.outcome = 'seen' AND c.ended_at > c.started_at) FROM consultations c JOIN clinic_sessions s ON s.id = c.session_id WHERE s.expert_name = ${late.name}) AS finished,
             (SELECT count(*)::int FROM walk_in_registrations w JOIN clinic_sessions s ON s.id = w.session_id WHERE s.expert_name = ${late.name} AND w.status = 'seen') AS "walkInsSeen",
             (SELECT count(*)::int FROM walk_in_registrations w JOIN clinic_sessions s ON s.id = w.session_id
              JOIN consultations c ON c.session_id = w.session_id AND c.number = w.number AND c.started_at = w.called_at AND c.ended_at = w.seen_at
              WHERE s.expert_name = ${late.name}) AS "walkInsTimed",
             (SELECT count(*)::int FROM appointments a JOIN clinic_sessions s ON s.id = a.session_id
              JOIN consultations c ON c.session_id = a.session_id AND c.number = a.number AND c.started_at = a.called_at
              WHERE s.expert_name = ${late.name} AND a.status = 'seen') AS appointments,
             (SELECT count(*)::int FROM consultations c JOIN clinic_sessions s ON s.id = c.session_id WHERE s.expert_name = ${late.name} AND c.kind = 'appointment') AS "appointmentConsults"`;
    expect(shape!.sessions).toBe(DEMO_CLINIC_DAYS);
    expect(shape!.consultations).toBeGreaterThan(20 * DEMO_CLINIC_DAYS);
    expect(shape).toMatchObject({ calls: shape!.consultations, finished: true, walkInsTimed: shape!.walkInsSeen, appointments: shape!.appointmentConsults });
    expect(shape!.walkInsSeen + shape!.appointments).toBe(shape!.consultations);
    const [unrecordedCount] = await stack.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM consultations c JOIN clinic_sessions s ON s.id = c.session_id WHERE s.expert_name = ${unrecorded.name}`;
    expect(unrecordedCount!.n).toBe(0);

    // Seeding again adds nothing.
    expect(await seedDemoClinicHistory(stack.sql, { experts, patients })).toMatchObject({ pastSessions: 0, recorded: 0, upcoming: new Map() });
    const [again] = await stack.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM consultations c JOIN clinic_sessions s ON s.id = c.session_id WHERE s.expert_name = ${late.name}`;
    expect(again!.n).toBe(shape!.consultations);

    // The nightly run, with the Schedule's window.
    await executeWorkflow(
      stack.temporal,
      stack.taskQueue,
      quotaPlanningStart({ weeks: DEFAULT_QUOTA_HISTORY_WEEKS, horizonDays: DEFAULT_QUOTA_HORIZON_DAYS }, `quota-demo-test-${tag}`),
    );
    const planOf = async (name: string) => {
      const [plan] = await stack.sql<{ computed: QuotaSlotPlan[] }[]>`SELECT computed FROM quota_plans WHERE session_id = ${seeded.upcoming.get(name)!}`;
      return plan!.computed;
    };
    const latePlan = await planOf(late.name);
    // 王主任's ward rounds: the first hour sees far fewer than 60 ÷ his mean consultation time → what he actually saw.
    expect(latePlan.map((c) => c.basis.capacitySource)).toEqual(['observed_late_start', 'history', 'history', 'history']);
    const first = latePlan[0]!;
    expect(first.basis.pastSessions).toBe(DEMO_CLINIC_DAYS);
    expect(first.basis.meanSeen!).toBeLessThan(0.6 * first.basis.expectedSeen!);
    expect(first.capacity).toBe(first.basis.meanSeen);
    expect(first.capacity).toBeLessThan(first.basis.expectedSeen! / 1.5);
    expect(first.basis.meanConsultMinutes).toBeGreaterThan(8);
    expect(first.basis.meanConsultMinutes).toBeLessThan(10);
    expect(first.quota).toBe(0);
    expect(latePlan[1]!.capacity).toBeCloseTo(60 / latePlan[1]!.basis.meanConsultMinutes);

    // 李主任 starts on time with longer consultations: slot minutes ÷ his own mean, not the 10-minute fallback.
    const onTimePlan = await planOf(onTime.name);
    expect(onTimePlan.map((c) => c.basis.capacitySource)).toEqual(['history', 'history', 'history', 'history']);
    for (const c of onTimePlan) {
      expect(c.basis.meanConsultMinutes).toBeGreaterThan(10.2);
      expect(c.capacity).toBeCloseTo(60 / c.basis.meanConsultMinutes);
      expect(c.capacity).toBeLessThan(6);
    }
    // 陈主任 has registrations but no clinic-page records: the fallback, named as such.
    const unrecordedPlan = await planOf(unrecorded.name);
    expect(unrecordedPlan.map((c) => [c.basis.capacitySource, c.capacity, c.basis.meanConsultMinutes])).toEqual(Array(4).fill(['fallback', 6, 10]));
    for (const plan of [latePlan, onTimePlan, unrecordedPlan]) expect(plan.reduce((a, c) => a + c.quota, 0)).toBe(12);

    // The quota page's data carries each slot's source.
    const listed = await stack.services.quotaPlanning.list(admin);
    expect(listed.find((s) => s.sessionId === seeded.upcoming.get(late.name))?.slots[0]?.computed?.basis.capacitySource).toBe('observed_late_start');

    // `npm run simulate:clinic` on the same recorded history applies the same rule and gets the same capacity.
    const sim = await run('node_modules/.bin/tsx', ['scripts/simulate-clinic.ts'], {
      env: { ...process.env, SIM_EXPERT: late.name, SIM_DEPARTMENT: org.deptA, DATABASE_URL: stack.env.DATABASE_URL },
      timeout: 120_000,
    });
    expect(sim.stdout).toContain(`${DEMO_CLINIC_DAYS} 个工作日 working days`);
    expect(sim.stdout).toContain(`| ${first.capacity.toFixed(1)} | ${CAPACITY_SOURCE_LABELS.observed_late_start} (observed_late_start) |`);
    if (process.env.SIM_PRINT) console.log(sim.stdout);
  });

  it('a called patient who is not there is passed (no consultation), and comes next when back', async () => {
    const today = await createSession(0);
    const t0 = today.startsAt;
    const tag = uniq();
    const [p] = await stack.sql<{ id: string }[]>`INSERT INTO patients (his_patient_id, name, phone) VALUES (${`CQ-${tag}`}, '李过号', '13800138001') RETURNING id`;
    const number = `AP${tag}`;
    await stack.sql`
      INSERT INTO appointments (number, session_id, slot_index, patient_id, status, prepaid, booked_at, checked_in_at, arrival, workflow_id)
      VALUES (${number}, ${today.id}, 0, ${p!.id}, 'checked_in', true, ${minutesAfter(t0, -600)}, ${minutesAfter(t0, -10)}, 'on_time', ${`appointment-${number}`})`;
    const walkIns = [`W1-${tag}`, `W2-${tag}`];
    for (const [k, w] of walkIns.entries()) {
      await stack.sql`INSERT INTO walk_in_registrations (session_id, number, registered_at) VALUES (${today.id}, ${w}, ${minutesAfter(t0, -5 + k)})`;
    }
    const queue = stack.services.clinicQueue;
    expect(await refusal(queue.markPassed(admin, today.id, {}, minutesAfter(t0, 1)))).toMatchObject({ status: 409, code: 'nobody_called' });

    expect((await queue.callNext(admin, today.id, {}, minutesAfter(t0, 2))).number).toBe(number);
    expect(await queue.markPassed(admin, today.id, {}, minutesAfter(t0, 3))).toEqual({ number, kind: 'appointment' });
    expect((await queue.callNext(admin, today.id, {}, minutesAfter(t0, 4))).number).toBe(walkIns[0]);
    // Back while W1 is being seen: next, before W2.
    expect(await queue.returnPassed(admin, today.id, number, {}, minutesAfter(t0, 6))).toEqual({ number, position: 1 });
    const view = await queue.queue(today.id, minutesAfter(t0, 7));
    expect(view.entries.map((e) => [e.number, e.rule])).toEqual([
      [number, 'late_called'],
      [walkIns[1], 'walk_in'],
    ]);
    expect((await queue.callNext(admin, today.id, {}, minutesAfter(t0, 12))).number).toBe(number);
    expect(await refusal(queue.returnPassed(admin, today.id, walkIns[1]!, {}))).toMatchObject({ status: 409, code: 'not_passed' });

    const records = await stack.sql<{ number: string; outcome: string; minutes: number | null }[]>`
      SELECT number, outcome, extract(epoch FROM ended_at - started_at)::int / 60 AS minutes FROM consultations WHERE session_id = ${today.id} ORDER BY started_at`;
    expect(records).toEqual([
      { number, outcome: 'passed', minutes: 1 },
      { number: walkIns[0], outcome: 'seen', minutes: 8 },
      { number, outcome: 'in_progress', minutes: null },
    ]);
    const [a] = await stack.sql<{ seen_at: Date | null; passed_at: Date | null }[]>`SELECT seen_at, passed_at FROM appointments WHERE number = ${number}`;
    expect(a).toEqual({ seen_at: null, passed_at: null });
    const [audited] = await stack.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM audit_log WHERE entity_id = ${today.id} AND action IN ('clinic.pass', 'clinic.return_passed')`;
    expect(audited!.n).toBe(2);
  });
});
