/**
 * The demo clinic's history (门诊历史): each demo expert's past morning sessions with their walk-in
 * registrations and — for the experts whose clinic uses the clinic page — the consultations it would
 * have recorded, in the same tables and columns (`consultations`, `clinic_calls`, the walk-in and
 * appointment rows' call and seen times). The nightly quota plan learns each slot's capacity from
 * them (domain/consultation-capacity.ts):
 *
 * - 王主任 (心内科) does ward rounds before clinic and starts 35–55 minutes late on most days, so
 *   the first hour sees far fewer patients than 60 ÷ his mean consultation time: the plan uses the
 *   observed number (`observed_late_start`);
 * - 李主任 (内分泌科) starts on time with longer consultations: slot minutes ÷ mean (`history`);
 * - 陈主任 (骨科) has registrations but no clinic-page records yet: the plan falls back to the
 *   default consultation time (`fallback`), and the quota page says so.
 *
 * Deterministic: the days come from {@link generateClinicHistory} (mulberry32) with each expert's
 * seed and profile, and each day is replayed through the clinic simulation (domain/plan-comparison.ts)
 * under the session's quotas, which gives every patient's call and end. Idempotent: an expert who
 * already has sessions gets none added, and a past session is recorded once (only while it has no
 * consultations and no appointments, so a session the demo booked through the workflows is left alone).
 */
import type { Sql } from '../db/client.js';
import { makeSlots } from '../domain/clinic-sim.js';
import { DEFAULT_FALLBACK_CONSULT_MINUTES } from '../domain/consultation-capacity.js';
import { replaySession } from '../domain/plan-comparison.js';
import { slotCount } from '../domain/quota.js';
import { addDays, shanghaiDate, shanghaiTime } from '../domain/schedule.js';
import { ARRIVAL_NOTES, type Arrival } from '../workflows/appointment/labels.js';
import { generateClinicHistory, type ClinicProfile } from './clinic-history.js';

export interface DemoClinicExpert {
  name: string;
  departmentCode: string;
  /** In the history's ticket numbers (W<date><code>-<nn>, AP<date><code><slot><nn>), unique per expert. */
  code: string;
  /** Seed of the expert's generated history. */
  seed: number;
  profile: ClinicProfile;
  /** False: the expert's clinic does not use the clinic page yet (registrations only, no consultations). */
  recordsConsultations: boolean;
}

export const DEMO_CLINIC_EXPERTS: readonly DemoClinicExpert[] = [
  {
    name: '王主任',
    code: 'WANG',
    departmentCode: 'XNK',
    seed: 20250301,
    profile: { expert: '心内科 王主任 (demo)', consultMeanMinutes: 9, consultSdMinutes: 3, lateShare: 0.85, lateMinutes: [35, 55] },
    recordsConsultations: true,
  },
  {
    name: '李主任',
    code: 'LI',
    departmentCode: 'NFM',
    seed: 20250302,
    profile: { expert: '内分泌科 李主任 (demo)', consultMeanMinutes: 11, consultSdMinutes: 3.5, lateShare: 0.05, lateMinutes: [5, 15] },
    recordsConsultations: true,
  },
  {
    name: '陈主任',
    code: 'CHEN',
    departmentCode: 'GK',
    seed: 20250303,
    profile: { expert: '骨科 陈主任 (demo)' },
    recordsConsultations: false,
  },
];

/** The demo expert who starts late after ward rounds (also `npm run simulate:clinic`'s default history). */
export const LATE_STARTING_DEMO_EXPERT: DemoClinicExpert = DEMO_CLINIC_EXPERTS[0]!;

/** Past working days of history per expert (6 weeks, inside the nightly plan's 8-week window). */
export const DEMO_CLINIC_DAYS = 30;
/** Per-slot appointment quotas of the past sessions and of a new upcoming session: the hospital's current plan (all in the first hour). */
export const DEMO_CURRENT_PLAN = [12, 0, 0, 0];
const SLOT_MINUTES = 60;
const PERIOD_MINUTES = 240;
const MINUTE = 60_000;

const isWeekend = (date: string) => [0, 6].includes(new Date(`${date}T00:00:00Z`).getUTCDay());

