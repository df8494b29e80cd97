/**
 * Vocabulary of the call recordings' retention (issue 16): a Temporal Schedule runs
 * `callRecordingRetentionWorkflow` daily; it deletes recordings older than
 * CALL_RECORDING_RETENTION_DAYS (services/calls.ts purgeExpiredRecordings; the call rows keep that
 * their recording was deleted). No side effects here: the worker, the Schedule
 * (worker/call-retention-schedule.ts) and tests import it.
 */
import type { StartRequest } from '../shared/start.js';

export const CALL_RETENTION_WORKFLOW_TYPE = 'callRecordingRetentionWorkflow';
export type CallRecordingRetentionWorkflow = () => Promise<CallRetentionResult>;

/** The Schedule's runs get this ID with the run's time appended. */
export const CALL_RETENTION_WORKFLOW_ID = 'call-recording-retention';

export function callRetentionStart(workflowId = CALL_RETENTION_WORKFLOW_ID): StartRequest<CallRecordingRetentionWorkflow> {
  return {
    workflowType: CALL_RETENTION_WORKFLOW_TYPE,
    options: { workflowId, args: [], workflowIdReusePolicy: 'ALLOW_DUPLICATE', staticSummary: '通话录音保留期清理 · 删除超过保留天数的录音文件' },
  };
}

/** How many recordings this run deleted. */
export interface CallRetentionResult {
  deleted: number;
}
