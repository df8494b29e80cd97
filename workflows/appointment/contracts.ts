/**
 * The outpatient process's vocabulary: the appointment (`appointmentWorkflow`, one per appointment,
 * ID `appointment-<number>`) and the patient's no-show ledger (`noShowLedgerWorkflow`, one per
 * patient, ID `noshow-<patient>`). How each is started, inputs, states, updates, signals, queries,
 * the `Blacklisted` search attribute, Chinese labels, the activities' inputs and outputs, and what
 * each takes when. No side effects, so the workflow bundle imports it too.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey } from '@temporalio/common';
import type { StartRequest } from '../shared/start.js';
import { APPOINTMENT_STATUS_LABELS, type AppointmentStatus, type Arrival } from './labels.js';

// States, arrivals and their labels live in ./labels.ts (safe in the browser).
export * from './labels.js';

// ---------------------------------------------------------------- types, IDs, start

export const APPOINTMENT_WORKFLOW_TYPE = 'appointmentWorkflow';
export const NOSHOW_LEDGER_WORKFLOW_TYPE = 'noShowLedgerWorkflow';
export type AppointmentWorkflow = (input: AppointmentInput) => Promise<AppointmentState>;
export type NoShowLedgerWorkflow = (input: NoShowLedgerInput) => Promise<NoShowLedgerState>;

export function appointmentWorkflowId(number: string): string {
  return `appointment-${number}`;
}

export function noShowLedgerWorkflowId(patientId: string): string {
  return `noshow-${patientId}`;
}

/** One run per appointment number, ever. */
export function appointmentStart(appointment: { appointmentId: string; number: string }): StartRequest<AppointmentWorkflow> {
  return {
    workflowType: APPOINTMENT_WORKFLOW_TYPE,
    options: {
      workflowId: appointmentWorkflowId(appointment.number),
      args: [{ appointmentId: appointment.appointmentId }],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      staticSummary: `门诊预约 ${appointment.number}`,
    },
  };
}

/**
 * The patient's ledger, started by their first no-show (or a test with its own rule). It continues
 * as new and never completes; should one be ended by hand, the next no-show starts a fresh one.
 */
export function noShowLedgerStart(input: NoShowLedgerInput): StartRequest<NoShowLedgerWorkflow> {
  return {
    workflowType: NOSHOW_LEDGER_WORKFLOW_TYPE,
    options: {
      workflowId: noShowLedgerWorkflowId(input.patientId),
      args: [input],
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      staticSummary: `爽约记录 ${input.patientId}`,
    },
  };
}

// ---------------------------------------------------------------- the appointment

export interface AppointmentInput {
  appointmentId: string;
}

/** The booking: whose, which slot, and the times of its session that the rules turn on. */
export interface Booking {
  appointmentId: string;
  number: string;
  patientId: string;
  status: AppointmentStatus;
  slotIndex: number;
  slotStartsAt: string;
  slotEndsAt: string;
  registrationOpensAt: string;
  sessionEndsAt: string;
}

export interface AppointmentState extends Booking {
  reminderAt?: string;
  reminderSent: boolean;
  checkedInAt?: string;
  arrival?: Arrival;
  queueNote?: string;
  cancelReason?: string;
}

/** The failure type of a refused cancellation or check-in (see workflows/shared/refusal.ts). */
export const APPOINTMENT_ACTION_REFUSED = 'AppointmentActionRefused';

export const cancelAppointmentUpdate = defineUpdate<AppointmentState, [{ reason?: string; actorId?: string }]>('cancelAppointment');
export const checkInUpdate = defineUpdate<AppointmentState, [{ actorId?: string }]>('checkIn');
export const getAppointmentStateQuery = defineQuery<AppointmentState>('getAppointmentState');

/**
 * The payment adapter confirmed the prepayment (a verified notification, services/outpatient-booking.ts).
 * A booking made through /book or the REST API starts as `pending_payment` with a hold
 * (`holdExpiresAt`); the workflow waits for this signal until then (patch {@link PAYMENT_HOLD_PATCH})
 * and releases the number when it does not come.
 */
