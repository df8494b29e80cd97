/**
 * Appointment quota plans as administrators see and override them (/admin/quotas). The nightly
 * quotaPlanningWorkflow computes a plan per upcoming clinic session; an administrator may set the
 * per-slot quotas by hand (with a reason), which the nightly run then leaves alone, and may clear
 * the override to return to the computed quotas. `clinic_slots.appointment_quota` is always the
 * effective quota, and never below a slot's booked count. Every override and clearing is audited
 * (`quota.override`, `quota.override_cleared`) with the quotas before and after.
 */
import type { Sql } from '../db/client.js';
import { administers, type Principal } from '../domain/access.js';
import type { QuotaSlotPlan } from '../workflows/quota-planning/contracts.js';
import type { PlanFigures } from '../domain/plan-comparison.js';
import type { AuditService, RequestMeta } from './audit.js';
import { forbidden, notFound, ServiceError, ValidationError, type FieldProblem } from './errors.js';

export interface QuotaSlotView {
  slotIndex: number;
  startsAt: string;
  endsAt: string;
  booked: number;
  /** clinic_slots.appointment_quota: what booking uses now. */
  effectiveQuota: number;
  /** The nightly computation for this slot, if any. */
  computed: QuotaSlotPlan | null;
  /** The administrator's quota for this slot, when an override is in force. */
  override: number | null;
}

export interface QuotaSessionView {
  sessionId: string;
  expertName: string;
  departmentCode: string;
  departmentName: string;
  sessionDate: string;
  startsAt: string;
  computedAt: string | null;
  weeksOfHistory: number | null;
  totalAppointments: number | null;
  overriddenBy: string | null;
  overrideReason: string | null;
  overriddenAt: string | null;
  /** The current and the proposed plan simulated over the expert's recorded sessions (nightly). */
  simulation: { current: PlanFigures; proposed: PlanFigures; sessions: number } | null;
  slots: QuotaSlotView[];
}

