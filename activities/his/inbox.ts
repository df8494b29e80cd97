/**
 * The inbox reconciler's activity: the ingest pipeline (services/discharges.ts) run on stored,
 * unprocessed HIS messages. It starts follow-up workflows through the worker's own Temporal
 * client, on the worker's task queue, so it needs no client of its own.
 */
import { Context } from '@temporalio/activity';
import type { Sql } from '../../db/client.js';
import { createDischargeService, type IngestSettings } from '../../services/discharges.js';
import type { ReconcileInput, ReconcileInboxResult } from '../../workflows/reconcile/contracts.js';

export function createHisInboxActivities({ sql, his }: { sql: Sql; his?: IngestSettings }) {
  return {
    async reprocessHisInbox(input: ReconcileInput): Promise<ReconcileInboxResult> {
      const { client, info } = Context.current();
      const discharges = createDischargeService({ sql, temporal: client, taskQueue: info.taskQueue, settings: his });
      return discharges.reprocessPending(input);
    },
  };
}
