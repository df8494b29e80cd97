/**
 * Contracts of the follow-up workflow shared by API, web and worker: input/state types,
 * signals, queries, updates, search-attribute keys and the workflow-ID helper. No side effects
 * here, so the workflow bundle may import it.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey } from '@temporalio/common';
import type { Answers } from '../domain/questions.js';

export const FOLLOW_UP_WORKFLOW_TYPE = 'followUpWorkflow';

/** Workflow inputs carry IDs only (no names, phones or addresses). */
export interface FollowUpInput {
  /** HIS encounter ID (PV1-19 / the Encounter's identifier). */
  encounterId: string;
}

export type FollowUpStatus = 'planning' | 'scheduled' | 'awaiting_contact' | 'completed' | 'unreachable' | 'cancelled' | 'no_plan';

export type TouchpointStatus = 'scheduled' | 'open' | 'completed' | 'unreachable' | 'refused' | 'cancelled';

export type ContactOutcome = 'completed' | 'no_answer' | 'wrong_number' | 'refused';

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

export const CANCEL_REASONS = ['readmission', 'death', 'opt_out', 'discharge_cancelled'] as const;
export type CancelReason = (typeof CANCEL_REASONS)[number];

export const CANCEL_REASON_LABELS: Record<CancelReason, string> = {
  readmission: '再次入院',
  death: '患者死亡',
  opt_out: '患者拒绝随访',
  discharge_cancelled: 'HIS 取消出院',
};

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
  category: FeedbackCategory;
  description: string;
  /** Problem taxonomy label (用药指导不清晰 …). */
  subtag?: string;
  /** Another target department than the routing table's, with the reason. */
  departmentCode?: string;
  reason?: string;
}

export const FEEDBACK_CATEGORIES = ['service_attitude', 'medical_quality', 'environment', 'process'] as const;
export type FeedbackCategory = (typeof FEEDBACK_CATEGORIES)[number];
export const FEEDBACK_CATEGORY_LABELS: Record<FeedbackCategory, string> = {
  service_attitude: '服务态度',
  medical_quality: '医疗质量',
  environment: '环境设施',
  process: '流程问题',
};

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
/** An agent records a call; refused with a reason if the task is not the open one. */
export const recordContactUpdate = defineUpdate<ContactReply, [ContactResult]>('recordContact');
export const getFollowUpStateQuery = defineQuery<FollowUpState>('getState');

export const DepartmentKey = defineSearchAttributeKey('Department', 'KEYWORD');
export const FollowUpStatusKey = defineSearchAttributeKey('FollowUpStatus', 'KEYWORD');
export const UrgentKey = defineSearchAttributeKey('Urgent', 'BOOL');

/** Department search-attribute value while the HIS code is not mapped to a department. */
export const UNASSIGNED_DEPARTMENT = 'UNASSIGNED';

/** One encounter, one workflow: a resent discharge can never start a second one. */
export function followUpWorkflowId(encounterId: string): string {
  return `followup-${encounterId}`;
}
