/**
 * The ticket's states and categories with their Chinese labels (each declared once). No Temporal
 * imports, so portal components use this module in the browser; the contracts module re-exports it
 * as part of the process's vocabulary.
 */
export type TicketStatus = 'open' | 'in_progress' | 'resolved' | 'closed';

export const TICKET_STATUS_LABELS: Record<TicketStatus, string> = { open: '待处理', in_progress: '处理中', resolved: '已解决', closed: '已关闭' };

/** Waiting for the department (the SLA clock runs). */
export const ACTIVE_TICKET_STATUSES: readonly TicketStatus[] = ['open', 'in_progress'];

export const isActiveTicket = (status: TicketStatus): boolean => ACTIVE_TICKET_STATUSES.includes(status);

/** What a patient can complain about during a follow-up (or at the front desk). */
export const FEEDBACK_CATEGORIES = ['service_attitude', 'medical_quality', 'environment', 'process'] as const;
export type FeedbackCategory = (typeof FEEDBACK_CATEGORIES)[number];

export const FEEDBACK_CATEGORY_LABELS: Record<FeedbackCategory, string> = { service_attitude: '服务态度', medical_quality: '医疗质量', environment: '环境设施', process: '流程问题' };

/**
 * What kind of feedback the patient gave. Only a complaint (投诉) becomes a ticket with the SLA
 * clock; praise (表扬) and suggestions (建议) go to the responsible department as information
 * (read and acknowledged there, counted in the reports), with no clock, escalation or rating.
 */
export const FEEDBACK_KINDS = ['complaint', 'praise', 'suggestion'] as const;
export type FeedbackKind = (typeof FEEDBACK_KINDS)[number];
export const FEEDBACK_KIND_LABELS: Record<FeedbackKind, string> = { complaint: '投诉', praise: '表扬', suggestion: '建议' };
export const isFeedbackKind = (value: unknown): value is FeedbackKind => typeof value === 'string' && Object.hasOwn(FEEDBACK_KIND_LABELS, value);

/** A ticket's category: a patient's feedback, or red-flag answers in a follow-up. */
export const TICKET_CATEGORIES = [...FEEDBACK_CATEGORIES, 'red_flag'] as const;
export type TicketCategory = (typeof TICKET_CATEGORIES)[number];
export const TICKET_CATEGORY_LABELS: Record<TicketCategory, string> = { ...FEEDBACK_CATEGORY_LABELS, red_flag: '红旗预警' };

export const isTicketCategory = (value: unknown): value is TicketCategory => typeof value === 'string' && Object.hasOwn(TICKET_CATEGORY_LABELS, value);

/** A stored category's label (a code this version does not know is shown as it is). */
export const ticketCategoryLabel = (category: string): string => (isTicketCategory(category) ? TICKET_CATEGORY_LABELS[category] : category);

/** By escalation level: 0 none, 1 department head and supervisors, 2 management. */
export const ESCALATION_LABELS: readonly string[] = ['未升级', '一级（科主任、督导）', '二级（管理层）'];

/** An escalation level's label (a level beyond the known ones by its number). */
export const escalationLabel = (level: number): string => ESCALATION_LABELS[level] ?? `${level} 级`;
