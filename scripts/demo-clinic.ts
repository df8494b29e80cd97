/**
 * The demo outpatient clinic: an expert's last 20 morning sessions (walk-in registrations with the
 * morning peak, from the simulation's generated history), tomorrow's session with the hospital's
 * current plan (all appointment numbers in the first hour), the quota planning run once so the
 * admin sees computed quotas, and a few prepaid bookings through the appointment workflow.
 */
import type { Client } from '@temporalio/client';
import type { Sql } from '../db/client.js';
import { addDays, shanghaiDate, shanghaiTime } from '../domain/schedule.js';
import type { Services } from '../services/index.js';
import { quotaPlanningStart } from '../workflows/quota-planning/contracts.js';
import { executeWorkflow } from '../workflows/shared/start.js';
import { generateClinicHistory } from './clinic-history.js';

const EXPERT = '王主任';
const DEPARTMENT = 'XNK';
const SLOTS = 4;
const APPOINTMENT_NUMBERS = 12;

async function createSession(sql: Sql, date: string, quotas: number[]): Promise<string> {
  const [session] = await sql<{ id: string }[]>`
    INSERT INTO clinic_sessions (expert_name, department_code, session_date, registration_opens_at, starts_at, ends_at)
    VALUES (${EXPERT}, ${DEPARTMENT}, ${date}, ${shanghaiTime(date, 7)}, ${shanghaiTime(date, 8)}, ${shanghaiTime(date, 12)})
    RETURNING id`;
  for (let i = 0; i < SLOTS; i++) {
    await sql`INSERT INTO clinic_slots (session_id, slot_index, starts_at, ends_at, appointment_quota)
              VALUES (${session!.id}, ${i}, ${shanghaiTime(date, 8 + i)}, ${shanghaiTime(date, 9 + i)}, ${quotas[i] ?? 0})`;
  }
  return session!.id;
}

export async function seedDemoClinic({ sql, services, temporal, taskQueue }: { sql: Sql; services: Services; temporal: Client; taskQueue: string }): Promise<string | null> {
  const [existing] = await sql<{ id: string }[]>`SELECT id FROM clinic_sessions WHERE expert_name = ${EXPERT} ORDER BY session_date DESC LIMIT 1`;
  if (existing) return null;

  const today = shanghaiDate(new Date());
  const history = generateClinicHistory({ seed: 20250301, days: 20 });
  // Past working days, newest first, carry the generated days' registrations.
  let day = today;
  for (const past of history.days) {
    do day = addDays(day, -1);
    while ([0, 6].includes(new Date(`${day}T00:00:00Z`).getUTCDay()));
    const sessionId = await createSession(sql, day, [APPOINTMENT_NUMBERS, 0, 0, 0]);
    for (const [i, minutes] of past.walkInRegistrations.entries()) {
      await sql`INSERT INTO walk_in_registrations (session_id, number, registered_at, status)
                VALUES (${sessionId}, ${`W${day.replaceAll('-', '')}-${String(i + 1).padStart(2, '0')}`},
                        ${new Date(shanghaiTime(day, 8).getTime() + minutes * 60_000)}, 'seen')`;
    }
  }
  const tomorrow = addDays(today, 1);
  const sessionId = await createSession(sql, tomorrow, [APPOINTMENT_NUMBERS, 0, 0, 0]);

  // What the nightly Schedule does at 02:00, once now, so the computed quotas are there to see.
  await executeWorkflow(temporal, taskQueue, quotaPlanningStart({ weeks: 8, horizonDays: 2 }, `quota-planning-demo-${tomorrow}`));

  const slots = await sql<{ slot_index: number; appointment_quota: number }[]>`
    SELECT slot_index, appointment_quota FROM clinic_slots WHERE session_id = ${sessionId} ORDER BY slot_index`;
  const patients = await sql<{ id: string }[]>`SELECT id FROM patients ORDER BY his_patient_id DESC LIMIT 5`;
  for (const [i, patient] of patients.entries()) {
    const slot = slots.find((s) => s.appointment_quota > 0 && s.slot_index >= (i % SLOTS)) ?? slots.find((s) => s.appointment_quota > 0);
    if (!slot) break;
    await services.appointments.book(patient.id, sessionId, slot.slot_index, { prepaid: true, prepaymentRef: `DEMO-PAY-${i + 1}` });
    slot.appointment_quota--;
  }
  return sessionId;
}
