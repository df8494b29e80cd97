/**
 * followUpWorkflow: one per discharged patient (ID `followup-<encounter>`).
 *
 * Plan (activity) → greeting on discharge day → for each touchpoint: sleep until due, open a
 * task, wait for its outcome (agent Update or the patient's survey signal), retrying per the
 * channel policy until it is done or unreachable. Red flags make it urgent and alert the
 * department. Readmission, death, opt-out or a cancelled discharge cancel what is pending.
 */
import {
  CancellationScope,
  allHandlersFinished,
  condition,
  isCancellation,
  patched,
  sleep,
  startChild,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../../activities/index.js';
import { ACTIVITY_TIMEOUTS } from '../../config/temporal.js';
import { questionTexts, redFlags, validateAnswers, type Question } from '../../domain/questions.js';
import { greetingTiming } from '../../domain/schedule.js';
import { FEEDBACK_KIND_LABELS, ticketStart } from '../feedback-ticket/contracts.js';
import { feedbackTicketWorkflow } from '../feedback-ticket/workflow.js';
import { summarizedActivities, summarizedLocalActivities } from '../shared/activity-summaries.js';
import { refuse, type FieldProblem } from '../shared/refusal.js';
import {
  CANCEL_REASON_LABELS,
  CONTACT_OUTCOME_LABELS,
  CONTACT_REFUSED,
  DepartmentKey,
  FollowUpStatusKey,
  UNASSIGNED_DEPARTMENT,
  UrgentKey,
  cancelFollowUpSignal,
  closedTaskRefusal,
  departmentMappedSignal,
  getFollowUpStateQuery,
  recordContactUpdate,
  surveyAnsweredSignal,
  switchToPhoneSignal,
  SWITCH_TO_PHONE_LABELS,
  type ContactReply,
  type ContactResult,
  type FollowUpInput,
  type FollowUpPlan,
  type FollowUpState,
  type TouchpointState,
  markUrgentSignal,
  callEventSignal,
  CALL_UNANSWERED_LABELS,
} from './contracts.js';
import { followUpDetails, GREETING_WAIT_SUMMARY, phoneTaskWatchSummary, surveyReplyWaitSummary, touchpointWaitSummary } from './details.js';

const db = summarizedActivities<Activities>(ACTIVITY_TIMEOUTS.database);
const local = summarizedLocalActivities<Activities>(ACTIVITY_TIMEOUTS.localDatabase);

const OPEN_STATUSES = new Set(['scheduled', 'open']);

export async function followUpWorkflow(input: FollowUpInput): Promise<FollowUpState> {
  const { workflowId } = workflowInfo();
  // Planning (with its projection row), the greeting and the closing row are millisecond
  // database steps: as local activities they run inside the workflow task instead of costing a
  // task round trip each (bench:ingest).
  const localSteps = patched('local-planning-steps');
  const steps = localSteps ? local : db;
  // Cancelling the follow-up cancels this scope, which cuts short the sleep until the next
  // touchpoint. A plain sleep in it costs far less workflow work than condition(fn, timeout).
  const touchpointSleeps = new CancellationScope();
  const now = () => new Date(Date.now()).toISOString(); // Temporal's deterministic clock
  const state: FollowUpState = {
    encounterId: input.encounterId,
    departmentCode: null,
    status: 'planning',
    startedAt: new Date(workflowInfo().startTime).toISOString(),
    touchpoints: [],
    urgent: false,
    history: [],
  };
  const questionsOf: Question[][] = [];
  let cancelled = false;
  let busy = false; // one contact result at a time: they share the task state
  // True while a task is being created: its row (and so the agent's link) may exist before the
  // workflow has the activity's answer; a contact for it then waits instead of being refused.
  let openingTask = false;

  const log = (event: string, detail?: string) => state.history.push({ at: now(), event, ...(detail ? { detail } : {}) });
  const publish = () => {
    upsertSearchAttributes([
      { key: DepartmentKey, value: state.departmentCode ?? UNASSIGNED_DEPARTMENT },
      { key: FollowUpStatusKey, value: state.status },
      { key: UrgentKey, value: state.urgent },
    ]);
    describe();
  };
  /** What the Temporal UI shows supervisors: the follow-up and what it waits for now (not part of the history). */
  const describe = () => setCurrentDetails(followUpDetails(state));

  /** Why a contact result cannot be taken now (with the answers at fault, if any), or null. */
  function refusal(result: ContactResult): { message: string; problems?: FieldProblem[] } | null {
    if (cancelled) return { message: `随访已取消(${state.cancelReason ? CANCEL_REASON_LABELS[state.cancelReason] : ''}),不能再记录` };
    const tp = state.touchpoints.find((t) => t.taskId === result.taskId);
    if (!tp) return openingTask ? null : { message: '该任务不属于这次随访' };
    const closed = closedTaskRefusal(tp.status);
    if (closed) return { message: closed };
    if (result.outcome === 'completed') {
      const problems = validateAnswers(questionsOf[tp.index] ?? [], result.answers ?? {});
      if (problems.length) return { message: problems.map((p) => `${p.field}: ${p.message}`).join('; '), problems };
    }
    return null;
  }

  async function applyContact(result: ContactResult): Promise<ContactReply> {
    await condition(() => !busy && !openingTask);
    const refused = refusal(result); // re-checked: another result may have closed the task meanwhile
    if (refused) throw refuse(CONTACT_REFUSED, refused.message, refused.problems);
    busy = true;
    try {
      const tp = state.touchpoints.find((t) => t.taskId === result.taskId)!;
      const attempt = tp.attempts + 1;
      const flags = result.outcome === 'completed' ? redFlags(questionsOf[tp.index] ?? [], result.answers ?? {}) : [];
      // The log is read by people: the questions by their text (state only, so replay is unaffected).
      const flagTexts = () => questionTexts(questionsOf[tp.index] ?? [], flags);
      let status: TouchpointState['status'] = 'open';
      let retryAt: string | undefined;
      if (result.outcome === 'completed') status = 'completed';
      else if (result.outcome === 'refused') status = 'refused';
      else if (result.outcome === 'wrong_number' || attempt >= tp.maxAttempts) status = 'unreachable';
      else retryAt = new Date(Date.now() + retryAfterMs(tp)).toISOString();

      // Stored first; the workflow's own state moves only once the record (and any alert) is safe.
      await db.recordAttempt({
        taskId: tp.taskId!,
        attempt,
        outcome: result.outcome,
        taskStatus: status,
        actorId: result.actorId,
        note: result.note,
        answers: result.answers,
        redFlags: flags,
        retryAt,
        feedback: result.feedback,
      });
      tp.attempts = attempt;
      tp.retryAt = retryAt;
      log(
        `第 ${tp.index + 1} 次随访:${result.actorId ? '客服记录' : '患者回复'}「${CONTACT_OUTCOME_LABELS[result.outcome]}」`,
        flags.length ? `红旗:${flagTexts().join('、')}` : result.feedback ? '已记录反馈' : undefined,
      );
      const ticketsFromFollowUps = patched('tickets-from-follow-ups');
      if (flags.length) {
        tp.urgent = true;
        state.urgent = true;
        publish();
        await db.raiseRedFlagAlert({ workflowId, taskId: tp.taskId!, questionIds: flags });
        log('红旗预警已通知科室', flagTexts().join('、'));
        if (ticketsFromFollowUps) await startTicket(await db.openTicketForRedFlag({ taskId: tp.taskId! }));
      }
      if (result.feedback && ticketsFromFollowUps) {
        const kind = result.feedback.kind ?? 'complaint';
        // Praise and suggestions reach their department as information: no ticket, no SLA clock.
        if (kind !== 'complaint' && patched('feedback-information')) {
          const routed = await db.routeFeedbackInformation({ taskId: tp.taskId!, attempt });
          log(`已转${FEEDBACK_KIND_LABELS[kind]}(信息)`, routed.departmentName ?? '未分配科室');
        } else {
          await startTicket(await db.openTicketForFeedback({ taskId: tp.taskId!, attempt }));
        }
      }
      tp.status = status;
      if (tp.status === 'refused') cancel('opt_out');
      describe();
      return { taskId: tp.taskId!, taskStatus: tp.status, urgent: tp.urgent, redFlags: flags };
    } finally {
      busy = false;
    }
  }

  function cancel(reason: NonNullable<FollowUpState['cancelReason']>) {
    if (cancelled || ['completed', 'unreachable', 'cancelled', 'no_plan'].includes(state.status)) return;
    cancelled = true;
    state.cancelReason = reason;
    if (localSteps) touchpointSleeps.cancel();
  }

  setHandler(getFollowUpStateQuery, () => state);
  setHandler(cancelFollowUpSignal, ({ reason }) => cancel(reason));
  setHandler(markUrgentSignal, ({ taskId, reason }) => {
    const tp = state.touchpoints.find((t) => t.taskId === taskId);
    if (!tp || tp.urgent || tp.status !== 'open') return;
    tp.urgent = true;
    state.urgent = true;
    log(`第 ${tp.index + 1} 次随访:客服标红`, reason);
    publish();
  });
  setHandler(departmentMappedSignal, ({ departmentCode }) => {
    if (state.departmentCode) return; // only an unassigned follow-up moves
    state.departmentCode = departmentCode;
    log('已映射到科室', departmentCode);
    publish();
  });
  setHandler(surveyAnsweredSignal, async (result) => {
    // A late or duplicate survey reply is ignored rather than failing the workflow.
    if (refusal(result) === null) await applyContact(result).catch(() => undefined);
  });
  if (patched('survey-phone-fallback')) {
    setHandler(switchToPhoneSignal, async ({ taskId, reason }) => {
      const tp = state.touchpoints.find((t) => t.taskId === taskId);
      if (!tp || tp.status !== 'open' || tp.channel === 'phone' || cancelled) return;
      tp.channel = 'phone';
      await db.moveTaskToPhone({ taskId });
      log(`第 ${tp.index + 1} 次随访转为电话`, SWITCH_TO_PHONE_LABELS[reason]);
    });
  }
  // Calls placed through telephony (issue 16). A new handler issues no command until its first
  // call event arrives, so histories recorded before it replay unchanged.
  const callEventsTaken = new Set<string>(); // a resent callback signals again: each event counts once
  setHandler(callEventSignal, async (e) => {
    const tp = state.touchpoints.find((t) => t.taskId === e.taskId);
    const key = `${e.callId}:${e.event}`;
    if (!tp || callEventsTaken.has(key)) return;
    callEventsTaken.add(key);
    const n = tp.index + 1;
    if (e.event === 'placed') log(`第 ${n} 次随访:${e.actorId ? '客服拨打电话' : '自动语音回访呼叫'}`, `通话 ${e.callId}`);
    else if (e.event === 'answered') log(`第 ${n} 次随访:电话已接通`, `通话 ${e.callId}`);
    else if (e.event === 'recorded') log(`第 ${n} 次随访:通话录音已保存`, `通话 ${e.callId} · 录音 ${e.recordingSid ?? ''}${e.durationSeconds !== undefined ? ` · ${e.durationSeconds} 秒` : ''}`);
    else {
      const why = CALL_UNANSWERED_LABELS[e.outcome ?? 'no_answer'];
      const result: ContactResult = { taskId: e.taskId, outcome: 'no_answer', note: `电话${why}(通话 ${e.callId})`, ...(e.actorId ? { actorId: e.actorId } : {}) };
      // Counted once, like an agent's 未接通: a task already settled (or a duplicate) is left as it is.
      if (refusal(result) === null) await applyContact(result).catch(() => undefined);
    }
  });
  setHandler(recordContactUpdate, applyContact, {
    validator: (result) => {
      const refused = refusal(result);
      if (refused) throw refuse(CONTACT_REFUSED, refused.message, refused.problems);
    },
  });

  const plan = localSteps
    ? await local.planFollowUp({ workflowId, encounterId: input.encounterId, now: now() })
    : await db.loadFollowUpPlan(input.encounterId);
  state.departmentCode = plan.departmentCode;
  state.touchpoints = plan.touchpoints.map(
    (tp): TouchpointState => ({
      index: tp.index,
      dueAt: tp.dueAt,
      templateCode: tp.templateCode,
      channel: tp.channel,
      status: 'scheduled',
      attempts: 0,
      maxAttempts: tp.maxAttempts,
      retryAfterSeconds: tp.retryAfterSeconds,
      urgent: false,
    }),
  );
  plan.touchpoints.forEach((tp) => (questionsOf[tp.index] = tp.questions));
  state.status = plan.touchpoints.length ? 'scheduled' : 'no_plan';
  log('随访计划已生成', plan.ruleName ?? '无适用规则');
  publish();
  if (!localSteps) {
    await db.recordFollowUpEvent({ workflowId, step: 'planned', kind: 'planned', details: { rule: plan.ruleName, touchpoints: plan.touchpoints.length } });
  }

  // The greeting runs beside the touchpoints: an evening discharge's greeting waits for the
  // morning without holding back a touchpoint that is due earlier (short test/demo timings).
  let finished = false;
  const greeting = plan.greeting ? greet(plan.greeting) : Promise.resolve();
  const phoneWatches: Promise<void>[] = [];
  const stillOpen = () => state.touchpoints.some((t) => t.status === 'open');

  for (const tp of state.touchpoints) {
    if (cancelled) break;
    describe();
    if (!(await sleepUntil(tp.dueAt, touchpointWaitSummary(tp)))) break;
    openingTask = true;
    const task = await db.openTask({ workflowId, encounterId: input.encounterId, touchpoint: plan.touchpoints[tp.index]! });
    tp.taskId = task.taskId;
    tp.status = 'open';
    openingTask = false;
    state.status = 'awaiting_contact';
    publish();
    log(`第 ${tp.index + 1} 次随访任务已生成`, task.assignedAgentId ? undefined : '待分配');

    if (tp.channel !== 'phone') {
      // Survey by SMS/WeChat: resend after each silent interval, unreachable after the last, or
      // handed to an agent (switchToPhoneSignal).
      while (tp.status === 'open' && !cancelled && tp.channel !== 'phone') {
        const attemptsBefore = tp.attempts;
        await db.queuePatientMessage({
          workflowId,
          step: `survey:${tp.index}:${attemptsBefore + 1}`,
          encounterId: input.encounterId,
          channel: tp.channel,
          body: `survey:${tp.taskId}`,
        });
        const settled = await condition(
          () => tp.status !== 'open' || cancelled || tp.attempts > attemptsBefore || tp.channel === 'phone',
          retryAfterMs(tp),
          { summary: surveyReplyWaitSummary(tp) },
        );
        const silent: ContactResult = { taskId: tp.taskId!, outcome: 'no_answer', note: '问卷未回复' };
        if (!settled) {
          // An answer being recorded right at the deadline settles the task first: then the
          // silence is not recorded (applyContact would refuse it and fail the whole follow-up).
          await condition(() => !busy && !openingTask);
          if (refusal(silent) === null) await applyContact(silent);
        }
      }
    }
    // Agents call (a phone touchpoint, or a survey handed to an agent); each 未接通 moves the task's
    // due time by the retry interval (see applyContact).
    if (tp.channel === 'phone') {
      if (patched('unworked-phone-escalation') && task.escalateAfterSeconds !== undefined) {
        // The next touchpoints do not wait for this task: it is watched beside them.
        const watch = watchPhoneTask(tp, task.escalateAfterSeconds);
        void watch.catch(() => undefined); // its failure surfaces where it is awaited, after the loop
        phoneWatches.push(watch);
      } else {
        await condition(() => tp.status !== 'open' || cancelled);
      }
    }
    // A phone task watched beside the next touchpoints may still be open (never before that patch).
    state.status = !cancelled && stillOpen() ? 'awaiting_contact' : 'scheduled';
    publish();
  }
  await Promise.all(phoneWatches);

  if (cancelled) {
    await condition(() => !busy);
    for (const tp of state.touchpoints) if (OPEN_STATUSES.has(tp.status)) tp.status = 'cancelled';
    const count = await db.cancelOpenTasks({ workflowId });
    state.status = 'cancelled';
    log('随访已取消', `${state.cancelReason ? CANCEL_REASON_LABELS[state.cancelReason] : ''}${count ? `,取消 ${count} 个待办任务` : ''}`);
  } else if (state.status !== 'no_plan') {
    state.status = state.touchpoints.some((t) => t.status === 'completed') ? 'completed' : 'unreachable';
    log(state.status === 'completed' ? '随访完成' : '随访结束:无法联系');
  }
  finished = true;
  await greeting;
  // A contact being recorded (alert, feedback) finishes before the workflow does.
  await condition(allHandlersFinished);
  state.nextWakeUp = undefined;
  publish();
  await steps.recordFollowUpEvent({ workflowId, step: 'closed', kind: state.status, details: { reason: state.cancelReason } });
  return state;

  async function greet({ at, text, queued }: NonNullable<FollowUpPlan['greeting']>): Promise<void> {
    state.greetingAt = at;
    if (queued) {
      log('出院关怀短信已发送');
      return;
    }
    const timing = greetingTiming(new Date(at), new Date(Date.now()));
    if (timing.action === 'stale') {
      log('出院关怀未发送', '出院信息到达时已超过一天');
      return;
    }
    if (timing.action === 'wait') {
      try {
        await condition(() => cancelled || finished, timing.waitMs, { summary: GREETING_WAIT_SUMMARY });
      } catch (err) {
        // The whole workflow was cancelled: the main flow fails with it; nothing to send.
        if (isCancellation(err)) return;
        throw err;
      }
    }
    if (cancelled || finished) {
      log('出院关怀未发送', cancelled ? '随访已取消' : '随访已结束');
      return;
    }
    await steps.queuePatientMessage({ workflowId, step: 'greeting', encounterId: input.encounterId, channel: 'sms', body: text });
    log('出院关怀短信已发送');
  }

  /**
   * Waits for an open phone task to be settled; if nobody has settled it after `limitSeconds`,
   * the department's head is told once and it keeps waiting.
   */
  async function watchPhoneTask(tp: TouchpointState, limitSeconds: number): Promise<void> {
    const settled = () => tp.status !== 'open' || cancelled;
    if (!(await condition(settled, limitSeconds * 1000, { summary: phoneTaskWatchSummary(tp, limitSeconds) }))) {
      const { escalated } = await db.escalateUnworkedTask({ workflowId, taskId: tp.taskId!, touchpointIndex: tp.index });
      if (escalated) log(`第 ${tp.index + 1} 次随访任务超时未处理`, '已通知科室主任');
      await condition(settled);
    }
    if (state.status === 'awaiting_contact' && !stillOpen()) {
      state.status = 'scheduled';
      publish();
    }
  }

  /** Starts the ticket's own workflow, which outlives this follow-up. */
  async function startTicket({ ticketId, number }: { ticketId: string; number: string }): Promise<void> {
    try {
      await startChild(feedbackTicketWorkflow, { ...ticketStart({ ticketId, number }, 'follow-up').options, parentClosePolicy: 'ABANDON' });
      log('已生成工单', number);
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }

  /** Sleeps until `iso` on Temporal's clock; false if cancelled meanwhile. */
  async function sleepUntil(iso: string, summary: string): Promise<boolean> {
    const ms = Date.parse(iso) - Date.now();
    if (ms > 0) {
      state.nextWakeUp = iso;
      if (localSteps) {
        await touchpointSleeps.run(() => sleep(ms, { summary })).catch((err: unknown) => {
          // Our own cancel() ends the sleep; a cancellation of the whole workflow still fails it.
          if (!(cancelled && isCancellation(err))) throw err;
        });
      } else {
        await condition(() => cancelled, ms, { summary });
      }
      state.nextWakeUp = undefined;
    }
    return !cancelled;
  }
}

const retryAfterMs = (tp: TouchpointState) => tp.retryAfterSeconds * 1000;
