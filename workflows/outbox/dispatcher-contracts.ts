/**
 * The batch outbox dispatcher's vocabulary (`outboxDispatcherWorkflow`, one per task queue, ID
 * `outbox-dispatcher-<task queue>`): how it is started and its activity's input and output.
 * No side effects (the bundle imports it).
 */
import type { StartRequest } from '../shared/start.js';

export const OUTBOX_DISPATCHER_WORKFLOW_TYPE = 'outboxDispatcherWorkflow';
export type OutboxDispatcherWorkflow = () => Promise<void>;

/** How long one dispatch activity runs before the workflow starts the next round. */
export const DISPATCH_ROUND_SECONDS = 300;

export const outboxDispatcherId = (taskQueue: string) => `outbox-dispatcher-${taskQueue}`;

/** One dispatcher per task queue: a second start finds the first; a failed or terminated one can be started again. */
export function outboxDispatcherStart(taskQueue: string): StartRequest<OutboxDispatcherWorkflow> {
  return {
    workflowType: OUTBOX_DISPATCHER_WORKFLOW_TYPE,
    options: {
      workflowId: outboxDispatcherId(taskQueue),
      args: [],
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      staticSummary: `患者消息批量投递 · 任务队列 ${taskQueue}`,
    },
  };
}

export interface DispatchOutboxInput {
  /** The task queue whose queued messages this dispatcher owns (outbound_messages.dispatch_queue). */
  queue: string;
  /** Run this long, then return (the workflow starts the next round). */
  forSeconds: number;
}

export interface DispatchOutboxResult {
  /** Messages taken up (a message waiting through quiet hours counts at each look). */
  handled: number;
}
