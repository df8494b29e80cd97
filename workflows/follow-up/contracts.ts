/**
 * The follow-up process's vocabulary (`followUpWorkflow`, one per discharged encounter, ID
 * `followup-<encounter>`), shared by API, web, activities, worker and tests: how it is started,
 * its input and state, signals, queries and updates, search attributes, Chinese labels, the
 * activities' inputs and outputs, and what a principal may do with its tasks. No side effects, so
 * the workflow bundle imports it too.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey } from '@temporalio/common';
import { canViewTask, speaksWithPatients, type Principal } from '../../domain/access.js';
import type { Channel } from '../../domain/follow-up-plan.js';
import type { Answers, Question } from '../../domain/questions.js';
import type { FeedbackCategory, FeedbackKind } from '../feedback-ticket/contracts.js';
import { DepartmentKey, UNASSIGNED_DEPARTMENT, UrgentKey } from '../shared/search-attributes.js';
import type { StartRequest } from '../shared/start.js';
import { TOUCHPOINT_STATUS_LABELS, type CancelReason, type ContactOutcome, type FollowUpStatus, type TouchpointStatus } from './labels.js';

// States, outcomes, cancel reasons and their labels live in ./labels.ts (safe in the browser).
export * from './labels.js';
export { CHANNELS, type Channel } from '../../domain/follow-up-plan.js';
export { FEEDBACK_CATEGORIES, FEEDBACK_CATEGORY_LABELS, FEEDBACK_KINDS, FEEDBACK_KIND_LABELS, type FeedbackCategory, type FeedbackKind } from '../feedback-ticket/contracts.js';
export { DepartmentKey, UNASSIGNED_DEPARTMENT, UrgentKey } from '../shared/search-attributes.js';

// ---------------------------------------------------------------- type, ID, start

export const FOLLOW_UP_WORKFLOW_TYPE = 'followUpWorkflow';
export type FollowUpWorkflow = (input: FollowUpInput) => Promise<FollowUpState>;

/** One encounter, one workflow: a resent discharge can never start a second one. */
export function followUpWorkflowId(encounterId: string): string {
  return `followup-${encounterId}`;
}

/**
 * The follow-up of one encounter. A closed follow-up of the same encounter is not restarted by a
 * resent message; `again` (the discharge was cancelled, then discharged anew) lets it run again.
 */
export function followUpStart(
  input: FollowUpInput,
  { departmentCode, departmentName = null, again = false }: { departmentCode: string | null; departmentName?: string | null; again?: boolean },
): StartRequest<FollowUpWorkflow> {
  return {
    workflowType: FOLLOW_UP_WORKFLOW_TYPE,
    options: {
      workflowId: followUpWorkflowId(input.encounterId),
      args: [input],
      workflowIdReusePolicy: again ? 'ALLOW_DUPLICATE' : 'REJECT_DUPLICATE',
      typedSearchAttributes: [{ key: DepartmentKey, value: departmentCode ?? UNASSIGNED_DEPARTMENT }],
      staticSummary: `出院随访 · ${departmentName ?? (departmentCode ? `科室 ${departmentCode}` : '未分配科室')} · 就诊号 ${input.encounterId}`,
    },
  };
}

// ---------------------------------------------------------------- input, state

/** Workflow inputs carry IDs only (no names, phones or addresses). */
export interface FollowUpInput {
  /** HIS encounter ID (PV1-19 / the Encounter's identifier). */
  encounterId: string;
}

export interface TouchpointState {
  index: number;
  dueAt: string;
  templateCode: string;
  channel: string;
  status: TouchpointStatus;
  taskId?: string;
  attempts: number;
  maxAttempts: number;
  retryAfterSeconds: number;
  /** When the next attempt is due (after a failed call), if any. */
  retryAt?: string;
  urgent: boolean;
}

export interface HistoryEntry {
  at: string;
  event: string;
  detail?: string;
}

