/**
 * Outpatient set-up (出诊安排), administered: experts (doctor, department, title), their weekly clinic
 * sessions (weekday, 上午/下午, hours, registration opening, slot length, total and bookable numbers)
 * and the dates a session does not run. The nightly quota planning turns these into dated sessions
 * (activities/db/clinic-schedule.ts). Admins only; every change is audited.
 */
import { z } from 'zod';
import type { Sql } from '../db/client.js';
import { administers, type Principal } from '../domain/access.js';
import type { HalfDay } from '../domain/clinic-schedule.js';
import type { AuditService, RequestMeta } from './audit.js';
import { forbidden, notFound, ServiceError, ValidationError } from './errors.js';
import { parseOrThrow } from './validation.js';

export interface Expert {
  id: string;
  name: string;
  departmentCode: string;
  departmentName: string;
  title: string;
  active: boolean;
}

export interface ClinicSchedule {
  id: string;
  expertId: string;
  weekday: number;
  halfDay: HalfDay;
  startsAt: string;
  endsAt: string;
  registrationOpensAt: string;
  slotMinutes: number;
  totalNumbers: number;
  appointmentNumbers: number;
  active: boolean;
  /** Upcoming dates it does not run, with the reason. */
  closures: { date: string; reason: string }[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const time = (label: string) =>
  z.string({ required_error: `请填写${label}`, invalid_type_error: `请填写${label}` }).regex(/^([01]\d|2[0-3]):[0-5]\d$/, `${label}格式为 HH:MM`);
const int = (label: string, min: number, max: number) =>
  z.coerce.number({ invalid_type_error: `${label}须为整数` }).int(`${label}须为整数`).min(min, `${label}至少 ${min}`).max(max, `${label}最多 ${max}`);

const expertSchema = z.object({
  name: z.string({ required_error: '请填写医生姓名' }).trim().min(1, '请填写医生姓名').max(32, '姓名最多 32 字'),
  departmentCode: z.string({ required_error: '请选择科室' }).trim().min(1, '请选择科室'),
  title: z.string({ required_error: '请填写职称' }).trim().min(1, '请填写职称').max(32, '职称最多 32 字'),
  active: z.boolean().default(true),
});

const scheduleSchema = z
  .object({
    expertId: z.string({ required_error: '请选择专家' }).regex(UUID, '请选择专家'),
    weekday: int('星期', 1, 7),
    halfDay: z.enum(['am', 'pm'], { errorMap: () => ({ message: '须为 am（上午）或 pm（下午）' }) }),
    startsAt: time('开诊时间'),
    endsAt: time('停诊时间'),
    registrationOpensAt: time('开始挂号时间'),
    slotMinutes: int('每段分钟数', 5, 240),
    totalNumbers: int('总号数', 1, 500),
    appointmentNumbers: int('预约号数', 0, 500),
    active: z.boolean().default(true),
  })
  .superRefine((s, ctx) => {
    if (s.endsAt <= s.startsAt) ctx.addIssue({ code: 'custom', path: ['endsAt'], message: '停诊时间须晚于开诊时间' });
    if (s.registrationOpensAt > s.startsAt) ctx.addIssue({ code: 'custom', path: ['registrationOpensAt'], message: '开始挂号不能晚于开诊' });
    if ((s.halfDay === 'am') !== s.startsAt < '12:00') ctx.addIssue({ code: 'custom', path: ['startsAt'], message: s.halfDay === 'am' ? '上午出诊须在 12:00 前开诊' : '下午出诊须在 12:00 及以后开诊' });
    if (s.appointmentNumbers > s.totalNumbers) ctx.addIssue({ code: 'custom', path: ['appointmentNumbers'], message: '预约号数不能多于总号数' });
  });

const closureSchema = z.object({
  scheduleId: z.string({ required_error: '请选择出诊' }).regex(UUID, '请选择出诊'),
  date: z.string({ required_error: '请填写日期' }).regex(/^\d{4}-\d{2}-\d{2}$/, '日期格式为 YYYY-MM-DD'),
  reason: z.string({ required_error: '请填写停诊原因' }).trim().min(2, '请填写停诊原因（如 节假日、休假）').max(100, '原因最多 100 字'),
});

export function createOutpatientSetupService({ sql, audit }: { sql: Sql; audit: AuditService }) {
  const mustAdminister = (user: Principal) => {
    if (!administers(user.role)) throw forbidden('仅管理员可设置出诊');
  };

  const service = {
    async experts(user: Principal): Promise<Expert[]> {
      mustAdminister(user);
      return sql<Expert[]>`
        SELECT e.id, e.name, e.department_code AS "departmentCode", d.name AS "departmentName", e.title, e.active
        FROM experts e JOIN departments d ON d.code = e.department_code ORDER BY e.active DESC, d.name, e.name`;
    },

    /** Weekly sessions, with their closed dates from today on. */
    async schedules(user: Principal): Promise<ClinicSchedule[]> {
      mustAdminister(user);
      return sql<ClinicSchedule[]>`
        SELECT s.id, s.expert_id AS "expertId", s.weekday, s.half_day AS "halfDay", to_char(s.starts_at, 'HH24:MI') AS "startsAt",
               to_char(s.ends_at, 'HH24:MI') AS "endsAt", to_char(s.registration_opens_at, 'HH24:MI') AS "registrationOpensAt",
               s.slot_minutes AS "slotMinutes", s.total_numbers AS "totalNumbers", s.appointment_numbers AS "appointmentNumbers", s.active,
               coalesce((SELECT json_agg(json_build_object('date', c.closed_on::text, 'reason', c.reason) ORDER BY c.closed_on)
                         FROM clinic_closures c WHERE c.schedule_id = s.id AND c.closed_on >= (now() AT TIME ZONE 'Asia/Shanghai')::date), '[]') AS closures
        FROM clinic_schedules s ORDER BY s.weekday, s.half_day, s.starts_at`;
    },

    /** Creates an expert, or changes one (`id`). 409 when the department already has a doctor of that name. */
    async saveExpert(user: Principal, input: unknown, meta: RequestMeta, id?: string): Promise<Expert> {
      mustAdminister(user);
      const e = parseOrThrow(expertSchema, input ?? {});
      const [dept] = await sql`SELECT 1 FROM departments WHERE code = ${e.departmentCode}`;
      if (!dept) throw new ValidationError([{ field: 'departmentCode', message: '科室不存在' }]);
      if (id !== undefined && !UUID.test(id)) throw notFound('专家不存在');
      const [row] = await sql<{ id: string }[]>`
        ${
          id === undefined
            ? sql`INSERT INTO experts (name, department_code, title, active) VALUES (${e.name}, ${e.departmentCode}, ${e.title}, ${e.active})
                  ON CONFLICT DO NOTHING RETURNING id`
            : sql`UPDATE experts SET name = ${e.name}, department_code = ${e.departmentCode}, title = ${e.title}, active = ${e.active}, updated_at = now()
                  WHERE id = ${id} RETURNING id`
        }`.catch((err: { code?: string }) => {
        if (err.code === '23505') return [];
        throw err;
      });
      if (!row) {
        if (id === undefined || (await sql`SELECT 1 FROM experts WHERE id = ${id}`).length) {
          throw new ServiceError(409, 'expert_exists', `${e.name} 已在该科室`, { problems: [{ field: 'name', message: '该科室已有同名专家' }] });
        }
        throw notFound('专家不存在');
      }
      await audit.record({ actor: user, action: id ? 'expert.update' : 'expert.create', entityType: 'expert', entityId: row.id, details: { ...e } }, meta);
      return (await service.experts(user)).find((x) => x.id === row.id)!;
    },

    /** Creates a weekly session, or changes one (`id`). 409 when the expert already sees patients that half-day. */
    async saveSchedule(user: Principal, input: unknown, meta: RequestMeta, id?: string): Promise<ClinicSchedule> {
      mustAdminister(user);
      const s = parseOrThrow(scheduleSchema, input ?? {});
      const [expert] = await sql`SELECT 1 FROM experts WHERE id = ${s.expertId}`;
      if (!expert) throw new ValidationError([{ field: 'expertId', message: '专家不存在' }]);
      if (id !== undefined && !UUID.test(id)) throw notFound('出诊不存在');
      const rows = await sql<{ id: string }[]>`
        ${
          id === undefined
            ? sql`INSERT INTO clinic_schedules (expert_id, weekday, half_day, starts_at, ends_at, registration_opens_at, slot_minutes,
                                                total_numbers, appointment_numbers, active)
                  VALUES (${s.expertId}, ${s.weekday}, ${s.halfDay}, ${s.startsAt}, ${s.endsAt}, ${s.registrationOpensAt}, ${s.slotMinutes},
                          ${s.totalNumbers}, ${s.appointmentNumbers}, ${s.active})
                  ON CONFLICT DO NOTHING RETURNING id`
            : sql`UPDATE clinic_schedules SET expert_id = ${s.expertId}, weekday = ${s.weekday}, half_day = ${s.halfDay}, starts_at = ${s.startsAt},
                    ends_at = ${s.endsAt}, registration_opens_at = ${s.registrationOpensAt}, slot_minutes = ${s.slotMinutes},
                    total_numbers = ${s.totalNumbers}, appointment_numbers = ${s.appointmentNumbers}, active = ${s.active}, updated_at = now()
                  WHERE id = ${id} RETURNING id`
        }`.catch((err: { code?: string }) => {
        if (err.code === '23505') return [];
        throw err;
      });
      const [row] = rows;
      if (!row) {
        if (id !== undefined && !(await sql`SELECT 1 FROM clinic_schedules WHERE id = ${id}`).length) throw notFound('出诊不存在');
        throw new ServiceError(409, 'schedule_exists', '该专家在这个半天已有出诊', { problems: [{ field: 'weekday', message: '该专家在这个半天已有出诊' }] });
      }
      await audit.record({ actor: user, action: id ? 'clinic_schedule.update' : 'clinic_schedule.create', entityType: 'clinic_schedule', entityId: row.id, details: { ...s } }, meta);
      return (await service.schedules(user)).find((x) => x.id === row.id)!;
    },

    /** A date the session does not run (holiday, leave); the next nightly plan removes that day's session if nobody booked it. */
    async addClosure(user: Principal, input: unknown, meta: RequestMeta): Promise<void> {
      mustAdminister(user);
      const c = parseOrThrow(closureSchema, input ?? {});
      if (Number.isNaN(Date.parse(`${c.date}T00:00:00Z`))) throw new ValidationError([{ field: 'date', message: '日期无效' }]);
      const [schedule] = await sql`SELECT 1 FROM clinic_schedules WHERE id = ${c.scheduleId}`;
      if (!schedule) throw new ValidationError([{ field: 'scheduleId', message: '出诊不存在' }]);
      await sql`INSERT INTO clinic_closures (schedule_id, closed_on, reason, created_by) VALUES (${c.scheduleId}, ${c.date}, ${c.reason}, ${user.id})
                ON CONFLICT (schedule_id, closed_on) DO UPDATE SET reason = EXCLUDED.reason`;
      await audit.record({ actor: user, action: 'clinic_schedule.close', entityType: 'clinic_schedule', entityId: c.scheduleId, details: { date: c.date, reason: c.reason } }, meta);
    },

    async removeClosure(user: Principal, scheduleId: string, date: string, meta: RequestMeta): Promise<void> {
      mustAdminister(user);
      if (!UUID.test(scheduleId) || !/^\d{4}-\d{2}-\d{2}$/.test(date)) throw notFound('停诊日期不存在');
      const deleted = await sql`DELETE FROM clinic_closures WHERE schedule_id = ${scheduleId} AND closed_on = ${date}::date RETURNING 1`;
      if (!deleted.length) throw notFound('停诊日期不存在');
      await audit.record({ actor: user, action: 'clinic_schedule.reopen', entityType: 'clinic_schedule', entityId: scheduleId, details: { date } }, meta);
    },
  };
  return service;
}

export type OutpatientSetupService = ReturnType<typeof createOutpatientSetupService>;
