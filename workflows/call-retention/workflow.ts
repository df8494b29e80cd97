/** callRecordingRetentionWorkflow: one activity that deletes the recordings past their retention (see contracts.ts). */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import type { CallRetentionResult } from './contracts.js';

// Bounded: the Schedule runs again the next day; a storage that stays unwritable shows as failed runs.
const files = proxyActivities<Activities>({ startToCloseTimeout: '10 minutes', retry: { maximumInterval: '1 minute', maximumAttempts: 5 } });

export async function callRecordingRetentionWorkflow(): Promise<CallRetentionResult> {
  return await files.purgeExpiredCallRecordings();
}
