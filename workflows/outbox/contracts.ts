/**
 * The outbox dispatcher's vocabulary (`outboxMessageWorkflow`, one per queued patient message,
 * ID `outbox-<message id>`): how it is started, the delivery reports providers send back through
 * the webhooks, and its activities' inputs and outputs. No side effects (the bundle imports it).
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { ContactClock, ContactDecision, ContactFacts, ContactRules, DeliveryChannel } from '../../domain/contact-rules.js';
import type { StartRequest } from '../shared/start.js';

export const OUTBOX_WORKFLOW_TYPE = 'outboxMessageWorkflow';
export type OutboxWorkflow = (input: OutboxInput) => Promise<OutboxState>;

export interface OutboxInput {
  messageId: string;
}

export const outboxWorkflowId = (messageId: string) => `outbox-${messageId}`;

/** One dispatcher per message: a second start (a retried queueing activity) finds the first. */
export function outboxStart(input: OutboxInput): StartRequest<OutboxWorkflow> {
  return {
    workflowType: OUTBOX_WORKFLOW_TYPE,
    options: {
      workflowId: outboxWorkflowId(input.messageId),
      args: [input],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      staticSummary: `患者消息投递 · 消息 ${input.messageId}`,
    },
  };
}

export interface OutboxState {
  messageId: string;
  /** What the last decision was: sent on a channel, waiting (until), skipped, handed to a call. */
  decisions: { at: string; decision: ContactDecision }[];
  outcome?: 'delivered' | 'sent' | 'skipped' | 'cancelled' | 'phone' | 'failed';
  /** The automated keypress survey call placed for an unanswered SMS link (issue 16). */
  ivrCallId?: string;
}

/** A provider's final word on one delivery (Twilio status callback, Aliyun report, WeChat TEMPLATESENDJOBFINISH). */
export interface DeliveryReport {
  deliveryKey: string;
  status: 'delivered' | 'failed';
  error?: string;
}
export const deliveryReportSignal = defineSignal<[DeliveryReport]>('deliveryReport');
/** The patient's situation changed (opted out, answered): decide again now instead of at the end of a wait. */
export const recheckSignal = defineSignal('recheck');
export const getOutboxStateQuery = defineQuery<OutboxState>('getState');

// ---------------------------------------------------------------- activities' inputs and outputs

export interface DispatchFacts {
  /** The message no longer waits (sent, cancelled by an opt-out, or gone). */
  finished: boolean;
  contact: ContactFacts;
  rules: ContactRules;
  /** The day quiet hours and caps are counted on (absent in histories from before it: the real day). */
  clock?: ContactClock;
  /** The follow-up task a survey message belongs to. */
  taskId: string | null;
}

export type DeliverResult =
  /** `report`: the provider's final report already came (it can overtake the answer to the send). */
  | { outcome: 'sent'; deliveryKey: string; report?: 'delivered' | 'failed' }
  | { outcome: 'failed'; deliveryKey: string; error: string }
  /** The rules said otherwise once the patient was locked (another message went first): decide again. */
  | { outcome: 'reconsider' };

export type FinishStatus = 'delivered' | 'sent' | 'skipped' | 'cancelled' | 'failed';

export interface FinishInput {
  messageId: string;
  status: FinishStatus;
  reason?: string;
}

export interface DeliverInput {
  messageId: string;
  channel: DeliveryChannel;
  /** 1 for the first channel tried, 2 for the fallback …: with the message, the delivery's idempotency key. */
  tryNo: number;
  failedChannels: DeliveryChannel[];
}

export type PhoneReason = 'elderly' | 'no_channel' | 'delivery_failed' | 'unanswered';
