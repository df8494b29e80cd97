/**
 * Nightly appointment quota planning (分时段预约号源测算) for upcoming clinic sessions.
 *
 * For every session dated tomorrow up to `horizonDays` days ahead (Asia/Shanghai; today's sessions
 * are left as planned the night before, since patients are already booking and arriving for them),
 * the same expert's (expert name + department) sessions that ended within the last `weeks` weeks
 * are the history:
 *
 * - walk-ins NX'ᵢ: each past registration's minute offset from its session's start is placed into
 *   the upcoming session's slot covering that offset (slot offsets measured from the session
 *   start). Registrations made before the session started count toward the first slot; they are
 *   spread evenly over its minutes (in registration order) rather than piled onto minute 0, where
 *   the 4-per-minute cap would hide them. Registrations past the last slot are ignored. Then
 *   {@link estimateWalkIns} samples them with a PRNG seeded from a hash of the session id (+ slot
 *   index), so a re-run on the same data gives the same plan;
 * - capacity NXᵢ from the consultations the clinic page recorded in those past sessions
 *   ({@link slotCapacityFromHistory}): slot minutes ÷ the slot's mean consultation time, or the
 *   observed mean number seen where that is far below (the expert starts late; the ratio is the
 *   row in `quota_capacity_settings`). A slot with no consultation on record falls back to the
 *   settings' default consultation minutes (10), or the caller's `meanConsultMinutes`, and its
 *   basis says `fallback`;
 * - total appointment numbers: the session's current sum of slot quotas at its first computation
 *   (kept in `quota_plans.total_appointments` afterwards, so that raising a quota to its booked
 *   count never makes the total creep up night after night).
 *
 * Before that, the window's dated sessions are brought in line with the outpatient set-up
 * ({@link materializeClinicSessions}: weekly schedules, closed dates).
 *
 * {@link allocateQuotas} distributes the total; the result is stored in `quota_plans.computed` and,
 * unless an administrator's override is in force, written to `clinic_slots.appointment_quota`
 * (never below a slot's `booked` count). Sessions with no history are skipped (left as they are).
 */
import type { Sql } from '../../db/client.js';
import { addDays, shanghaiDate } from '../../domain/schedule.js';
import { materializeClinicSessions } from './clinic-schedule.js';
import { DEFAULT_SAMPLES, allocateQuotas, estimateWalkIns } from '../../domain/quota.js';
import { DEFAULT_FALLBACK_CONSULT_MINUTES, DEFAULT_LATE_START_RATIO, consultationsBySlot, slotCapacityFromHistory, type CapacityRule } from '../../domain/consultation-capacity.js';
import { comparePlans } from '../../domain/plan-comparison.js';
import type { QuotaSlotPlan, RecomputeQuotasInput, RecomputeQuotasResult } from '../../workflows/quota-planning/contracts.js';

export const DEFAULT_MEAN_CONSULT_MINUTES = DEFAULT_FALLBACK_CONSULT_MINUTES;

/** FNV-1a 32-bit hash: the PRNG seed of a session. */
export function seedOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

const MINUTE = 60_000;

/** The capacity rule in force (the `quota_capacity_settings` row; the defaults without it). */
export async function readCapacityRule(sql: Sql): Promise<CapacityRule> {
  const [settings] = await sql<{ late_start_ratio: string; fallback_consult_minutes: string }[]>`
    SELECT late_start_ratio, fallback_consult_minutes FROM quota_capacity_settings WHERE id`;
  return {
    lateStartRatio: settings ? Number(settings.late_start_ratio) : DEFAULT_LATE_START_RATIO,
    fallbackConsultMinutes: settings ? Number(settings.fallback_consult_minutes) : DEFAULT_MEAN_CONSULT_MINUTES,
  };
}

