/**
 * The demo outpatient clinic: the demo experts' past morning sessions with their walk-in
 * registrations and the consultations the clinic page recorded (scripts/demo-consultations.ts),
 * a session tomorrow for each with the hospital's current plan (all appointment numbers in the
 * first hour), the quota planning run once — as the nightly Schedule does — so the admin sees
 * quotas computed from that history, and a few prepaid bookings through the appointment workflow.
 */
import type { Client } from '@temporalio/client';
import type { Sql } from '../db/client.js';
import { shanghaiDate } from '../domain/schedule.js';
import type { Services } from '../services/index.js';
import { DEFAULT_QUOTA_HISTORY_WEEKS, DEFAULT_QUOTA_HORIZON_DAYS } from '../worker/quota-schedule.js';
import { quotaPlanningStart } from '../workflows/quota-planning/contracts.js';
import { executeWorkflow } from '../workflows/shared/start.js';
import { LATE_STARTING_DEMO_EXPERT, seedDemoClinicHistory } from './demo-consultations.js';

/** Returns the new session to show (王主任's tomorrow), or null when the clinic was there already. */
export async function seedDemoClinic({ sql, services, temporal, taskQueue }: { sql: Sql; services: Services; temporal: Client; taskQueue: string }): Promise<string | null> {
  const { upcoming, pastSessions, recorded } = await seedDemoClinicHistory(sql);
  if (pastSessions === 0 && recorded === 0) return null;

  // What the nightly Schedule does at 02:00, once now, so the quotas computed from the history are there to see.
  const today = shanghaiDate(new Date());
  await executeWorkflow(
    temporal,
    taskQueue,
    quotaPlanningStart({ weeks: DEFAULT_QUOTA_HISTORY_WEEKS, horizonDays: DEFAULT_QUOTA_HORIZON_DAYS }, `quota-planning-demo-${today}`),
  );

  const sessionId = upcoming.get(LATE_STARTING_DEMO_EXPERT.name);
  if (!sessionId) return null;
  const slots = await sql<{ slot_index: number; appointment_quota: number }[]>`
    SELECT slot_index, appointment_quota FROM clinic_slots WHERE session_id = ${sessionId} ORDER BY slot_index`;
  const patients = await sql<{ id: string }[]>`SELECT id FROM patients ORDER BY his_patient_id DESC LIMIT 5`;
  for (const [i, patient] of patients.entries()) {
    const slot = slots.find((s) => s.appointment_quota > 0 && s.slot_index >= i % slots.length) ?? slots.find((s) => s.appointment_quota > 0);
    if (!slot) break;
    await services.appointments.book(patient.id, sessionId, slot.slot_index, { prepaid: true, prepaymentRef: `DEMO-PAY-${i + 1}` });
    slot.appointment_quota--;
  }
  return sessionId;
}
