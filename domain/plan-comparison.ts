/**
 * The current and the proposed appointment plan of a session side by side: both replayed through
 * the clinic simulation (domain/clinic-sim.ts) over the expert's recorded past sessions — their
 * walk-in registration times, consultation lengths and the expert's start — so an administrator
 * sees why the proposed plan is better (mean and p90 wait of walk-in and appointment patients,
 * the doctor's idle minutes). Pure and seeded: the same history gives the same figures.
 */
import { simulateSession, summarise, type AppointmentBehaviour, type SessionResult, type SimulationSummary, type SlotWindow } from './clinic-sim.js';
import { mulberry32 } from './quota.js';

export interface PastSessionReplay {
  /** Walk-in registrations, minutes from session start (negative: before it). */
  walkIns: number[];
  /** Consultation lengths in minutes, in order; empty → `fallbackConsultMinutes`. */
  consultMinutes: number[];
  /** Minutes after the session start that the expert saw the first patient. */
  expertStartMinutes: number;
}

export const DEFAULT_BEHAVIOUR: AppointmentBehaviour = { earlyShare: 0.2, lateShare: 0.1, noShowRate: 0.1 };

export interface PlanFigures {
  quotas: number[];
  walkInMean: number;
  walkInP90: number;
  appointmentMean: number;
  appointmentP90: number;
  idleMinutes: number;
}

const round1 = (v: number) => Math.round(v * 10) / 10;
const figures = (quotas: number[], s: SimulationSummary): PlanFigures => ({
  quotas,
  walkInMean: round1(s.walkIn.mean),
  walkInP90: round1(s.walkIn.p90),
  appointmentMean: round1(s.appointment.mean),
  appointmentP90: round1(s.appointment.p90),
  idleMinutes: round1(s.idleMinutes),
});

/**
 * Replays one past session under per-slot appointment quotas: its walk-in registrations and the
 * expert's start as recorded, the k-th consultation taking the session's k-th recorded length
 * (`fallbackConsultMinutes` when none was recorded), appointment patients drawn by `behaviour`.
 */
export function replaySession(input: {
  slots: readonly SlotWindow[];
  session: PastSessionReplay;
  quotas: readonly number[];
  seed: number;
  fallbackConsultMinutes: number;
  behaviour?: AppointmentBehaviour;
}): SessionResult {
  const { session: d, fallbackConsultMinutes } = input;
  const consults = d.consultMinutes.length > 0 ? d.consultMinutes : [fallbackConsultMinutes];
  return simulateSession({
    slots: input.slots,
    quotas: input.quotas,
    walkIns: d.walkIns,
    appointmentBehaviour: input.behaviour ?? DEFAULT_BEHAVIOUR,
    consult: (_rng, index) => consults[index % consults.length] ?? fallbackConsultMinutes,
    rng: mulberry32(input.seed >>> 0),
    expertStartMinutes: d.expertStartMinutes,
  });
}

/** Simulates both plans over the same past sessions (same seeds per session for both). */
export function comparePlans(input: {
  slots: readonly SlotWindow[];
  past: readonly PastSessionReplay[];
  current: number[];
  proposed: number[];
  seed: number;
  fallbackConsultMinutes: number;
  behaviour?: AppointmentBehaviour;
}): { current: PlanFigures; proposed: PlanFigures; sessions: number } {
  const run = (quotas: number[]) =>
    summarise(
      input.past.map((session, k) =>
        replaySession({ ...input, session, quotas, seed: input.seed * 31 + k }),
      ),
    );
  return { current: figures(input.current, run(input.current)), proposed: figures(input.proposed, run(input.proposed)), sessions: input.past.length };
}
