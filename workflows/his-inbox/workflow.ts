/**
 * hisInboxReconcileWorkflow: one activity that processes the inbox's stored-but-unprocessed HIS
 * messages again (see contracts.ts). Started by the Schedule `his-inbox-reconcile`; idempotent,
 * since processing a message twice is harmless, so an extra or retried run changes nothing.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import type { ReconcileInboxInput, ReconcileInboxResult } from './contracts.js';

// Bounded: the schedule runs again soon, so an attempt that keeps failing should not pile up.
const inbox = proxyActivities<Activities>({ startToCloseTimeout: '5 minutes', retry: { maximumInterval: '30 seconds', maximumAttempts: 3 } });

export async function hisInboxReconcileWorkflow(input: ReconcileInboxInput): Promise<ReconcileInboxResult> {
  return await inbox.reprocessHisInbox(input);
}
