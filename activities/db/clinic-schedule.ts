/**
 * Brings the dated clinic sessions in line with the outpatient set-up for a window of days: a
 * session for every active weekly schedule of an active expert (created once, idempotent per
 * schedule and date), and none on a closed date — a session already made for a date closed later
 * is removed while nobody has booked it (a booked one stays, and is reported, for staff to handle).
 */
import type { Sql } from '../../db/client.js';
import { datedSessions, type WeeklySession } from '../../domain/clinic-schedule.js';
import { addDays } from '../../domain/schedule.js';

export interface MaterializeResult {
  created: number;
  removed: number;
  /** Sessions on a closed date that keep their bookings. */
  closedWithBookings: string[];
}

export async function materializeClinicSessions(sql: Sql, { firstDate, days }: { firstDate: string; days: number }): Promise<MaterializeResult> {
  const lastDate = addDays(firstDate, days - 1);
  const schedules = await sql<(WeeklySession & { expertName: string; departmentCode: string; totalNumbers: number })[]>`
    SELECT s.id, s.weekday, to_char(s.starts_at, 'HH24:MI') AS "startsAt", to_char(s.ends_at, 'HH24:MI') AS "endsAt",
           to_char(s.registration_opens_at, 'HH24:MI') AS "registrationOpensAt", s.slot_minutes AS "slotMinutes",
           s.appointment_numbers AS "appointmentNumbers", e.name AS "expertName", e.department_code AS "departmentCode",
           s.total_numbers AS "totalNumbers"
    FROM clinic_schedules s JOIN experts e ON e.id = s.expert_id
    WHERE s.active AND e.active`;
  const closures = await sql<{ schedule_id: string; closed_on: string }[]>`
    SELECT schedule_id, closed_on::text FROM clinic_closures WHERE closed_on BETWEEN ${firstDate}::date AND ${lastDate}::date`;
  const closed = new Set(closures.map((c) => `${c.schedule_id} ${c.closed_on}`));
  const byId = new Map(schedules.map((s) => [s.id, s]));
  const result: MaterializeResult = { created: 0, removed: 0, closedWithBookings: [] };

  for (const session of datedSessions(schedules, closed, firstDate, days)) {
    const s = byId.get(session.scheduleId)!;
    await sql.begin(async (tx) => {
      const [row] = await tx<{ id: string }[]>`
        INSERT INTO clinic_sessions (expert_name, department_code, session_date, registration_opens_at, starts_at, ends_at,
                                     slot_minutes, total_numbers, schedule_id)
        VALUES (${s.expertName}, ${s.departmentCode}, ${session.date}, ${session.registrationOpensAt}, ${session.startsAt},
                ${session.endsAt}, ${s.slotMinutes}, ${s.totalNumbers}, ${s.id})
        ON CONFLICT (schedule_id, session_date) DO NOTHING RETURNING id`;
      if (!row) return;
      for (const slot of session.slots) {
        await tx`INSERT INTO clinic_slots (session_id, slot_index, starts_at, ends_at, appointment_quota)
                 VALUES (${row.id}, ${slot.index}, ${slot.startsAt}, ${slot.endsAt}, ${slot.quota})`;
      }
      result.created++;
    });
  }

  for (const c of closures) {
    const [session] = await sql<{ id: string; booked: boolean }[]>`
      SELECT id, EXISTS (SELECT 1 FROM appointments a WHERE a.session_id = s.id) AS booked
      FROM clinic_sessions s WHERE schedule_id = ${c.schedule_id} AND session_date = ${c.closed_on}::date`;
    if (!session) continue;
    if (session.booked) {
      result.closedWithBookings.push(session.id);
      continue;
    }
    await sql`DELETE FROM clinic_sessions WHERE id = ${session.id}`;
    result.removed++;
  }
  return result;
}
