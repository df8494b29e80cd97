/**
 * Appointment quota planning on the real Temporal server and Postgres: the nightly workflow turns
 * an expert's walk-in history into per-slot quotas, the Schedule is created/updated, and the
 * administrator's override is validated and audited. Sessions are dated tomorrow (the planning
 * horizon starts tomorrow), for an expert of this file only, so other test files are not touched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../domain/access.js';
import { isServiceError } from '../services/errors.js';
import { quotaPlanningStart, type QuotaSlotPlan, type RecomputeQuotasResult } from '../workflows/quota-planning/contracts.js';
import { executeWorkflow } from '../workflows/shared/start.js';
import { QUOTA_SCHEDULE_ID, ensureQuotaSchedule } from '../worker/quota-schedule.js';
import { createTestOrg, TEST_PASSWORD, type TestOrg } from './support/org.js';
import { startStack, uniq, type TestStack } from './support/stack.js';

let stack: TestStack;
let org: TestOrg;
const users: Record<string, Principal> = {};
const EXPERT = `号源专家-${uniq()}`;
let upcoming: string;

beforeAll(async () => {
  stack = await startStack({ worker: true });
  org = await createTestOrg(stack.sql);
  for (const key of ['agentA', 'admin'] as const) {
    users[key] = (await stack.services.auth.login({ username: org.users[key].username, password: TEST_PASSWORD }, {})).user;
  }
});
afterAll(async () => {
  await stack.temporal.schedule.getHandle(QUOTA_SCHEDULE_ID).delete().catch(() => {});
  await stack.stop();
});

/** A session of EXPERT on the Shanghai date `dayOffset` days from today, 08:00–12:00, four 60-minute slots. */
async function createSession(dayOffset: number, quotas = [8, 8, 7, 7]): Promise<string> {
  const [s] = await stack.sql<{ id: string }[]>`
    WITH d AS (SELECT (now() AT TIME ZONE 'Asia/Shanghai')::date + ${dayOffset}::int AS day)
    INSERT INTO clinic_sessions (expert_name, department_code, session_date, registration_opens_at, starts_at, ends_at, slot_minutes)
    SELECT ${EXPERT}, ${org.deptA}, day, (day + time '07:00') AT TIME ZONE 'Asia/Shanghai',
           (day + time '08:00') AT TIME ZONE 'Asia/Shanghai', (day + time '12:00') AT TIME ZONE 'Asia/Shanghai', 60
    FROM d RETURNING id`;
  for (const [i, quota] of quotas.entries()) {
    await stack.sql`
      INSERT INTO clinic_slots (session_id, slot_index, starts_at, ends_at, appointment_quota)
      SELECT id, ${i}, starts_at + make_interval(hours => ${i}::int), starts_at + make_interval(hours => ${i + 1}::int), ${quota}
      FROM clinic_sessions WHERE id = ${s!.id}`;
  }
  return s!.id;
}

/** Walk-ins at the given minute offsets from the session start (negative: before it). */
async function registerWalkIns(sessionId: string, minutes: number[]) {
  const tag = uniq();
  for (const [k, m] of minutes.entries()) {
    await stack.sql`
      INSERT INTO walk_in_registrations (session_id, number, registered_at, status)
      SELECT id, ${`W-${tag}-${k}`}, starts_at + make_interval(secs => ${m * 60}::double precision), 'seen'
      FROM clinic_sessions WHERE id = ${sessionId}`;
  }
}

async function refusal(p: Promise<unknown>): Promise<{ status: number; code: string }> {
  try {
    await p;
  } catch (err) {
    if (isServiceError(err)) return { status: err.status, code: err.code };
    throw err;
  }
  throw new Error('expected a refusal');
}

const slotQuotas = (sessionId: string) =>
  stack.sql<{ appointment_quota: number }[]>`SELECT appointment_quota FROM clinic_slots WHERE session_id = ${sessionId} ORDER BY slot_index`.then((r) =>
    r.map((x) => x.appointment_quota),
  );

