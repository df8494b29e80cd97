/**
 * Contracts of the outpatient appointment workflow (one per appointment, ID `appointment-<number>`)
 * and of the patient's no-show ledger (one per patient, ID `noshow-<patient>`): inputs, states,
 * updates, signals, queries, the `Blacklisted` search attribute. No side effects here.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey } from '@temporalio/common';

export const APPOINTMENT_WORKFLOW_TYPE = 'appointmentWorkflow';
export const NOSHOW_LEDGER_WORKFLOW_TYPE = 'noShowLedgerWorkflow';

export interface AppointmentInput {
  appointmentId: string;
}

export type AppointmentStatus = 'booked' | 'cancelled' | 'checked_in' | 'seen' | 'no_show';

export const APPOINTMENT_STATUS_LABELS: Record<AppointmentStatus, string> = {
  booked: '已预约',
  cancelled: '已取消',
  checked_in: '已签到',
  seen: '已就诊',
  no_show: '爽约',
};

/** How the patient arrived, by the clinic-queue rules: early or in the slot, late within it, after its deadline. */
export type Arrival = 'on_time' | 'late' | 'after_slot_end';

export const ARRIVAL_NOTES: Record<Arrival, string> = {
  on_time: '按时签到,按时段顺序候诊',
  late: '时段内迟到签到,按时段顺序候诊',
  after_slot_end: '超过时段签到,排在最后一个时段末尾候诊',
};

export interface AppointmentState {
  appointmentId: string;
  number: string;
  patientId: string;
  status: AppointmentStatus;
  slotIndex: number;
  slotStartsAt: string;
  slotEndsAt: string;
  registrationOpensAt: string;
  sessionEndsAt: string;
  reminderAt?: string;
  reminderSent: boolean;
  checkedInAt?: string;
  arrival?: Arrival;
  queueNote?: string;
  cancelReason?: string;
}

export const cancelAppointmentUpdate = defineUpdate<AppointmentState, [{ reason?: string; actorId?: string }]>('cancelAppointment');
export const checkInUpdate = defineUpdate<AppointmentState, [{ actorId?: string }]>('checkIn');
export const getAppointmentStateQuery = defineQuery<AppointmentState>('getAppointmentState');

/** The no-show rule: `threshold` no-shows within `windowSeconds` → blacklisted for `blacklistSeconds`. */
export interface NoShowSettings {
  threshold: number;
  windowSeconds: number;
  blacklistSeconds: number;
}

export interface NoShowLedgerInput {
  patientId: string;
  /** No-show instants (ISO 8601) still in the window, carried over continue-as-new. */
  noShows?: string[];
  /** Carried over continue-as-new while blacklisted. */
  blacklistedUntil?: string;
  blacklistCount?: number;
  /** Overrides the shared `noshow_settings` row for this ledger (tests, special cases); carried over. */
  settings?: NoShowSettings;
}

export interface NoShowLedgerState {
  patientId: string;
  noShows: string[];
  blacklisted: boolean;
  blacklistedUntil?: string;
  blacklistCount: number;
  settings?: NoShowSettings;
  lastLift?: { at: string; actorId?: string; reason: string; early: boolean };
  /** Signals taken by this run (continue-as-new after {@link LEDGER_EVENTS_PER_RUN}). */
  events: number;
}

/** Events taken by one ledger run before it continues as new (bounded history). */
export const LEDGER_EVENTS_PER_RUN = 100;

export const recordNoShowSignal = defineSignal<[{ at: string; appointmentNumber: string }]>('recordNoShow');
export const liftBlacklistUpdate = defineUpdate<NoShowLedgerState, [{ actorId: string; reason: string }]>('liftBlacklist');
export const getLedgerStateQuery = defineQuery<NoShowLedgerState>('getLedgerState');

export const BlacklistedKey = defineSearchAttributeKey('Blacklisted', 'BOOL');

export function appointmentWorkflowId(number: string): string {
  return `appointment-${number}`;
}

export function noShowLedgerWorkflowId(patientId: string): string {
  return `noshow-${patientId}`;
}
