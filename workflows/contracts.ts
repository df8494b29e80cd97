/**
 * Contracts of the follow-up workflow shared by API, web and worker: input/state types,
 * signals, queries, search-attribute keys and the workflow-ID helper. No side effects here,
 * so the workflow bundle may import it.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import { defineSearchAttributeKey } from '@temporalio/common';

export const FOLLOW_UP_WORKFLOW_TYPE = 'followUpWorkflow';

/** Workflow inputs carry IDs only (no names, phones or addresses). */
export interface FollowUpInput {
  /** HIS encounter ID (PV1-19 / the Encounter's identifier). */
  encounterId: string;
}

export type FollowUpStatus = 'waiting' | 'cancelled';

export interface FollowUpState {
  encounterId: string;
  departmentCode: string | null;
  status: FollowUpStatus;
  startedAt: string;
  cancelReason?: string;
}

export const CANCEL_REASONS = ['readmission', 'death', 'opt_out', 'cancelled_discharge'] as const;
export type CancelReason = (typeof CANCEL_REASONS)[number];

export const cancelFollowUpSignal = defineSignal<[{ reason: CancelReason }]>('cancelFollowUp');
export const getFollowUpStateQuery = defineQuery<FollowUpState>('getState');

export const DepartmentKey = defineSearchAttributeKey('Department', 'KEYWORD');
export const FollowUpStatusKey = defineSearchAttributeKey('FollowUpStatus', 'KEYWORD');
export const UrgentKey = defineSearchAttributeKey('Urgent', 'BOOL');

/** One encounter, one workflow: a resent discharge can never start a second one. */
export function followUpWorkflowId(encounterId: string): string {
  return `followup-${encounterId}`;
}
