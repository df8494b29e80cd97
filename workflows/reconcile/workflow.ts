/**
 * reconcileWorkflow: one activity per kind of "stored, workflow not yet told" (see contracts.ts),
 * run side by side. Started by the Schedule `reconcile`; idempotent, since processing a message
 * or starting/signalling a workflow twice is harmless, so an extra or retried run changes nothing.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import { SWEEP_KINDS, type ReconcileInput, type ReconcileResult, type SweepKind, type SweepResult } from './contracts.js';

// Bounded: the schedule runs again soon, so an attempt that keeps failing should not pile up.
const sweeps = proxyActivities<Activities>({ startToCloseTimeout: '5 minutes', retry: { maximumInterval: '30 seconds', maximumAttempts: 3 } });

export async function reconcileWorkflow(input: ReconcileInput): Promise<ReconcileResult> {
  const [hisInbox, ...rows] = await Promise.all([sweeps.reprocessHisInbox(input), ...SWEEP_KINDS.map((kind) => sweeps.reconcileRows(kind, input))]);
  return { hisInbox, ...(Object.fromEntries(SWEEP_KINDS.map((kind, i) => [kind, rows[i]!])) as Record<SweepKind, SweepResult>) };
}