export function createQuotaPlanningActivities({ sql }: { sql: Sql }) {
  return {
    async recomputeQuotas(input: RecomputeQuotasInput): Promise<RecomputeQuotasResult> {
      const weeks = Math.trunc(input.weeks);
      const horizonDays = Math.trunc(input.horizonDays);
      const stored = await readCapacityRule(sql);
      const meanConsultMinutes = input.meanConsultMinutes ?? stored.fallbackConsultMinutes;
      if (!(weeks > 0) || !(horizonDays > 0) || !(meanConsultMinutes > 0)) {
        throw new RangeError(`weeks, horizonDays and meanConsultMinutes must be positive (got ${weeks}, ${horizonDays}, ${meanConsultMinutes})`);
      }
      const rule: CapacityRule = { ...stored, fallbackConsultMinutes: meanConsultMinutes };
      // The sessions of the window follow the outpatient set-up first: new dates from the weekly schedules, closed dates removed.
      await materializeClinicSessions(sql, { firstDate: addDays(shanghaiDate(new Date()), 1), days: horizonDays });
      const sessions = await sql<{ id: string; expert_name: string; department_code: string; starts_at: Date }[]>`
        SELECT id, expert_name, department_code, starts_at FROM clinic_sessions
        WHERE session_date >  (now() AT TIME ZONE 'Asia/Shanghai')::date
          AND session_date <= (now() AT TIME ZONE 'Asia/Shanghai')::date + ${horizonDays}::int
        ORDER BY starts_at, id`;
      const result: RecomputeQuotasResult = { planned: [], skipped: [] };

      for (const session of sessions) {
        const slots = await sql<{ slot_index: number; starts_at: Date; ends_at: Date; appointment_quota: number }[]>`
          SELECT slot_index, starts_at, ends_at, appointment_quota FROM clinic_slots WHERE session_id = ${session.id} ORDER BY slot_index`;
        if (slots.length === 0) {
          result.skipped.push({ sessionId: session.id, reason: 'no slots' });
          continue;
        }
        const past = await sql<{ id: string; starts_at: Date }[]>`
          SELECT id, starts_at FROM clinic_sessions
          WHERE expert_name = ${session.expert_name} AND department_code = ${session.department_code}
            AND id <> ${session.id} AND ends_at <= now() AND starts_at >= now() - make_interval(weeks => ${weeks}::int)
          ORDER BY starts_at, id`;
        if (past.length === 0) {
          result.skipped.push({ sessionId: session.id, reason: 'no history' });
          continue;
        }
        const layout = slots.map((s) => ({
          offset: Math.round((s.starts_at.getTime() - session.starts_at.getTime()) / MINUTE),
          minutes: Math.round((s.ends_at.getTime() - s.starts_at.getTime()) / MINUTE),
        }));
        if (layout.some((l) => l.minutes < 1 || l.offset < 0)) {
          result.skipped.push({ sessionId: session.id, reason: 'slots shorter than a minute or before the session start' });
          continue;
        }
        const registrations = await sql<{ session_id: string; registered_at: Date }[]>`
          SELECT session_id, registered_at FROM walk_in_registrations
          WHERE session_id IN ${sql(past.map((p) => p.id))} ORDER BY registered_at, id`;

        // history[slot][pastSession] = minute offsets within the slot
        const history = layout.map(() => past.map(() => [] as number[]));
        past.forEach((p, pi) => {
          const offsets = registrations
            .filter((r) => r.session_id === p.id)
            .map((r) => (r.registered_at.getTime() - p.starts_at.getTime()) / MINUTE);
          const early = offsets.filter((o) => o < 0);
          const first = layout[0]!;
          early.forEach((_, k) => history[0]![pi]!.push(Math.floor((k * first.minutes) / early.length)));
          for (const o of offsets) {
            if (o < 0) continue;
            const si = layout.findIndex((l) => o >= l.offset && o < l.offset + l.minutes);
            if (si >= 0) history[si]![pi]!.push(o - layout[si]!.offset);
          }
        });

        const baseSeed = seedOf(session.id);
        const walkIns = layout.map((l, i) => estimateWalkIns(history[i]!, l.minutes, { seed: (baseSeed + i) >>> 0 }));
        // Consultations the clinic page recorded in the same past sessions, by the slot they started in.
        const consulted = await sql<{ session_id: string; started_at: Date; ended_at: Date }[]>`
          SELECT session_id, started_at, ended_at FROM consultations
          WHERE session_id IN ${sql(past.map((p) => p.id))} AND outcome = 'seen' ORDER BY started_at, id`;
        const startOf = new Map(past.map((p) => [p.id, p.starts_at.getTime()]));
        const bySlot = consultationsBySlot(
          layout,
          consulted.map((c) => ({ sessionStart: startOf.get(c.session_id)!, startedAt: c.started_at.getTime(), endedAt: c.ended_at.getTime() })),
        );
        const capacities = layout.map((l, i) => slotCapacityFromHistory(l.minutes, { consultMinutes: bySlot[i]!, pastSessions: past.length }, rule));
        const capacity = capacities.map((c) => c.capacity);

        const planned = await sql.begin(async (tx) => {
          const locked = await tx<{ slot_index: number; appointment_quota: number; booked: number }[]>`
            SELECT slot_index, appointment_quota, booked FROM clinic_slots WHERE session_id = ${session.id} ORDER BY slot_index FOR UPDATE`;
          const [plan] = await tx<{ total_appointments: number | null; override: unknown }[]>`
            SELECT total_appointments, override FROM quota_plans WHERE session_id = ${session.id} FOR UPDATE`;
          const total = plan?.total_appointments ?? locked.reduce((sum, s) => sum + s.appointment_quota, 0);
          const quotas = allocateQuotas(capacity, walkIns, total);
          // Current (in force before this run) vs proposed plan, replayed over the same past sessions.
          const simulation = comparePlans({
            slots: layout.map((l) => ({ start: l.offset, end: l.offset + l.minutes })),
            past: past.map((p) => {
              const mine = consulted.filter((c) => c.session_id === p.id);
              return {
                walkIns: registrations.filter((r) => r.session_id === p.id).map((r) => (r.registered_at.getTime() - p.starts_at.getTime()) / MINUTE),
                consultMinutes: mine.map((c) => (c.ended_at.getTime() - c.started_at.getTime()) / MINUTE),
                expertStartMinutes: mine[0] ? Math.max(0, (mine[0].started_at.getTime() - p.starts_at.getTime()) / MINUTE) : 0,
              };
            }),
            current: locked.map((l) => l.appointment_quota),
            proposed: quotas,
            seed: baseSeed,
            fallbackConsultMinutes: meanConsultMinutes,
          });
          const computed: QuotaSlotPlan[] = layout.map((l, i) => ({
            slotIndex: slots[i]!.slot_index,
            walkIns: walkIns[i]!,
            capacity: capacity[i]!,
            quota: quotas[i]!,
            basis: {
              pastSessions: past.length,
              weeks,
              slotMinutes: l.minutes,
              meanConsultMinutes: capacities[i]!.meanConsultMinutes,
              capacitySource: capacities[i]!.source,
              meanSeen: capacities[i]!.meanSeen,
              expectedSeen: capacities[i]!.expected,
              consultations: capacities[i]!.consultations,
              lateStartRatio: rule.lateStartRatio,
              samplesPerSession: DEFAULT_SAMPLES,
              seed: (baseSeed + i) >>> 0,
              totalAppointments: total,
            },
          }));
          await tx`
            INSERT INTO quota_plans (session_id, computed, computed_at, weeks_of_history, total_appointments, simulation)
            VALUES (${session.id}, ${tx.json(computed as never)}, now(), ${weeks}, ${total}, ${tx.json(simulation as never)})
            ON CONFLICT (session_id) DO UPDATE
              SET computed = EXCLUDED.computed, computed_at = EXCLUDED.computed_at, simulation = EXCLUDED.simulation,
                  weeks_of_history = EXCLUDED.weeks_of_history, total_appointments = EXCLUDED.total_appointments`;
          const overridden = plan !== undefined && plan.override !== null;
          if (!overridden) {
            for (const c of computed) {
              await tx`
                UPDATE clinic_slots SET appointment_quota = GREATEST(${c.quota}::int, booked)
                WHERE session_id = ${session.id} AND slot_index = ${c.slotIndex}`;
            }
          }
          return { sessionId: session.id, quotas, applied: !overridden };
        });
        result.planned.push(planned);
      }
      return result;
    },
  };
}