export interface FollowUpState {
  encounterId: string;
  departmentCode: string | null;
  status: FollowUpStatus;
  startedAt: string;
  greetingAt?: string;
  touchpoints: TouchpointState[];
  /** The instant of the next timer the workflow sleeps until, if it is sleeping. */
  nextWakeUp?: string;
  urgent: boolean;
  cancelReason?: CancelReason;
  history: HistoryEntry[];
}

// ---------------------------------------------------------------- signals, queries, updates

/** The outcome of one contact attempt, from an agent (Update) or the patient's own survey reply (signal). */
export interface ContactResult {
  taskId: string;
  outcome: ContactOutcome;
  answers?: Answers;
  note?: string;
  /** Staff user who made the call; absent when the patient answered the survey. */
  actorId?: string;
  feedback?: FeedbackInput;
}

export interface FeedbackInput {
  /** Absent: a complaint (what every feedback was before praise and suggestions were told apart). */
  kind?: FeedbackKind;
  /** The topic (服务态度, 环境设施 …): for a complaint also its routing; for information, where it goes. */
  category: FeedbackCategory;
  description: string;
  /** Problem taxonomy label (用药指导不清晰 …). */
  subtag?: string;
  /** Another target department than the routing table's, with the reason. */
  departmentCode?: string;
  reason?: string;
}

export interface ContactReply {
  taskId: string;
  taskStatus: TouchpointStatus;
  urgent: boolean;
  redFlags: string[];
}

export const cancelFollowUpSignal = defineSignal<[{ reason: CancelReason }]>('cancelFollowUp');
/** An admin mapped the encounter's HIS department code: the follow-up now belongs to that department. */
export const departmentMappedSignal = defineSignal<[{ departmentCode: string }]>('departmentMapped');
/** The patient answered the survey link themselves (the channel adapters send it). */
export const surveyAnsweredSignal = defineSignal<[ContactResult]>('surveyAnswered');
/** 标红: an agent marks an open task urgent by hand (with the reason), not only through red flags. */
export const markUrgentSignal = defineSignal<[{ taskId: string; reason: string }]>('markUrgent');
/**
 * An agent records a call; refused (a {@link CONTACT_REFUSED} failure, see workflows/shared/refusal.ts)
 * if the task is not the open one, with the answers at fault listed as data.
 */
export const recordContactUpdate = defineUpdate<ContactReply, [ContactResult]>('recordContact');
export const getFollowUpStateQuery = defineQuery<FollowUpState>('getState');
/**
 * The outbox dispatcher hands a survey touchpoint to the agents' call list: the patient is too
 * old for a link, no channel reaches them, every delivery failed, or the link went unanswered.
 */
export const switchToPhoneSignal = defineSignal<[{ taskId: string; reason: 'elderly' | 'no_channel' | 'delivery_failed' | 'unanswered' | 'ivr_transfer' }]>('switchToPhone');
export const SWITCH_TO_PHONE_LABELS = {
  elderly: '患者年龄较大,改为电话随访',
  no_channel: '无可用短信/微信渠道,改为电话随访',
  delivery_failed: '消息投递失败,改为电话随访',
  unanswered: '问卷链接未回复,改为电话随访',
  ivr_transfer: '患者在语音回访中按 0 转人工',
} as const;

/**
 * What happened to a call placed for a task (issue 16), by IDs only (the call's row ID, Twilio's
 * recording SID): placed, answered, recorded, or not answered by the patient, which counts as an
 * attempt (未接通) and follows the retry policy without the agent recording it.
 */
export interface CallEvent {
  taskId: string;
  callId: string;
  event: 'placed' | 'answered' | 'unanswered' | 'recorded';
  /** `unanswered`: why (no answer, busy, the call failed). */
  outcome?: 'no_answer' | 'busy' | 'failed';
  /** The agent who placed it (absent for the automated survey call). */
  actorId?: string;
  recordingSid?: string;
  durationSeconds?: number;
}
export const callEventSignal = defineSignal<[CallEvent]>('callEvent');
export const CALL_UNANSWERED_LABELS = { no_answer: '无人接听', busy: '忙线', failed: '呼叫失败' } as const;