describe('quota planning', () => {
  it('computes quotas from walk-in history: none in the early peak slot, the rest later', async () => {
    for (const week of [1, 2, 3, 4]) {
      const past = await createSession(-7 * week);
      const early = Array.from({ length: 20 }, (_, k) => -30 + k); // queued before the start
      const peak = Array.from({ length: 180 }, (_, k) => k / 3); // 3 a minute through slot 0
      const later = [70, 100, 150, 200, 230];
      await registerWalkIns(past, [...early, ...peak, ...later]);
    }
    upcoming = await createSession(1);

    const result: RecomputeQuotasResult = await executeWorkflow(stack.temporal, stack.taskQueue, quotaPlanningStart({ weeks: 8, horizonDays: 3 }, `quota-planning-test-${uniq()}`));
    const mine = result.planned.find((p) => p.sessionId === upcoming);
    expect(mine).toBeDefined();
    const [plan] = await stack.sql<{ computed: QuotaSlotPlan[]; weeks_of_history: number; total_appointments: number; override: unknown }[]>`
      SELECT computed, weeks_of_history, total_appointments, override FROM quota_plans WHERE session_id = ${upcoming}`;
    expect(plan).toMatchObject({ weeks_of_history: 8, total_appointments: 30, override: null });
    const quotas = plan!.computed.map((c) => c.quota);
    expect(plan!.computed[0]!.walkIns).toBeGreaterThan(plan!.computed[0]!.capacity);
    expect(plan!.computed[0]!.capacity).toBe(6);
    expect(plan!.computed[0]!.basis).toMatchObject({ pastSessions: 4, meanConsultMinutes: 10, slotMinutes: 60 });
    expect(quotas[0]).toBe(0);
    expect(quotas.reduce((a, b) => a + b, 0)).toBe(30);
    expect(quotas[3]).toBeGreaterThanOrEqual(30 - 12);
    expect(mine!.quotas).toEqual(quotas);
    expect(await slotQuotas(upcoming)).toEqual(quotas);

    // Seeded sampling: the same history gives the same plan.
    const again: RecomputeQuotasResult = await executeWorkflow(stack.temporal, stack.taskQueue, quotaPlanningStart({ weeks: 8, horizonDays: 3 }, `quota-planning-test-${uniq()}`));
    expect(again.planned.find((p) => p.sessionId === upcoming)?.quotas).toEqual(quotas);
  });

  it('creates the nightly schedule at 02:00 Asia/Shanghai, and updates it when it exists', async () => {
    expect(await ensureQuotaSchedule(stack.temporal, { taskQueue: stack.taskQueue, weeks: 6 })).toMatchObject({ created: true });
    const handle = stack.temporal.schedule.getHandle(QUOTA_SCHEDULE_ID);
    const described = await handle.describe();
    expect(described.spec.timezone).toBe('Asia/Shanghai');
    expect(described.spec.calendars?.[0]).toMatchObject({ hour: [{ start: 2, end: 2, step: 1 }], minute: [{ start: 0, end: 0, step: 1 }] });
    expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'quotaPlanningWorkflow', taskQueue: stack.taskQueue });
    expect(described.action.type === 'startWorkflow' && described.action.args).toEqual([{ weeks: 6, horizonDays: 7 }]);

    expect(await ensureQuotaSchedule(stack.temporal, { taskQueue: stack.taskQueue })).toMatchObject({ created: false });
    const updated = await handle.describe();
    expect(updated.action.type === 'startWorkflow' && updated.action.args).toEqual([{ weeks: 8, horizonDays: 7 }]);
    await handle.delete();
  });

  it('lets an admin override the quotas (audited), refuses non-admins and quotas below booked, and restores on clearing', async () => {
    const computed = await slotQuotas(upcoming);
    await stack.sql`UPDATE clinic_slots SET booked = 2 WHERE session_id = ${upcoming} AND slot_index = 3`;

    const denied = await refusal(stack.services.quotaPlanning.override(users.agentA!, upcoming, { quotas: [5, 5, 10, 10], reason: '专家提前到岗' }, {}));
    expect(denied.status).toBe(403);
    expect(await refusal(stack.services.quotaPlanning.list(users.agentA!))).toMatchObject({ status: 403 });

    const below = await refusal(stack.services.quotaPlanning.override(users.admin!, upcoming, { quotas: [10, 10, 9, 1], reason: '调整' }, {}));
    expect(below).toMatchObject({ status: 400, code: 'invalid_input' });
    expect(await refusal(stack.services.quotaPlanning.override(users.admin!, upcoming, { quotas: [10, 10, 10], reason: '调整' }, {}))).toMatchObject({ status: 400 });
    expect(await refusal(stack.services.quotaPlanning.override(users.admin!, upcoming, { quotas: [5, 5, 10, -1], reason: '调整' }, {}))).toMatchObject({ status: 400 });
    expect(await refusal(stack.services.quotaPlanning.override(users.admin!, upcoming, { quotas: [5, 5, 10, 10], reason: '  ' }, {}))).toMatchObject({ status: 400 });
    expect(await slotQuotas(upcoming)).toEqual(computed);

    const view = await stack.services.quotaPlanning.override(users.admin!, upcoming, { quotas: [5, 5, 10, 10], reason: '专家提前到岗' }, {});
    expect(view.slots.map((s) => s.effectiveQuota)).toEqual([5, 5, 10, 10]);
    expect(view.slots.map((s) => s.override)).toEqual([5, 5, 10, 10]);
    expect(view.overrideReason).toBe('专家提前到岗');
    expect(await slotQuotas(upcoming)).toEqual([5, 5, 10, 10]);
    const [entry] = await stack.sql<{ details: Record<string, unknown> }[]>`
      SELECT details FROM audit_log WHERE action = 'quota.override' AND entity_id = ${upcoming} ORDER BY at DESC LIMIT 1`;
    expect(entry?.details).toMatchObject({ before: computed, after: [5, 5, 10, 10], reason: '专家提前到岗' });

    // The nightly run keeps the override in force (and still refreshes the computed plan).
    await executeWorkflow(stack.temporal, stack.taskQueue, quotaPlanningStart({ weeks: 8, horizonDays: 3 }, `quota-planning-test-${uniq()}`));
    expect(await slotQuotas(upcoming)).toEqual([5, 5, 10, 10]);

    const listed = (await stack.services.quotaPlanning.list(users.admin!)).find((s) => s.sessionId === upcoming);
    expect(listed?.slots.map((s) => s.computed?.quota)).toEqual(computed);

    const cleared = await stack.services.quotaPlanning.clearOverride(users.admin!, upcoming, {});
    expect(cleared.slots.map((s) => s.effectiveQuota)).toEqual(computed.map((q, i) => (i === 3 ? Math.max(q, 2) : q)));
    expect(cleared.slots.every((s) => s.override === null)).toBe(true);
    const [clearedEntry] = await stack.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM audit_log WHERE action = 'quota.override_cleared' AND entity_id = ${upcoming}`;
    expect(clearedEntry?.n).toBe(1);
  });
});
