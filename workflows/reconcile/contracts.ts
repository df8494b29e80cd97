/**
 * Vocabulary of the reconciler: a Temporal Schedule runs `reconcileWorkflow` every
 * HIS_INBOX_RECONCILE_SECONDS. Each run sweeps every kind of "stored, but the workflow was not
 * told" (Temporal or the database was down, or the process stopped in between): HIS inbox
 * messages not processed, tickets and bookings whose workflow has not started, encounters whose
 * follow-up has not heard of their department mapping. Nothing accepted waits for a resend.
 * No side effects here: the worker, the Schedule (worker/reconcile-schedule.ts) and tests import it.
 */
import type { StartRequest } from '../shared/start.js';

export const RECONCILE_WORKFLOW_TYPE = 'reconcileWorkflow';
export type ReconcileWorkflow = (input: ReconcileInput) => Promise<ReconcileResult>;

/** The Schedule's runs get this ID with the run's time appended. */
export const RECONCILE_WORKFLOW_ID = 'reconcile';

/** A reconciler run; telling a workflow twice is harmless, so runs may repeat. */
export function reconcileStart(input: ReconcileInput, workflowId = RECONCILE_WORKFLOW_ID): StartRequest<ReconcileWorkflow> {
  return {
    workflowType: RECONCILE_WORKFLOW_TYPE,
    options: {
      workflowId,
      args: [input],
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      staticSummary: `补处理 · HIS 消息、工单、预约、科室映射中超过 ${input.olderThanSeconds} 秒未通知流程的记录`,
    },
  };
}

export interface ReconcileInput {
  /** Rows younger than this are left to the request that wrote them. */
  olderThanSeconds: number;
  /** At most this many per kind and run; the next run takes the rest. */
  limit: number;
}

/** The kinds of rows besides the HIS inbox, each swept by its own activity. */
export const SWEEP_KINDS = ['tickets', 'appointments', 'departmentSignals'] as const;
export type SweepKind = (typeof SWEEP_KINDS)[number];

/** Chinese names of the sweeps (and of the inbox), for logs and pages. */
export const SWEEP_LABELS: Record<SweepKind | 'hisInbox', string> = {
  hisInbox: 'HIS 消息',
  tickets: '工单流程启动',
  appointments: '预约流程启动',
  departmentSignals: '科室映射通知',
};

export interface SweepResult {
  found: number;
  /** Workflows started or signalled (or found already so). */
  done: number;
  /** Left for the next run (Temporal still unreachable). */
  stillPending: number;
  /** Why the sweep stopped early, if it did. */
  error?: string;
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

export type ReconcileResult = { hisInbox: ReconcileInboxResult } & Record<SweepKind, SweepResult>;
