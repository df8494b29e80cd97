/**
 * Vocabulary of the HIS inbox reconciler: a Temporal Schedule runs `hisInboxReconcileWorkflow`
 * every HIS_INBOX_RECONCILE_SECONDS; it processes again every inbox message that was stored but
 * not processed (Temporal, the database or the hospital's FHIR server was down, or the process
 * stopped between storing and processing), so nothing accepted waits for the HIS to resend.
 * No side effects here: the worker, the Schedule (worker/his-inbox-schedule.ts) and tests import it.
 */
import type { StartRequest } from '../shared/start.js';

export const HIS_INBOX_RECONCILE_WORKFLOW_TYPE = 'hisInboxReconcileWorkflow';
export type HisInboxReconcileWorkflow = (input: ReconcileInboxInput) => Promise<ReconcileInboxResult>;

/** The Schedule's runs get this ID with the run's time appended. */
export const HIS_INBOX_RECONCILE_WORKFLOW_ID = 'his-inbox-reconcile';

/** A reconciler run; processing a message twice is harmless, so runs may repeat. */
export function hisInboxReconcileStart(input: ReconcileInboxInput, workflowId = HIS_INBOX_RECONCILE_WORKFLOW_ID): StartRequest<HisInboxReconcileWorkflow> {
  return {
    workflowType: HIS_INBOX_RECONCILE_WORKFLOW_TYPE,
    options: {
      workflowId,
      args: [input],
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      staticSummary: `HIS 收件箱补处理 · 保存超过 ${input.olderThanSeconds} 秒未处理的消息`,
    },
  };
}

export interface ReconcileInboxInput {
  /** Messages younger than this are left to the request that stored them. */
  olderThanSeconds: number;
  /** At most this many per run; the next run takes the rest. */
  limit: number;
}

export interface ReconcileInboxResult {
  found: number;
  processed: number;
  rejected: number;
  /** Still waiting for a dependency (the run stops at the first such message). */
  stillPending: number;
  /** Failed unexpectedly (the error is kept in the inbox; tried again next run). */
  failed: number;
}
