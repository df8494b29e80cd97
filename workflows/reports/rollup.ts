/**
 * reportRollupWorkflow: brings the report rollups up to date (activities/reports/rollup.ts).
 * Started by the Schedule `report-rollup`; recomputing is idempotent, so an extra or retried run
 * changes nothing.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import type { RefreshRollupsInput, RefreshRollupsResult } from './contracts.js';

// A first run over years of data takes a while; later runs recompute a few months.
const reports = proxyActivities<Activities>({ startToCloseTimeout: '15 minutes', retry: { maximumInterval: '1 minute', maximumAttempts: 5 } });

export async function reportRollupWorkflow(input: RefreshRollupsInput): Promise<RefreshRollupsResult> {
  return await reports.refreshReportRollups(input);
}