/** A session 08:00–12:00 (registration from 07:00) in four one-hour slots with the given quotas. */
export async function createDemoSession(sql: Sql, expert: DemoClinicExpert, date: string, quotas: readonly number[]): Promise<string> {
  const [session] = await sql<{ id: string }[]>`
    INSERT INTO clinic_sessions (expert_name, department_code, session_date, registration_opens_at, starts_at, ends_at, slot_minutes)
    VALUES (${expert.name}, ${expert.departmentCode}, ${date}, ${shanghaiTime(date, 7)}, ${shanghaiTime(date, 8)}, ${shanghaiTime(date, 12)}, ${SLOT_MINUTES})
    RETURNING id`;
  for (let i = 0; i < slotCount(PERIOD_MINUTES, SLOT_MINUTES); i++) {
    await sql`INSERT INTO clinic_slots (session_id, slot_index, starts_at, ends_at, appointment_quota)
              VALUES (${session!.id}, ${i}, ${shanghaiTime(date, 8 + i)}, ${shanghaiTime(date, 9 + i)}, ${quotas[i] ?? 0})`;
  }
  return session!.id;
}

/**
 * Creates the expert's past sessions (the last {@link DEMO_CLINIC_DAYS} working days before `today`)
 * with the generated walk-in registrations, unless the expert has sessions already; returns how many.
 */
async function seedPastSessions(sql: Sql, expert: DemoClinicExpert, today: string): Promise<number> {
  const [existing] = await sql`SELECT 1 FROM clinic_sessions WHERE expert_name = ${expert.name} AND department_code = ${expert.departmentCode} LIMIT 1`;
  if (existing) return 0;
  const history = generateClinicHistory({ seed: expert.seed, days: DEMO_CLINIC_DAYS, profile: expert.profile });
  // Newest first: history.days[k] is the k-th working day before today.
  let day = today;
  for (const past of history.days) {
    do day = addDays(day, -1);
    while (isWeekend(day));
    await sql.begin(async (tx) => {
      const sessionId = await createDemoSession(tx as unknown as Sql, expert, day, DEMO_CURRENT_PLAN);
      const start = shanghaiTime(day, 8).getTime();
      const rows = past.walkInRegistrations.map((minutes, i) => ({
        session_id: sessionId,
        number: `W${day.replaceAll('-', '')}${expert.code}-${String(i + 1).padStart(2, '0')}`,
        registered_at: new Date(start + Math.round(minutes * MINUTE)),
        status: expert.recordsConsultations ? 'waiting' : 'seen',
      }));
      if (rows.length > 0) await tx`INSERT INTO walk_in_registrations ${tx(rows)}`;
    });
  }
  return history.days.length;
}

/**
 * Records the clinic page's data for the expert's past sessions that have none yet: the k-th newest
 * such session replays the generated history's k-th day (the expert's start and consultation
 * lengths) with the session's own walk-in registrations and quotas. Returns the sessions recorded.
 */
