/**
 * The Temporal Schedule `quota-planning-nightly`: runs quotaPlanningWorkflow at 02:00 Asia/Shanghai
 * every day (or on `cron`, read in the same time zone). Created when missing, otherwise updated in
 * place, so bring-up can call it every time.
 */
import type { Client, ScheduleSpec } from '@temporalio/client';
import { quotaPlanningStart } from '../workflows/quota-planning/contracts.js';
import { scheduleAction } from '../workflows/shared/start.js';
import { ensureSchedule } from './schedules.js';

export const QUOTA_SCHEDULE_ID = 'quota-planning-nightly';
export const QUOTA_SCHEDULE_TIMEZONE = 'Asia/Shanghai';
export const DEFAULT_QUOTA_HISTORY_WEEKS = 8;
export const DEFAULT_QUOTA_HORIZON_DAYS = 7;

export interface QuotaScheduleOptions {
  taskQueue: string;
  /** 5-field cron (minute hour day month weekday), Asia/Shanghai; default daily 02:00. */
  cron?: string;
  /** Weeks of history (the caller reads `QUOTA_HISTORY_WEEKS`); default 8. */
  weeks?: number;
  /** Days ahead to plan; default 7. */
  horizonDays?: number;
}

export async function ensureQuotaSchedule(client: Client, options: QuotaScheduleOptions): Promise<{ scheduleId: string; created: boolean }> {
  const weeks = options.weeks ?? DEFAULT_QUOTA_HISTORY_WEEKS;
  const horizonDays = options.horizonDays ?? DEFAULT_QUOTA_HORIZON_DAYS;
  if (!Number.isInteger(weeks) || weeks <= 0) throw new RangeError(`QUOTA_HISTORY_WEEKS must be a positive integer (got ${weeks})`);
  if (!Number.isInteger(horizonDays) || horizonDays <= 0) throw new RangeError(`horizonDays must be a positive integer (got ${horizonDays})`);
  const spec: ScheduleSpec = options.cron
    ? { cronExpressions: [options.cron], timezone: QUOTA_SCHEDULE_TIMEZONE }
    : { calendars: [{ hour: 2, minute: 0 }], timezone: QUOTA_SCHEDULE_TIMEZONE };
  return ensureSchedule(client, QUOTA_SCHEDULE_ID, { spec, action: scheduleAction(options.taskQueue, quotaPlanningStart({ weeks, horizonDays })) });
}