/** The failure type of a refused contact. */
export const CONTACT_REFUSED = 'ContactRefused';

// ---------------------------------------------------------------- search attributes

export const FollowUpStatusKey = defineSearchAttributeKey('FollowUpStatus', 'KEYWORD');

/** Every search attribute the follow-up sets (registered on the namespace from this list). */
export const followUpSearchAttributes = [DepartmentKey, FollowUpStatusKey, UrgentKey] as const;

// ---------------------------------------------------------------- activities' inputs and outputs

export interface PlannedTouchpoint {
  index: number;
  dueAt: string;
  templateId: string;
  templateCode: string;
  questions: Question[];
  channel: Channel;
  maxAttempts: number;
  retryAfterSeconds: number;
}

export interface FollowUpPlan {
  departmentCode: string | null;
  ruleName: string | null;
  /** `queued`: planFollowUp already queued it (it was due at once). */
  greeting: { at: string; text: string; queued?: boolean } | null;
  touchpoints: PlannedTouchpoint[];
}

export interface FollowUpEvent {
  workflowId: string;
  /** Unique per workflow: a retried activity finds its row already there. */
  step: string;
  kind: string;
  details?: Record<string, unknown>;
}

export interface OpenTaskInput {
  workflowId: string;
  encounterId: string;
  touchpoint: PlannedTouchpoint;
}

export interface OpenedTask {
  taskId: string;
  assignedAgentId: string | null;
  departmentCode: string | null;
  /**
   * A phone task still open this long after it opened is escalated to the department's head, and
   * later touchpoints do not wait for it (FOLLOW_UP_ESCALATE_AFTER_SECONDS, read when it opens).
   */
  escalateAfterSeconds?: number;
}

/** The department head's notice about a phone task nobody worked in time (once per task). */
export interface UnworkedTaskEscalation {
  workflowId: string;
  taskId: string;
  touchpointIndex: number;
}

export interface AttemptRecord {
  taskId: string;
  attempt: number;
  outcome: ContactOutcome;
  taskStatus: TouchpointStatus;
  actorId?: string;
  note?: string;
  answers?: Answers;
  redFlags: string[];
  /** Next due time after a failed attempt (the task comes back to the queue then). */
  retryAt?: string;
  feedback?: FeedbackInput;
}

/** Praise or a suggestion routed to its department as information (no ticket). */
export interface RoutedFeedback {
  feedbackId: string;
  departmentCode: string | null;
  departmentName: string | null;
}

// ---------------------------------------------------------------- what a principal may do

export type TaskAction = 'record';

/** A follow-up task as the permission rules see it (its row, or the workflow's touchpoint). */
export interface TaskFacts {
  status: TouchpointStatus;
  departmentCode: string | null;
  assignedAgentId: string | null;
}

/** Why a touchpoint in this state takes no contact, or null: the workflow's validator and {@link contactRefusal}. */
export function closedTaskRefusal(status: TouchpointStatus): string | null {
  return status === 'open' ? null : `该任务已结束(${TOUCHPOINT_STATUS_LABELS[status]}),不能重复记录`;
}

/**
 * Why `principal` may not record a contact on `task` now, or null. `forbidden`: the task is not
 * theirs to record (their role, another department's, another agent's); otherwise it has ended.
 */
export function contactRefusal(task: TaskFacts, principal: Principal): { forbidden: boolean; message: string } | null {
  if (!speaksWithPatients(principal.role)) return { forbidden: true, message: '只有客服可以记录随访' };
  if (!canViewTask(principal, task)) return { forbidden: true, message: '该任务不属于您' };
  const closed = closedTaskRefusal(task.status);
  return closed ? { forbidden: false, message: closed } : null;
}

/** What `principal` may do with the task now (the service checks, the task page shows). */
export function allowedActions(task: TaskFacts, principal: Principal): TaskAction[] {
  return contactRefusal(task, principal) ? [] : ['record'];
}
