/**
 * The `call-recording-retention` Schedule (issue 16), created when missing and otherwise updated in
 * place at every worker start: callRecordingRetentionWorkflow daily at 03:30 Asia/Shanghai (a run
 * still going is not overlapped), deleting recordings older than CALL_RECORDING_RETENTION_DAYS.
 */
import { ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { callRetentionStart } from '../workflows/call-retention/contracts.js';
import { scheduleAction } from '../workflows/shared/start.js';
import { ensureSchedule } from './schedules.js';

export const CALL_RETENTION_SCHEDULE_ID = 'call-recording-retention';

export async function ensureCallRetentionSchedule(client: Client, options: { taskQueue: string }): Promise<{ scheduleId: string; created: boolean }> {
  return ensureSchedule(client, CALL_RETENTION_SCHEDULE_ID, {
    spec: { calendars: [{ hour: 3, minute: 30 }], timezone: 'Asia/Shanghai' },
    action: scheduleAction(options.taskQueue, callRetentionStart()),
    policies: { overlap: ScheduleOverlapPolicy.SKIP },
  });
}
