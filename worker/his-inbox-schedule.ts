/**
 * The Temporal Schedule `his-inbox-reconcile`: runs hisInboxReconcileWorkflow every
 * `everySeconds` (HIS_INBOX_RECONCILE_SECONDS). Created when missing, otherwise updated in
 * place, so bring-up can call it every time; a run still going when the next is due is skipped.
 */
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleSpec } from '@temporalio/client';
import { hisInboxReconcileStart } from '../workflows/his-inbox/contracts.js';
import { scheduleAction } from '../workflows/shared/start.js';

export const HIS_INBOX_SCHEDULE_ID = 'his-inbox-reconcile';

export interface HisInboxScheduleOptions {
  taskQueue: string;
  everySeconds: number;
  /** Messages younger than this are left to the request that stored them (HIS_INBOX_RETRY_AFTER_SECONDS). */
  olderThanSeconds: number;
  limit?: number;
}

export async function ensureHisInboxSchedule(client: Client, options: HisInboxScheduleOptions): Promise<{ scheduleId: string; created: boolean }> {
  const spec: ScheduleSpec = { intervals: [{ every: `${options.everySeconds}s` }] };
  const action = scheduleAction(options.taskQueue, hisInboxReconcileStart({ olderThanSeconds: options.olderThanSeconds, limit: options.limit ?? 500 }));
  const policies = { overlap: ScheduleOverlapPolicy.SKIP };
  try {
    await client.schedule.create({ scheduleId: HIS_INBOX_SCHEDULE_ID, spec, action, policies });
    return { scheduleId: HIS_INBOX_SCHEDULE_ID, created: true };
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await client.schedule.getHandle(HIS_INBOX_SCHEDULE_ID).update((previous) => ({ ...previous, spec, action, policies }));
  return { scheduleId: HIS_INBOX_SCHEDULE_ID, created: false };
}
