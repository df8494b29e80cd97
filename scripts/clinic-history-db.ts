/**
 * The recorded history of one expert as a {@link ClinicHistory}, for `npm run simulate:clinic`
 * (SIM_EXPERT=<name> [SIM_DEPARTMENT=<code>] with DATABASE_URL): the past sessions' walk-in
 * registration times and the consultations the clinic page recorded (call → next call), i.e. the
 * same data the nightly quota plan learns from. Offsets are minutes from each session's start.
 */
import type { Sql } from '../db/client.js';
import type { ClinicDay, ClinicHistory } from './clinic-history.js';

const MINUTE = 60_000;

export async function loadRecordedHistory(sql: Sql, options: { expertName: string; departmentCode?: string; weeks?: number }): Promise<ClinicHistory> {
  const weeks = options.weeks ?? 8;
  const sessions = await sql<{ id: string; session_date: string; starts_at: Date; ends_at: Date; registration_opens_at: Date; slot_minutes: number; total_numbers: number; appointment_numbers: number }[]>`
    SELECT s.id, s.session_date::text AS session_date, s.starts_at, s.ends_at, s.registration_opens_at, s.slot_minutes, s.total_numbers,
           (SELECT coalesce(sum(appointment_quota), 0)::int FROM clinic_slots WHERE session_id = s.id) AS appointment_numbers
    FROM clinic_sessions s
    WHERE s.expert_name = ${options.expertName} AND (${options.departmentCode ?? null}::text IS NULL OR s.department_code = ${options.departmentCode ?? null})
      AND s.ends_at <= now() AND s.starts_at >= now() - make_interval(weeks => ${weeks}::int)
      AND EXISTS (SELECT 1 FROM consultations c WHERE c.session_id = s.id)
    ORDER BY s.starts_at`;
  if (sessions.length === 0) throw new Error(`没有 ${options.expertName} 近 ${weeks} 周的接诊记录 (no recorded consultations)`);
  const first = sessions[0]!;
  const periodMinutes = Math.round((first.ends_at.getTime() - first.starts_at.getTime()) / MINUTE);
  const slotMinutes = first.slot_minutes;
  const m = Math.max(1, Math.round(periodMinutes / slotMinutes));
  const days: ClinicDay[] = [];
  for (const s of sessions) {
    const start = s.starts_at.getTime();
    const walkIns = await sql<{ registered_at: Date }[]>`SELECT registered_at FROM walk_in_registrations WHERE session_id = ${s.id} ORDER BY registered_at`;
    const consults = await sql<{ started_at: Date; ended_at: Date }[]>`
      SELECT started_at, ended_at FROM consultations WHERE session_id = ${s.id} AND outcome = 'seen' ORDER BY started_at`;
    const seenPerSlot = Array.from({ length: m }, () => 0);
    for (const c of consults) {
      const i = Math.floor((c.started_at.getTime() - start) / MINUTE / slotMinutes);
      if (i >= 0 && i < m) seenPerSlot[i]! += 1;
    }
    days.push({
      date: s.session_date,
      walkInRegistrations: walkIns.map((w) => (w.registered_at.getTime() - start) / MINUTE),
      consultMinutes: consults.map((c) => (c.ended_at.getTime() - c.started_at.getTime()) / MINUTE),
      expertStartMinutes: consults[0] ? Math.max(0, (consults[0].started_at.getTime() - start) / MINUTE) : 0,
      seenPerSlot,
      consultStarts: consults.map((c) => (c.started_at.getTime() - start) / MINUTE),
    });
  }
  return {
    expert: options.expertName,
    sessionStart: first.starts_at.toLocaleTimeString('zh-CN', { timeZone: 'Asia/Shanghai', hour: '2-digit', minute: '2-digit', hour12: false }),
    registrationOpensMinutes: Math.round((first.registration_opens_at.getTime() - first.starts_at.getTime()) / MINUTE),
    periodMinutes: m * slotMinutes,
    slotMinutes,
    totalNumbers: first.total_numbers,
    appointmentNumbers: first.appointment_numbers,
    days,
  };
}
