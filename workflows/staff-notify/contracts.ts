/**
 * The staff notification dispatcher's vocabulary (`staffMessageWorkflow`, one per recipient of a
 * staff notification or red-flag alert, ID `staff-message-<id>`): how it is started, the delivery
 * reports the webhooks hand it, and its activities' inputs and outputs. No side effects.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { ContactClock, ContactRules, DeliveryChannel } from '../../domain/contact-rules.js';
import type { StaffContactDecision, StaffContactFacts } from '../../domain/staff-contact.js';
import type { StartRequest } from '../shared/start.js';

export const STAFF_MESSAGE_WORKFLOW_TYPE = 'staffMessageWorkflow';
export type StaffMessageWorkflow = (input: StaffMessageInput) => Promise<StaffMessageState>;

export interface StaffMessageInput {
  staffMessageId: string;
}

export const staffMessageWorkflowId = (staffMessageId: string) => `staff-message-${staffMessageId}`;

export function staffMessageStart(input: StaffMessageInput): StartRequest<StaffMessageWorkflow> {
  return {
    workflowType: STAFF_MESSAGE_WORKFLOW_TYPE,
    options: {
      workflowId: staffMessageWorkflowId(input.staffMessageId),
      args: [input],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      staticSummary: `员工通知投递(短信/微信) · ${input.staffMessageId}`,
    },
  };
}

export interface StaffMessageState {
  staffMessageId: string;
  decisions: { at: string; decision: StaffContactDecision }[];
  outcome?: 'delivered' | 'sent' | 'skipped' | 'failed';
}

/** The provider's final word on one delivery of a staff message (same shape as a patient message's). */
export interface StaffDeliveryReport {
  deliveryKey: string;
  status: 'delivered' | 'failed';
  error?: string;
}
export const staffDeliveryReportSignal = defineSignal<[StaffDeliveryReport]>('staffDeliveryReport');
export const getStaffMessageStateQuery = defineQuery<StaffMessageState>('getState');

export interface StaffDispatchFacts {
  /** Already finished, or gone. */
  finished: boolean;
  contact: StaffContactFacts;
  rules: Pick<ContactRules, 'quietStart' | 'quietEnd' | 'deliveryWaitSeconds'>;
  /** The day quiet hours are counted on (absent in histories from before it: the real day). */
  clock?: ContactClock;
}

export interface StaffDeliverInput {
  staffMessageId: string;
  channel: DeliveryChannel;
  tryNo: number;
}

export type StaffDeliverResult =
  | { outcome: 'sent'; deliveryKey: string; report?: 'delivered' | 'failed' }
  | { outcome: 'failed'; deliveryKey: string; error: string }
  /** The channel went away meanwhile (user turned it off, openid unbound): decide again. */
  | { outcome: 'reconsider' };
