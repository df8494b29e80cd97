/**
 * Vocabulary of the HIS inbox reconciler: a Temporal Schedule runs `hisInboxReconcileWorkflow`
 * every HIS_INBOX_RECONCILE_SECONDS; it processes again every inbox message that was stored but
 * not processed (Temporal, the database or the hospital's FHIR server was down, or the process
 * stopped between storing and processing), so nothing accepted waits for the HIS to resend.
 * No side effects here: the worker, the schedule and tests import it.
 */
export const HIS_INBOX_RECONCILE_WORKFLOW_TYPE = 'hisInboxReconcileWorkflow';
export const HIS_INBOX_SCHEDULE_ID = 'his-inbox-reconcile';
/** One run at a time: the schedule's runs share this ID (and overlap is skipped). */
export const HIS_INBOX_RECONCILE_WORKFLOW_ID = 'his-inbox-reconcile';

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
}
