/**
 * monthlyReportWorkflow: on the 1st of each month (Schedule `report-monthly`), the previous
 * month's whole-hospital report as a PDF in the archive, announced to management. The rollups are
 * brought up to date first so the report has the month's last day in it.
 */
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import { addMonths } from '../../domain/reports/period.js';
import type { MonthlyReportInput, MonthlyReportResult } from './contracts.js';

const reports = proxyActivities<Activities>({ startToCloseTimeout: '15 minutes', retry: { maximumInterval: '1 minute', maximumAttempts: 5 } });

/** The month before `instant`, in Asia/Shanghai. */
function previousMonth(instant: Date): string {
  const shanghai = new Date(instant.getTime() + 8 * 3_600_000);
  const month = `${shanghai.getUTCFullYear()}-${String(shanghai.getUTCMonth() + 1).padStart(2, '0')}`;
  return addMonths(month, -1);
}

export async function monthlyReportWorkflow(input: MonthlyReportInput): Promise<MonthlyReportResult> {
  const month = input.month ?? previousMonth(workflowInfo().startTime);
  await reports.refreshReportRollups({});
  const stored = await reports.storeMonthlyReport({ month });
  await reports.announceMonthlyReport({ month, fileId: stored.fileId, fileName: stored.fileName });
  return { month, ...stored };
}
