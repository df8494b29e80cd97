/**
 * The reconciler's row sweeps (services/workflow-reconcile.ts): tickets and bookings whose
 * workflow has not started, encounters whose follow-up has not heard of their department. They
 * use the worker's own Temporal client, on the worker's task queue.
 */
import { Context } from '@temporalio/activity';
import type { Sql } from '../../db/client.js';
import { createWorkflowReconciler } from '../../services/workflow-reconcile.js';
import type { ReconcileInput, SweepKind, SweepResult } from '../../workflows/reconcile/contracts.js';

export function createReconcileActivities({ sql }: { sql: Sql }) {
  return {
    async reconcileRows(kind: SweepKind, input: ReconcileInput): Promise<SweepResult> {
      const { client, info } = Context.current();
      return createWorkflowReconciler({ sql, temporal: client, taskQueue: info.taskQueue })[kind](input);
    },
  };
}
