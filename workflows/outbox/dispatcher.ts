/**
 * outboxDispatcherWorkflow: the batch outbox dispatcher of one task queue (ID
 * `outbox-dispatcher-<task queue>`), which delivers every patient message queued for it.
 *
 * One per queue instead of one workflow per message (outboxMessageWorkflow, kept for messages
 * queued before): 10,000 messages falling due at once cost 10,000 starts, ≈40,000 workflow and
 * activity tasks and 10,000 signals on the per-message path (bench:dispatch 385 s); here they
 * cost a few activity executions. The work is in one long-running, heartbeating activity
 * (activities/channels/outbox-dispatcher.ts) that claims due messages in batches and runs each
 * through the same contact rules, idempotent send, report wait, fallback and unanswered-link
 * steps as the per-message workflow, keeping each message's stage in Postgres. When the worker
 * dies, the activity's heartbeat times out and Temporal runs it again with backoff; what it had
 * claimed falls due again when the claim's lease ends.
 */
import { continueAsNew, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import { DISPATCH_ROUND_SECONDS } from './dispatcher-contracts.js';

const { dispatchOutbox } = proxyActivities<Activities>({
  startToCloseTimeout: `${DISPATCH_ROUND_SECONDS + 120} seconds`,
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

export async function outboxDispatcherWorkflow(): Promise<void> {
  const { taskQueue } = workflowInfo();
  // A round is one activity of a few minutes; a fresh history every 50 rounds (≈4 h) keeps it short.
  for (let round = 0; round < 50 && !workflowInfo().continueAsNewSuggested; round++) {
    await dispatchOutbox({ queue: taskQueue, forSeconds: DISPATCH_ROUND_SECONDS });
  }
  await continueAsNew<typeof outboxDispatcherWorkflow>();
}