export const paymentReceivedSignal = defineSignal<[{ outTradeNo: string; transactionId: string }]>('paymentReceived');
/**
 * The clinic ended the session early (its last patient seen, clinic page "结束出诊"): a booking not
 * checked in is a no-show now rather than at the scheduled end (patch {@link SESSION_END_PATCH}).
 */
export const sessionEndedSignal = defineSignal<[]>('sessionEnded');
/** `patched()` ID of the early session end in appointmentWorkflow. */
export const SESSION_END_PATCH = 'appointment-session-ended-signal';
/** `patched()` ID of the payment hold in appointmentWorkflow. */
export const PAYMENT_HOLD_PATCH = 'appointment-payment-hold';
/**
 * `patched()` ID of the refund on cancellation in appointmentWorkflow: a paid booking's cancel
 * starts the order's paymentRefundWorkflow (workflows/refund) as a child that outlives it.
 */
export const REFUND_ON_CANCEL_PATCH = 'appointment-refund-on-cancel';
/** Reason recorded on a number released because the hold ended unpaid. */
export const HOLD_EXPIRED_REASON = '未在时限内完成支付,号源已释放';

/** The booking as loadAppointment reads it, with what the reminder and the arrival rule need. */
export interface AppointmentFacts extends Booking {
  sessionStartsAt: string;
  bookedAt: string;
  graceMinutes: number;
  expertName: string;
  departmentName: string;
  /** While `pending_payment`: when the held number is released unless paid. */
  holdExpiresAt?: string | null;
}

export type AppointmentAction = 'cancel' | 'checkIn';

/**
 * Why the appointment takes no `action` at `now` (epoch ms), or null (the workflow's validators).
 * Anyone holding the appointment may cancel or check in (the patient, the front desk); who may
 * lift a no-show blacklist early is an access rule (`administers`, domain/access.ts).
 */
export function appointmentActionRefusal(
  state: Pick<Booking, 'status' | 'registrationOpensAt' | 'sessionEndsAt'>,
  action: AppointmentAction,
  now: number,
): string | null {
  if (action === 'cancel') {
    if (state.status !== 'booked') return `预约${APPOINTMENT_STATUS_LABELS[state.status]},不能取消`;
    if (now >= Date.parse(state.registrationOpensAt)) return '已开始取号,不能再取消预约';
    return null;
  }
  if (state.status === 'cancelled') return '预约已取消,不能签到';
  if (state.status === 'checked_in' || state.status === 'seen') return '已签到,请勿重复签到';
  if (state.status !== 'booked') return `预约${APPOINTMENT_STATUS_LABELS[state.status]},不能签到`;
  if (now >= Date.parse(state.sessionEndsAt)) return '本次门诊已结束,不能签到';
  return null;
}

// ---------------------------------------------------------------- the no-show ledger

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

/** The failure type of a refused early lift (see workflows/shared/refusal.ts). */
export const LIFT_REFUSED = 'LiftRefused';

export interface NoShowLedgerProjection {
  patientId: string;
  noShows: string[];
  blacklistedUntil: string | null;
  blacklistCount: number;
  lift?: { actorId?: string; reason: string };
}

/**
 * Why the ledger refuses an early lift now, or null. Until the ledger has read its rule
 * (`settings`), whether the patient is blacklisted is not decided yet: only the reason is checked.
 */
export function liftRefusal(state: Pick<NoShowLedgerState, 'blacklisted' | 'settings'>, reason: string): string | null {
  if (!reason?.trim()) return '解除黑名单须填写原因';
  if (state.settings && !state.blacklisted) return '该患者当前未被列入爽约黑名单';
  return null;
}

// ---------------------------------------------------------------- search attributes

export const BlacklistedKey = defineSearchAttributeKey('Blacklisted', 'BOOL');

/** Every search attribute the outpatient workflows set (registered on the namespace from this list). */
export const appointmentSearchAttributes = [BlacklistedKey] as const;
