/**
 * Contracts of the feedback ticket workflow (one per ticket, ID `ticket-<number>`): input, state,
 * updates the department uses, the patient's rating signal, search attributes.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey } from '@temporalio/common';

export const FEEDBACK_TICKET_WORKFLOW_TYPE = 'feedbackTicketWorkflow';

export interface TicketInput {
  ticketId: string;
}

export type TicketStatus = 'open' | 'in_progress' | 'resolved' | 'closed';

export const TICKET_STATUS_LABELS: Record<TicketStatus, string> = {
  open: '待处理',
  in_progress: '处理中',
  resolved: '已解决',
  closed: '已关闭',
};

export interface TicketState {
  ticketId: string;
  number: string;
  status: TicketStatus;
  departmentCode: string | null;
  receivedAt: string;
  slaDueAt: string;
  slaBreached: boolean;
  /** 0 none, 1 department head + supervisors, 2 management. */
  escalationLevel: number;
  reopenCount: number;
  rating?: number;
  closedReason?: 'rated' | 'no_rating';
  /** When the workflow next wakes up on its own (escalation, rating deadline), if it is waiting on a timer. */
  nextDeadline?: string;
}

/** Who acts; the service layer checks the role and department before calling. */
export interface TicketActor {
  actorId: string;
  actorDepartment: string | null;
}

export const acceptTicketUpdate = defineUpdate<TicketState, [TicketActor]>('accept');
export const addTicketNoteUpdate = defineUpdate<TicketState, [TicketActor & { note: string }]>('addNote');
export const transferTicketUpdate = defineUpdate<TicketState, [TicketActor & { departmentCode: string; reason: string }]>('transfer');
export const resolveTicketUpdate = defineUpdate<TicketState, [TicketActor & { resolution: string }]>('resolve');
/** The patient's verdict on the handling (1–5), from the survey link or an agent's call. */
export const rateTicketSignal = defineSignal<[{ rating: number; via: 'patient' | 'agent'; actorId?: string }]>('rate');
export const getTicketStateQuery = defineQuery<TicketState>('getState');

export const TicketCategoryKey = defineSearchAttributeKey('TicketCategory', 'KEYWORD');
export const TicketStatusKey = defineSearchAttributeKey('TicketStatus', 'KEYWORD');
export const SlaBreachedKey = defineSearchAttributeKey('SlaBreached', 'BOOL');

export function ticketWorkflowId(ticketNumber: string): string {
  return `ticket-${ticketNumber}`;
}