async function recordPastConsultations(sql: Sql, expert: DemoClinicExpert, patients: readonly { id: string }[]): Promise<number> {
  const sessions = await sql<{ id: string; session_date: string; starts_at: Date }[]>`
    SELECT s.id, s.session_date::text AS session_date, s.starts_at FROM clinic_sessions s
    WHERE s.expert_name = ${expert.name} AND s.department_code = ${expert.departmentCode} AND s.ends_at <= now()
      AND NOT EXISTS (SELECT 1 FROM consultations c WHERE c.session_id = s.id)
      AND NOT EXISTS (SELECT 1 FROM appointments a WHERE a.session_id = s.id)
    ORDER BY s.starts_at DESC`;
  if (sessions.length === 0) return 0;
  const history = generateClinicHistory({ seed: expert.seed, days: Math.max(DEMO_CLINIC_DAYS, sessions.length), profile: expert.profile });
  const slots = makeSlots(slotCount(PERIOD_MINUTES, SLOT_MINUTES), SLOT_MINUTES);

  for (const [k, session] of sessions.entries()) {
    const day = history.days[k]!;
    const start = session.starts_at.getTime();
    const at = (minutes: number) => new Date(start + Math.round(minutes * MINUTE));
    const compact = session.session_date.replaceAll('-', '');
    await sql.begin(async (tx) => {
      const walkIns = await tx<{ number: string; registered_at: Date }[]>`
        SELECT number, registered_at FROM walk_in_registrations WHERE session_id = ${session.id} ORDER BY registered_at, id`;
      const quotaRows = await tx<{ appointment_quota: number }[]>`
        SELECT appointment_quota FROM clinic_slots WHERE session_id = ${session.id} ORDER BY slot_index`;
      const quotas = quotaRows.map((q) => q.appointment_quota);
      // Without enough patients to book (a bare database), the appointment numbers' consultations are recorded without their appointment rows.
      const withAppointments = patients.length >= quotas.reduce((sum, q) => sum + q, 0);
      const replay = replaySession({
        slots,
        session: {
          walkIns: walkIns.map((w) => (w.registered_at.getTime() - start) / MINUTE),
          consultMinutes: day.consultMinutes,
          expertStartMinutes: day.expertStartMinutes,
        },
        quotas,
        seed: expert.seed * 31 + k,
        fallbackConsultMinutes: DEFAULT_FALLBACK_CONSULT_MINUTES,
      });
      // The simulation's tickets: `A<slot>-<nn>` per appointment number, `W<nnn>` per walk-in in registration order.
      const numberOf = (ticket: string) =>
        ticket.startsWith('W') ? walkIns[Number(ticket.slice(1)) - 1]!.number : `AP${compact}${expert.code}${ticket.slice(1).replace('-', '')}`;
      const consultations = replay.patients.map((p) => ({
        session_id: session.id,
        number: numberOf(p.ticket),
        kind: p.kind,
        started_at: at(p.start),
        ended_at: at(p.end),
        outcome: 'seen',
      }));
      const appointments = replay.patients
        .filter((p) => withAppointments && p.kind === 'appointment')
        .map((p, j) => {
          const slot = slots[p.slotIndex]!;
          const arrival: Arrival = p.rule === 'after_slot_end' ? 'after_slot_end' : p.arrival <= slot.start ? 'on_time' : 'late';
          const number = numberOf(p.ticket);
          return {
            number,
            session_id: session.id,
            slot_index: p.slotIndex,
            patient_id: patients[(k * 17 + j) % patients.length]!.id,
            status: 'seen',
            prepaid: true,
            prepayment_ref: `DEMO-${number}`,
            booked_at: new Date(start - 3 * 24 * 60 * MINUTE),
            paid_at: new Date(start - 3 * 24 * 60 * MINUTE),
            checked_in_at: at(p.arrival),
            arrival,
            queue_note: ARRIVAL_NOTES[arrival],
            called_at: at(p.start),
            seen_at: at(p.end),
            workflow_id: `appointment-${number}`,
          };
        });
      if (appointments.length > 0) {
        const booked = slots.map((_, i) => appointments.filter((a) => a.slot_index === i).length);
        for (const [i, n] of booked.entries()) if (n > 0) await tx`UPDATE clinic_slots SET booked = ${n} WHERE session_id = ${session.id} AND slot_index = ${i}`;
        await tx`INSERT INTO appointments ${tx(appointments)}`;
      }
      for (const p of replay.patients.filter((x) => x.kind === 'walk_in')) {
        await tx`UPDATE walk_in_registrations SET status = 'seen', called_at = ${at(p.start)}, seen_at = ${at(p.end)}
                 WHERE session_id = ${session.id} AND number = ${numberOf(p.ticket)}`;
      }
      if (consultations.length > 0) {
        await tx`INSERT INTO consultations ${tx(consultations)}`;
        await tx`INSERT INTO clinic_calls ${tx(consultations.map((c) => ({ session_id: c.session_id, called_number: c.number, called_at: c.started_at })))}`;
      }
    });
  }
  return sessions.length;
}

/**
 * The demo clinic's history without Temporal: every demo expert's past sessions and recorded
 * consultations, and a session tomorrow (the current plan) for each expert that had none.
 * `patients` book the past appointment numbers (default: the demo patients, in a fixed order).
 * Returns the new upcoming sessions by expert name, and how many past sessions were added or recorded.
 */
export async function seedDemoClinicHistory(
  sql: Sql,
  o: { now?: Date; experts?: readonly DemoClinicExpert[]; patients?: readonly { id: string }[] } = {},
): Promise<{ upcoming: Map<string, string>; pastSessions: number; recorded: number }> {
  const today = shanghaiDate(o.now ?? new Date());
  const patients = o.patients ?? (await sql<{ id: string }[]>`SELECT id FROM patients ORDER BY his_patient_id LIMIT 200`);
  const upcoming = new Map<string, string>();
  let pastSessions = 0;
  let recorded = 0;
  for (const expert of o.experts ?? DEMO_CLINIC_EXPERTS) {
    const added = await seedPastSessions(sql, expert, today);
    pastSessions += added;
    if (added > 0) upcoming.set(expert.name, await createDemoSession(sql, expert, addDays(today, 1), DEMO_CURRENT_PLAN));
    if (expert.recordsConsultations) recorded += await recordPastConsultations(sql, expert, patients);
  }
  return { upcoming, pastSessions, recorded };
}