export interface QuotaOverrideInput {
  quotas: unknown;
  reason: unknown;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DEFAULT_LIST_DAYS = 14;

export function createQuotaPlanningService({ sql, audit }: { sql: Sql; audit: AuditService }) {
  function requireAdmin(user: Principal) {
    if (!administers(user.role)) throw forbidden('仅管理员可调整预约号源');
  }

  async function load(ids: string[] | null, days: number): Promise<QuotaSessionView[]> {
    const sessions = await sql<
      {
        id: string;
        expert_name: string;
        department_code: string;
        department_name: string;
        session_date: string;
        starts_at: Date;
        computed: QuotaSlotPlan[] | null;
        computed_at: Date | null;
        weeks_of_history: number | null;
        total_appointments: number | null;
        override: number[] | null;
        overridden_by: string | null;
        override_reason: string | null;
        overridden_at: Date | null;
        simulation: QuotaSessionView['simulation'];
      }[]
    >`
      SELECT s.id, s.expert_name, s.department_code, d.name AS department_name, s.session_date::text AS session_date, s.starts_at,
             q.computed, q.computed_at, q.weeks_of_history, q.total_appointments, q.override,
             u.username AS overridden_by, q.override_reason, q.overridden_at, q.simulation
      FROM clinic_sessions s
      JOIN departments d ON d.code = s.department_code
      LEFT JOIN quota_plans q ON q.session_id = s.id
      LEFT JOIN users u ON u.id = q.overridden_by
      WHERE ${
        ids
          ? sql`s.id IN ${sql(ids)}`
          : sql`s.session_date >= (now() AT TIME ZONE 'Asia/Shanghai')::date
                AND s.session_date <= (now() AT TIME ZONE 'Asia/Shanghai')::date + ${days}::int`
      }
      ORDER BY s.starts_at, s.expert_name, s.id`;
    if (sessions.length === 0) return [];
    const slots = await sql<{ session_id: string; slot_index: number; starts_at: Date; ends_at: Date; booked: number; appointment_quota: number }[]>`
      SELECT session_id, slot_index, starts_at, ends_at, booked, appointment_quota FROM clinic_slots
      WHERE session_id IN ${sql(sessions.map((s) => s.id))} ORDER BY session_id, slot_index`;
    return sessions.map((s) => ({
      sessionId: s.id,
      expertName: s.expert_name,
      departmentCode: s.department_code,
      departmentName: s.department_name,
      sessionDate: s.session_date,
      startsAt: s.starts_at.toISOString(),
      computedAt: s.computed_at?.toISOString() ?? null,
      weeksOfHistory: s.weeks_of_history,
      totalAppointments: s.total_appointments,
      overriddenBy: s.overridden_by,
      overrideReason: s.override_reason,
      overriddenAt: s.overridden_at?.toISOString() ?? null,
      simulation: s.simulation ?? null,
      slots: slots
        .filter((sl) => sl.session_id === s.id)
        .map((sl, i) => ({
          slotIndex: sl.slot_index,
          startsAt: sl.starts_at.toISOString(),
          endsAt: sl.ends_at.toISOString(),
          booked: sl.booked,
          effectiveQuota: sl.appointment_quota,
          computed: s.computed?.find((c) => c.slotIndex === sl.slot_index) ?? null,
          override: s.override ? (s.override[i] ?? null) : null,
        })),
    }));
  }

  async function one(sessionId: string): Promise<QuotaSessionView> {
    if (!UUID.test(sessionId)) throw notFound('出诊场次不存在');
    const [view] = await load([sessionId], 0);
    if (!view) throw notFound('出诊场次不存在');
    return view;
  }

  /** Writes per-slot quotas (slot order) and returns the quotas before; refuses any below booked. */
  async function apply(tx: Sql, sessionId: string, quotas: number[]): Promise<number[]> {
    const rows = await tx<{ slot_index: number; appointment_quota: number; booked: number }[]>`
      SELECT slot_index, appointment_quota, booked FROM clinic_slots WHERE session_id = ${sessionId} ORDER BY slot_index FOR UPDATE`;
    const problems: FieldProblem[] = [];
    rows.forEach((r, i) => {
      const q = quotas[i] ?? 0;
      if (q < r.booked) problems.push({ field: `quotas.${i}`, message: `第 ${i + 1} 时段已预约 ${r.booked} 个,号源不能少于已预约数` });
    });
    if (problems.length) throw new ValidationError(problems);
    for (const [i, r] of rows.entries()) {
      await tx`UPDATE clinic_slots SET appointment_quota = ${quotas[i] ?? 0} WHERE session_id = ${sessionId} AND slot_index = ${r.slot_index}`;
    }
    return rows.map((r) => r.appointment_quota);
  }

  return {
    /** Upcoming sessions (today and the next `days` days, Asia/Shanghai) with their plans. */
    async list(user: Principal, days = DEFAULT_LIST_DAYS): Promise<QuotaSessionView[]> {
      requireAdmin(user);
      return load(null, days);
    },

    async session(user: Principal, sessionId: string): Promise<QuotaSessionView> {
      requireAdmin(user);
      return one(sessionId);
    },

    /** Sets the session's per-slot quotas by hand; the nightly computation then leaves them alone. */
    async override(user: Principal, sessionId: string, input: QuotaOverrideInput, meta: RequestMeta): Promise<QuotaSessionView> {
      requireAdmin(user);
      const view = await one(sessionId);
      const problems: FieldProblem[] = [];
      const reason = typeof input.reason === 'string' ? input.reason.trim() : '';
      if (!reason) problems.push({ field: 'reason', message: '请填写调整原因' });
      else if (reason.length > 500) problems.push({ field: 'reason', message: '调整原因最长 500 个字符' });
      const quotas: number[] = [];
      if (!Array.isArray(input.quotas) || input.quotas.length !== view.slots.length) {
        problems.push({ field: 'quotas', message: `须为每个时段(共 ${view.slots.length} 个)填写号源数` });
      } else {
        input.quotas.forEach((q: unknown, i) => {
          const n = typeof q === 'string' && /^\s*\d+\s*$/.test(q) ? Number(q) : q;
          if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 10_000) {
            problems.push({ field: `quotas.${i}`, message: `第 ${i + 1} 时段号源须为 0 或正整数` });
          } else quotas.push(n);
        });
      }
      if (problems.length) throw new ValidationError(problems);
      const before = await sql.begin(async (tx) => {
        const previous = await apply(tx as unknown as Sql, sessionId, quotas);
        await tx`
          INSERT INTO quota_plans (session_id, override, overridden_by, override_reason, overridden_at)
          VALUES (${sessionId}, ${tx.json(quotas)}, ${user.id}, ${reason}, now())
          ON CONFLICT (session_id) DO UPDATE
            SET override = EXCLUDED.override, overridden_by = EXCLUDED.overridden_by,
                override_reason = EXCLUDED.override_reason, overridden_at = EXCLUDED.overridden_at`;
        return previous;
      });
      await audit.record(
        { actor: user, action: 'quota.override', entityType: 'clinic_session', entityId: sessionId, details: { before, after: quotas, reason } },
        meta,
      );
      return one(sessionId);
    },

    /** Drops the override: the computed quotas apply again (each at least the slot's booked count). */
    async clearOverride(user: Principal, sessionId: string, meta: RequestMeta): Promise<QuotaSessionView> {
      requireAdmin(user);
      const view = await one(sessionId);
      if (view.slots.every((s) => s.override === null)) throw new ServiceError(409, 'no_override', '该场次没有人工调整的号源');
      const [after, before] = await sql.begin(async (tx) => {
        let restored: number[] | null = null;
        if (view.slots.every((s) => s.computed !== null)) {
          const rows = await tx<{ booked: number }[]>`
            SELECT booked FROM clinic_slots WHERE session_id = ${sessionId} ORDER BY slot_index FOR UPDATE`;
          restored = view.slots.map((s, i) => Math.max(s.computed!.quota, rows[i]?.booked ?? 0));
        }
        // Without a computed plan the quotas stay as they are until the next nightly run.
        const previous = restored ? await apply(tx as unknown as Sql, sessionId, restored) : view.slots.map((s) => s.effectiveQuota);
        await tx`
          UPDATE quota_plans SET override = NULL, overridden_by = NULL, override_reason = NULL, overridden_at = NULL
          WHERE session_id = ${sessionId}`;
        return [restored ?? previous, previous] as const;
      });
      await audit.record(
        { actor: user, action: 'quota.override_cleared', entityType: 'clinic_session', entityId: sessionId, details: { before, after } },
        meta,
      );
      return one(sessionId);
    },
  };
}

export type QuotaPlanningService = ReturnType<typeof createQuotaPlanningService>;
