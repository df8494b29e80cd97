/**
 * appointmentWorkflow: one per outpatient appointment (ID `appointment-<number>`).
 *
 * Loads the booking (activity) → reminds the patient the day before (skipped when booked later)
 * → takes a cancellation until registration opens, a check-in until the session ends (arrival
 * judged by the clinic-queue rules and recorded) → at session end without check-in marks the
 * appointment a no-show and reports it to the patient's no-show ledger (`noshow-<patient>`,
 * started here when the patient has none yet; it outlives this workflow).
 */
import { allHandlersFinished, condition, getExternalWorkflowHandle, patched, proxyActivities, setCurrentDetails, setHandler, startChild, workflowInfo } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../../activities/index.js';
import { ACTIVITY_TIMEOUTS } from '../../config/temporal.js';
import { orderQueue } from '../../domain/clinic-queue.js';
import { shanghaiDateTime } from '../../domain/schedule.js';
import { refuse } from '../shared/refusal.js';
import {
  APPOINTMENT_ACTION_REFUSED,
  ARRIVAL_NOTES,
  HOLD_EXPIRED_REASON,
  appointmentActionRefusal,
  cancelAppointmentUpdate,
  checkInUpdate,
  getAppointmentStateQuery,
  noShowLedgerStart,
  noShowLedgerWorkflowId,
  PAYMENT_HOLD_PATCH,
  paymentReceivedSignal,
  REFUND_ON_CANCEL_PATCH,
  SESSION_END_PATCH,
  sessionEndedSignal,
  recordNoShowSignal,
  type AppointmentFacts,
  type AppointmentInput,
  type AppointmentState,
  type Arrival,
} from './contracts.js';
import { noShowLedgerWorkflow } from './noshow-ledger.js';
import { paymentRefundStart } from '../refund/contracts.js';
import { paymentRefundWorkflow } from '../refund/workflow.js';
import { appointmentDetails } from './details.js';

const db = proxyActivities<Activities>(ACTIVITY_TIMEOUTS.database);

/** The reminder goes out this long before the session starts. */
const REMINDER_BEFORE_MS = 24 * 3600 * 1000;

