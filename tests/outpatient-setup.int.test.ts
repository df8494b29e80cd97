/**
 * Outpatient set-up over REST: experts, weekly clinic sessions and closed dates (admins only, with
 * field errors), and the nightly quota planning following them: a dated session with its slots for
 * each scheduled day, none on a closed date, and a session removed when its date is closed later.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQuotaPlanningActivities } from '../activities/db/quota-planning.js';
import { isoWeekday } from '../domain/clinic-schedule.js';
import { addDays, shanghaiDate } from '../domain/schedule.js';
import { createTestOrg, signIn, type TestOrg } from './support/org.js';
import { startStack, type TestStack } from './support/stack.js';

const send = (stack: TestStack, method: string, path: string, cookie: string, body?: unknown) =>
  stack.app.request(path, { method, headers: { cookie, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });

describe('outpatient set-up', () => {
  let stack: TestStack;
  let org: TestOrg;
  let admin: string;
  const tomorrow = addDays(shanghaiDate(new Date()), 1);
  const dayAfter = addDays(tomorrow, 1);
  const schedules: Record<'tomorrow' | 'dayAfter', string> = { tomorrow: '', dayAfter: '' };
  beforeAll(async () => {
    stack = await startStack();
    org = await createTestOrg(stack.sql);
    admin = await signIn(stack.app, org.users.admin.username);
  });
  afterAll(() => stack.stop());

  const sessionsOf = (scheduleId: string) =>
    stack.sql<{ session_date: string; starts: string; slots: number; quota: number; total_numbers: number }[]>`
      SELECT s.session_date::text, to_char(s.starts_at AT TIME ZONE 'Asia/Shanghai', 'HH24:MI') AS starts, s.total_numbers,
             (SELECT count(*)::int FROM clinic_slots c WHERE c.session_id = s.id) AS slots,
             (SELECT sum(appointment_quota)::int FROM clinic_slots c WHERE c.session_id = s.id) AS quota
      FROM clinic_sessions s WHERE s.schedule_id = ${scheduleId} ORDER BY s.session_date`;

  it('sets up an expert and weekly sessions for admins only, naming the wrong field', async () => {
    const created = await send(stack, 'POST', '/api/admin/experts', admin, { name: '周主任', departmentCode: org.deptA, title: '主任医师' });
    expect(created.status).toBe(201);
    const { expert } = (await created.json()) as { expert: { id: string; departmentName: string } };
    expect(expert.departmentName).toContain('骨科');
    expect((await send(stack, 'POST', '/api/admin/experts', admin, { name: '周主任', departmentCode: org.deptA, title: '主任医师' })).status).toBe(409);
    const head = await signIn(stack.app, org.users.headA.username);
    expect((await send(stack, 'POST', '/api/admin/experts', head, { name: '吴医生', departmentCode: org.deptA, title: '主治医师' })).status).toBe(403);

    const morning = { expertId: expert.id, halfDay: 'am', startsAt: '08:00', endsAt: '12:00', registrationOpensAt: '07:00', slotMinutes: 60, totalNumbers: 30, appointmentNumbers: 12 };
    const bad = await send(stack, 'POST', '/api/admin/clinic-schedules', admin, { ...morning, weekday: 8, slotMinutes: 2 });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { problems: { field: string }[] }).problems.map((p) => p.field).sort()).toEqual(['slotMinutes', 'weekday']);
    const inconsistent = await send(stack, 'POST', '/api/admin/clinic-schedules', admin, { ...morning, weekday: 1, startsAt: '13:30', endsAt: '12:00', appointmentNumbers: 40 });
    expect(((await inconsistent.json()) as { problems: { field: string }[] }).problems.map((p) => p.field).sort()).toEqual(['appointmentNumbers', 'endsAt', 'startsAt']);

    for (const [key, date] of [['tomorrow', tomorrow], ['dayAfter', dayAfter]] as const) {
      const res = await send(stack, 'POST', '/api/admin/clinic-schedules', admin, { ...morning, weekday: isoWeekday(date) });
      expect(res.status).toBe(201);
      schedules[key] = ((await res.json()) as { schedule: { id: string } }).schedule.id;
    }
    expect((await send(stack, 'POST', '/api/admin/clinic-schedules', admin, { ...morning, weekday: isoWeekday(tomorrow) })).status).toBe(409);
  });

  it('has the nightly plan make the scheduled sessions and skip closed dates', async () => {
    const closed = await send(stack, 'POST', `/api/admin/clinic-schedules/${schedules.dayAfter}/closures`, admin, { date: dayAfter, reason: '专家外出开会' });
    expect(closed.status).toBe(201);
    expect((await send(stack, 'POST', `/api/admin/clinic-schedules/${schedules.dayAfter}/closures`, admin, { date: 'soon', reason: '' })).status).toBe(400);

    const plan = createQuotaPlanningActivities({ sql: stack.appSql });
    await plan.recomputeQuotas({ weeks: 8, horizonDays: 2 });
    expect(await sessionsOf(schedules.tomorrow)).toEqual([{ session_date: tomorrow, starts: '08:00', total_numbers: 30, slots: 4, quota: 12 }]);
    expect(await sessionsOf(schedules.dayAfter)).toEqual([]);
    // Running again changes nothing (one session per schedule and date).
    await plan.recomputeQuotas({ weeks: 8, horizonDays: 2 });
    expect(await sessionsOf(schedules.tomorrow)).toHaveLength(1);

    // Closed after the session was made, nobody booked: the next run removes it; reopened, it comes back.
    await send(stack, 'POST', `/api/admin/clinic-schedules/${schedules.tomorrow}/closures`, admin, { date: tomorrow, reason: '休假' });
    await plan.recomputeQuotas({ weeks: 8, horizonDays: 2 });
    expect(await sessionsOf(schedules.tomorrow)).toEqual([]);
    expect((await send(stack, 'DELETE', `/api/admin/clinic-schedules/${schedules.tomorrow}/closures/${tomorrow}`, admin)).status).toBe(200);
    await plan.recomputeQuotas({ weeks: 8, horizonDays: 2 });
    expect(await sessionsOf(schedules.tomorrow)).toHaveLength(1);

    const listed = (await (await send(stack, 'GET', '/api/admin/clinic-schedules', admin)).json()) as { items: { id: string; closures: unknown[] }[] };
    expect(listed.items.find((s) => s.id === schedules.dayAfter)?.closures).toEqual([{ date: dayAfter, reason: '专家外出开会' }]);
  });
});
