/**
 * quotaPlanningWorkflow: recomputes the appointment quotas of upcoming clinic sessions from the
 * experts' walk-in history (see activities/db/quota-planning.ts). Started nightly by the Schedule
 * `quota-planning-nightly` (worker/quota-schedule.ts); one activity, idempotent, so a retry
 * or an extra run just recomputes the same plan.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import type { RecomputeQuotasInput, RecomputeQuotasResult } from './contracts.js';

// Many sessions may be planned in one go: a longer limit than the short database activities get.
const db = proxyActivities<Activities>({ startToCloseTimeout: '10 minutes', retry: { maximumInterval: '1 minute', maximumAttempts: 5 } });

export async function quotaPlanningWorkflow(input: RecomputeQuotasInput): Promise<RecomputeQuotasResult> {
  return await db.recomputeQuotas(input);
}