export async function appointmentWorkflow({ appointmentId }: AppointmentInput): Promise<AppointmentState> {
  const { workflowId } = workflowInfo();
  let facts: AppointmentFacts | undefined;
  const state: AppointmentState = {
    appointmentId,
    number: '',
    patientId: '',
    status: 'booked',
    slotIndex: 0,
    slotStartsAt: '',
    slotEndsAt: '',
    registrationOpensAt: '',
    sessionEndsAt: '',
    reminderSent: false,
  };
  let busy = false;
  /** What the Temporal UI shows supervisors: the booking and what it waits for now (not part of the history). */
  const describe = () => {
    if (facts) setCurrentDetails(appointmentDetails({ ...state, expertName: facts.expertName, departmentName: facts.departmentName }));
  };

  /** Why a cancellation or check-in cannot be taken now, or null (undecided until the booking is loaded). */
  /** The verified payment (services/outpatient-booking.ts); acted on after the booking is loaded. */
  let payment: { outTradeNo: string; transactionId: string } | undefined;
  const refusal = (action: 'cancel' | 'checkIn') => () => {
    if (!facts) return null;
    // Paid, the booking is being recorded: judged as booked (exclusive() waits for the recording).
    const judged = payment && state.status === 'pending_payment' ? { ...state, status: 'booked' as const } : state;
    return appointmentActionRefusal(judged, action, Date.now());
  };
  const cancelRefusal = refusal('cancel');
  const checkInRefusal = refusal('checkIn');

  /** One change at a time, stored before the state moves; refused with the reason re-checked. */
  async function exclusive(check: () => string | null, work: () => Promise<void>): Promise<AppointmentState> {
    await condition(() => facts !== undefined && !busy);
    const reason = check();
    if (reason) throw refuse(APPOINTMENT_ACTION_REFUSED, reason);
    busy = true;
    try {
      await work();
      describe();
      return state;
    } finally {
      busy = false;
    }
  }
  const validate = (check: () => string | null) => (_input: unknown) => {
    const reason = check();
    if (reason) throw refuse(APPOINTMENT_ACTION_REFUSED, reason);
  };

  setHandler(getAppointmentStateQuery, () => state);
  setHandler(paymentReceivedSignal, (paid) => {
    payment ??= paid;
  });
  let sessionEnded = false;
  setHandler(sessionEndedSignal, () => {
    sessionEnded = true;
  });
  setHandler(
    cancelAppointmentUpdate,
    ({ reason }) =>
      exclusive(cancelRefusal, async () => {
        await db.cancelAppointment({ appointmentId, ...(reason ? { reason } : {}) });
        state.status = 'cancelled';
        if (reason) state.cancelReason = reason;
        // The prepayment goes back through its own workflow, retried until the provider accepts it.
        if (payment && patched(REFUND_ON_CANCEL_PATCH)) await startRefund(payment.outTradeNo, reason ?? '预约已取消');
      }),
    { validator: validate(cancelRefusal) },
  );
  setHandler(
    checkInUpdate,
    () =>
      exclusive(checkInRefusal, async () => {
        const at = Date.now();
        const arrival = arrivalOf(facts!, at);
        const checkedInAt = new Date(at).toISOString();
        await db.recordCheckIn({ appointmentId, checkedInAt, arrival, queueNote: ARRIVAL_NOTES[arrival] });
        Object.assign(state, { status: 'checked_in', checkedInAt, arrival, queueNote: ARRIVAL_NOTES[arrival] });
      }),
    { validator: validate(checkInRefusal) },
  );

  const loaded = await db.loadAppointment(appointmentId);
  Object.assign(state, {
    number: loaded.number,
    patientId: loaded.patientId,
    status: loaded.status,
    slotIndex: loaded.slotIndex,
    slotStartsAt: loaded.slotStartsAt,
    slotEndsAt: loaded.slotEndsAt,
    registrationOpensAt: loaded.registrationOpensAt,
    sessionEndsAt: loaded.sessionEndsAt,
  });
  facts = loaded;

  // A number held while the patient pays: booked when the payment arrives, released when the hold ends unpaid.
  if (loaded.status === 'pending_payment' && patched(PAYMENT_HOLD_PATCH)) {
    describe();
    const holdMs = Math.max(1, Date.parse(loaded.holdExpiresAt ?? loaded.bookedAt) - Date.now());
    const arrived = await condition(() => payment !== undefined, holdMs, { summary: '等待支付(超时释放号源)' });
    if (!arrived) {
      const released = await db.releaseHeldAppointment({ appointmentId });
      if (released !== 'paid') {
        state.status = 'cancelled';
        state.cancelReason = HOLD_EXPIRED_REASON;
        describe();
        await condition(allHandlersFinished);
        return state;
      }
      // Paid at the last moment: the notification's signal follows the recorded payment.
      await condition(() => payment !== undefined);
    }
    // A cancellation arriving while the payment is being recorded waits for it (then it is a paid booking to refund).
    busy = true;
    try {
      await db.confirmAppointmentPayment({ workflowId, appointmentId, transactionId: payment!.transactionId });
      state.status = 'booked';
    } finally {
      busy = false;
    }
  }

  const reminderAt = Date.parse(loaded.sessionStartsAt) - REMINDER_BEFORE_MS;
  let finished = false;
  const reminder = remind();
  describe();

  // Open until the session ends: a cancellation (until registration opens) or a check-in settles it.
  const endable = patched(SESSION_END_PATCH);
  const settled = await condition(() => state.status !== 'booked' || (endable && sessionEnded), Math.max(1, Date.parse(state.sessionEndsAt) - Date.now()), {
    summary: '出诊结束（仍未签到记为爽约）',
  });
  await condition(() => !busy);
  if ((!settled || (endable && sessionEnded)) && state.status === 'booked') {
    const at = new Date(Date.now()).toISOString();
    await db.markNoShow({ appointmentId, at });
    state.status = 'no_show';
    describe();
    await reportNoShow(at);
  }
  finished = true;
  await reminder;
  await condition(allHandlersFinished);
  return state;

  async function remind(): Promise<void> {
    if (reminderAt <= Date.now()) return; // booked within a day of the session: no reminder
    state.reminderAt = new Date(reminderAt).toISOString();
    await condition(() => finished || state.status !== 'booked', reminderAt - Date.now(), { summary: '就诊前一天发提醒' });
    if (finished || state.status !== 'booked') return;
    await db.queueAppointmentMessage({
      workflowId,
      step: 'reminder',
      appointmentId,
      // {候诊查询} becomes the queue link with the short code where the message is queued (the activity knows both).
      body: `提醒:您预约了明天 ${loaded.departmentName} ${loaded.expertName} 第 ${loaded.slotIndex + 1} 时段(${shanghaiDateTime(new Date(loaded.slotStartsAt))})的门诊,预约号 ${loaded.number}。{候诊查询}如不能就诊请在开始取号前取消,爽约将影响您今后预约。`,
    });
    state.reminderSent = true;
    describe();
  }

  /** Starts the order's refund (a child that outlives this workflow); one already started is the same refund. */
  async function startRefund(outTradeNo: string, reason: string): Promise<void> {
    try {
      await startChild(paymentRefundWorkflow, { ...paymentRefundStart({ outTradeNo, reason }).options, parentClosePolicy: 'ABANDON' });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }

  /** Makes sure the patient's ledger runs (it outlives this workflow), then tells it. */
  async function reportNoShow(at: string): Promise<void> {
    const ledgerId = noShowLedgerWorkflowId(loaded.patientId);
    try {
      await startChild(noShowLedgerWorkflow, { ...noShowLedgerStart({ patientId: loaded.patientId }).options, parentClosePolicy: 'ABANDON' });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    await getExternalWorkflowHandle(ledgerId).signal(recordNoShowSignal, { at, appointmentNumber: loaded.number });
  }
}

/** On time / late / after the slot, by the clinic-queue rules (orderQueue) at the check-in instant. */
function arrivalOf(facts: AppointmentFacts, at: number): Arrival {
  const slotStart = Date.parse(facts.slotStartsAt);
  const [entry] = orderQueue(
    [
      {
        ticket: facts.number,
        kind: 'appointment',
        slotIndex: facts.slotIndex,
        slotStart,
        slotEnd: Date.parse(facts.slotEndsAt),
        checkedInAt: at,
        registeredAt: Date.parse(facts.bookedAt),
      },
    ],
    at,
    { graceMinutes: facts.graceMinutes },
  );
  if (entry?.rule === 'after_slot_end') return 'after_slot_end';
  return at <= slotStart ? 'on_time' : 'late';
}
