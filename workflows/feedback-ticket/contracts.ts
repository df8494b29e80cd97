/**
 * The feedback ticket process's vocabulary (`feedbackTicketWorkflow`, one per ticket, ID
 * `ticket-<number>`): how it is started (from a follow-up or directly, with one ID-reuse policy),
 * input and state, the department's Updates, the patient's rating signal, search attributes,
 * Chinese labels, the activities' inputs and outputs, and what a principal may do with a ticket.
 * No side effects, so the workflow bundle imports it too.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey } from '@temporalio/common';
import { canViewTicket, handlesTickets, seesAllDepartments, speaksWithPatients, supervisesTickets, type Principal } from '../../domain/access.js';
import { DepartmentKey, UrgentKey } from '../shared/search-attributes.js';
import type { StartRequest } from '../shared/start.js';
import { isActiveTicket, TICKET_STATUS_LABELS, type TicketStatus } from './labels.js';

// States, categories, escalation levels and their labels live in ./labels.ts (safe in the browser).
export * from './labels.js';
export { DepartmentKey, UNASSIGNED_DEPARTMENT, UrgentKey } from '../shared/search-attributes.js';

// ---------------------------------------------------------------- type, ID, start

export const FEEDBACK_TICKET_WORKFLOW_TYPE = 'feedbackTicketWorkflow';
export type FeedbackTicketWorkflow = (input: TicketInput) => Promise<TicketState>;

export function ticketWorkflowId(ticketNumber: string): string {
  return `ticket-${ticketNumber}`;
}

/**
 * A ticket's workflow, however the ticket arose: one run per ticket, ever. A second start for the
 * same ticket (a retried activity, a resent complaint) finds the running or closed one and is
 * refused, so a closed ticket is never reopened by a duplicate.
 */
export function ticketStart(ticket: { ticketId: string; number: string }, source: 'follow-up' | 'direct'): StartRequest<FeedbackTicketWorkflow> {
  return {
    workflowType: FEEDBACK_TICKET_WORKFLOW_TYPE,
    options: {
      workflowId: ticketWorkflowId(ticket.number),
      args: [{ ticketId: ticket.ticketId }],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      staticSummary: `${source === 'follow-up' ? '投诉/预警工单' : '投诉工单'} ${ticket.number}`,
    },
  };
}

// ---------------------------------------------------------------- input, state

export interface TicketInput {
  ticketId: string;
}

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

// ---------------------------------------------------------------- updates, signals, queries

/** Who acts, as the workflow sees them: the department they act for, or null for every department (an admin). */
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

/** The failure type of a refused department action (see workflows/shared/refusal.ts). */
export const TICKET_ACTION_REFUSED = 'TicketActionRefused';

// ---------------------------------------------------------------- search attributes

export const TicketCategoryKey = defineSearchAttributeKey('TicketCategory', 'KEYWORD');
export const TicketStatusKey = defineSearchAttributeKey('TicketStatus', 'KEYWORD');
export const SlaBreachedKey = defineSearchAttributeKey('SlaBreached', 'BOOL');

/** Every search attribute the ticket sets (registered on the namespace from this list). */
export const ticketSearchAttributes = [TicketCategoryKey, TicketStatusKey, DepartmentKey, SlaBreachedKey, UrgentKey] as const;

// ---------------------------------------------------------------- activities' inputs and outputs

export interface TicketFacts {
  ticketId: string;
  number: string;
  category: string;
  departmentCode: string | null;
  urgent: boolean;
  receivedAt: string;
  slaDueAt: string;
  slaSeconds: number;
  escalateSeconds: number;
  ratingWaitSeconds: number;
}

export interface TicketChange {
  ticketId: string;
  status?: TicketStatus;
  departmentCode?: string;
  slaDueAt?: string;
  slaBreached?: boolean;
  escalationLevel?: number;
  resolution?: string;
  rating?: number;
  closedReason?: 'rated' | 'no_rating';
  reopened?: boolean;
}

export type StaffAudience = 'department' | 'dept_head' | 'supervisors' | 'management';

// ---------------------------------------------------------------- what a principal may do

/** The department's actions (Updates) and the agent's record of the patient's rating (a signal). */
export type DepartmentAction = 'accept' | 'note' | 'transfer' | 'resolve';
/** 'chase' (督办): management presses an active ticket's department; it changes nothing in the workflow. */
export type TicketAction = DepartmentAction | 'rate' | 'chase';

const DEPARTMENT_ACTIONS_BY_STATUS: Record<TicketStatus, readonly DepartmentAction[]> = {
  open: ['accept', 'note', 'transfer', 'resolve'],
  in_progress: ['note', 'transfer', 'resolve'],
  resolved: [],
  closed: [],
};

/**
 * The actor a principal's department action speaks for, or null when their role handles no tickets.
 * Management does not work tickets, but may reassign one (转派) to another department.
 */
export function ticketActor(principal: Principal, action?: DepartmentAction): TicketActor | null {
  if (action === 'transfer' && supervisesTickets(principal.role)) return { actorId: principal.id, actorDepartment: null };
  if (!handlesTickets(principal.role)) return null;
  return { actorId: principal.id, actorDepartment: seesAllDepartments(principal.role) ? null : principal.departmentCode };
}

/**
 * Why the ticket refuses `action` by `actor` now, or null: its state must allow the action, and the
 * ticket must (still) be the actor's department's. The workflow's validators and {@link allowedActions}.
 */
export function ticketActionRefusal(
  ticket: { status: TicketStatus; departmentCode: string | null },
  action: DepartmentAction,
  actor: TicketActor,
): string | null {
  if (!DEPARTMENT_ACTIONS_BY_STATUS[ticket.status].includes(action)) return `工单${TICKET_STATUS_LABELS[ticket.status]},不能执行此操作`;
  if (actor.actorDepartment !== null && actor.actorDepartment !== ticket.departmentCode) return '该工单已不属于您的科室';
  return null;
}

/** What `principal` may do with the ticket now (the service checks, the ticket page shows). */
export function allowedActions(
  ticket: { status: TicketStatus; departmentCode: string | null; createdBy: string | null },
  principal: Principal,
): TicketAction[] {
  if (!canViewTicket(principal, ticket)) return [];
  const actor = ticketActor(principal);
  const actions: TicketAction[] = actor ? DEPARTMENT_ACTIONS_BY_STATUS[ticket.status].filter((a) => ticketActionRefusal(ticket, a, actor) === null) : [];
  if (supervisesTickets(principal.role) && isActiveTicket(ticket.status)) {
    if (!actions.includes('transfer')) actions.push('transfer');
    actions.push('chase');
  }
  if (speaksWithPatients(principal.role) && ticket.status === 'resolved') actions.push('rate');
  return actions;
}
