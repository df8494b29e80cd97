/**
 * The Temporal Schedule `reconcile`: runs reconcileWorkflow every `everySeconds`
 * (HIS_INBOX_RECONCILE_SECONDS). Created when missing, otherwise updated in place, so bring-up can
 * call it every time; a run still going when the next is due is skipped. It replaces the
 * Schedule `his-inbox-reconcile` (HIS messages only), which is deleted where it still exists.
 */
import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { reconcileStart } from '../workflows/reconcile/contracts.js';
import { scheduleAction } from '../workflows/shared/start.js';
import { ensureSchedule } from './schedules.js';

export const RECONCILE_SCHEDULE_ID = 'reconcile';
const REPLACED_SCHEDULE_IDS = ['his-inbox-reconcile'];

export interface ReconcileScheduleOptions {
  taskQueue: string;
  everySeconds: number;
  /** Rows younger than this are left to the request that wrote them (HIS_INBOX_RETRY_AFTER_SECONDS). */
  olderThanSeconds: number;
  limit?: number;
}

export async function ensureReconcileSchedule(client: Client, options: ReconcileScheduleOptions): Promise<{ scheduleId: string; created: boolean }> {
  for (const id of REPLACED_SCHEDULE_IDS) {
    await client.schedule.getHandle(id).delete().catch((err: unknown) => {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    });
  }
  return ensureSchedule(client, RECONCILE_SCHEDULE_ID, {
    spec: { intervals: [{ every: `${options.everySeconds}s` }] },
    action: scheduleAction(options.taskQueue, reconcileStart({ olderThanSeconds: options.olderThanSeconds, limit: options.limit ?? 500 })),
    policies: { overlap: ScheduleOverlapPolicy.SKIP },
  });
}
