/**
 * The report Schedules, created when missing and otherwise updated in place (bring-up calls this
 * every time):
 * - `report-rollup`: reportRollupWorkflow every REPORT_ROLLUP_SECONDS (a run still going when the
 *   next is due is skipped), so the reports are at most that old; also run once at once, so a
 *   fresh deployment has figures without waiting for the first interval;
 * - `report-monthly`: monthlyReportWorkflow at 06:00 Asia/Shanghai on the 1st of each month.
 */
import { ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { monthlyReportStart, reportRollupStart } from '../workflows/reports/contracts.js';
import { scheduleAction } from '../workflows/shared/start.js';
import { ensureSchedule } from './schedules.js';

export const REPORT_ROLLUP_SCHEDULE_ID = 'report-rollup';
export const MONTHLY_REPORT_SCHEDULE_ID = 'report-monthly';

export async function ensureReportSchedules(client: Client, options: { taskQueue: string; rollupEverySeconds: number }): Promise<void> {
  await ensureSchedule(client, REPORT_ROLLUP_SCHEDULE_ID, {
    spec: { intervals: [{ every: `${options.rollupEverySeconds}s` }] },
    action: scheduleAction(options.taskQueue, reportRollupStart()),
    policies: { overlap: ScheduleOverlapPolicy.SKIP },
  });
  await client.schedule.getHandle(REPORT_ROLLUP_SCHEDULE_ID).trigger(ScheduleOverlapPolicy.SKIP);
  await ensureSchedule(client, MONTHLY_REPORT_SCHEDULE_ID, {
    spec: { calendars: [{ dayOfMonth: 1, hour: 6, minute: 0 }], timezone: 'Asia/Shanghai' },
    action: scheduleAction(options.taskQueue, monthlyReportStart()),
    policies: { overlap: ScheduleOverlapPolicy.SKIP },
  });
}
