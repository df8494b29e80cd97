/**
 * The follow-up's states, outcomes and reasons with their Chinese labels (each declared once). No
 * Temporal imports, so portal components use this module in the browser; the contracts module
 * re-exports it as part of the process's vocabulary.
 */
export { CHANNEL_LABELS } from '../../domain/follow-up-plan.js';

export type FollowUpStatus = 'planning' | 'scheduled' | 'awaiting_contact' | 'completed' | 'unreachable' | 'cancelled' | 'no_plan';

export const FOLLOW_UP_STATUS_LABELS: Record<FollowUpStatus, string> = {
  planning: '生成计划中',
  scheduled: '等待下次随访',
  awaiting_contact: '待联系',
  completed: '已完成',
  unreachable: '无法联系',
  cancelled: '已取消',
  no_plan: '无随访计划',
};

/** A touchpoint's state; its task (the row agents work) has the same states except `scheduled`. */
export type TouchpointStatus = 'scheduled' | 'open' | 'completed' | 'unreachable' | 'refused' | 'cancelled';

/** Task (touchpoint) states; `scheduled` exists only in the workflow, before the task is created. */
export const TOUCHPOINT_STATUS_LABELS: Record<TouchpointStatus, string> = {
  scheduled: '未到期',
  open: '待随访',
  completed: '已完成',
  unreachable: '无法联系',
  refused: '拒访',
  cancelled: '已取消',
};

/** The states of a task row (a touchpoint once its task exists), in the order of the agent's tabs. */
export const TASK_STATUSES = ['open', 'completed', 'unreachable', 'refused', 'cancelled'] as const satisfies readonly TouchpointStatus[];
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const isTaskStatus = (value: unknown): value is TaskStatus => (TASK_STATUSES as readonly unknown[]).includes(value);

export const CONTACT_OUTCOMES = ['completed', 'no_answer', 'wrong_number', 'refused'] as const;
export type ContactOutcome = (typeof CONTACT_OUTCOMES)[number];

export const CONTACT_OUTCOME_LABELS: Record<ContactOutcome, string> = { completed: '完成', no_answer: '未接通', wrong_number: '号码错误', refused: '拒访' };

export const CANCEL_REASONS = ['readmission', 'death', 'opt_out', 'discharge_cancelled'] as const;
export type CancelReason = (typeof CANCEL_REASONS)[number];

export const CANCEL_REASON_LABELS: Record<CancelReason, string> = { readmission: '再次入院', death: '患者死亡', opt_out: '患者拒绝随访', discharge_cancelled: 'HIS 取消出院' };
