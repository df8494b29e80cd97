/**
 * reportExportWorkflow: one export asked for in the portal. Collects the figures with the asking
 * user's rights, renders the .xlsx or PDF and stores it; `exportProgress` tells the page where it
 * is, so a long export never blocks the page.
 */
import { ActivityFailure, ApplicationFailure, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import { exportProgressQuery, type ExportInput, type ExportProgress } from './contracts.js';

const reports = proxyActivities<Activities>({ startToCloseTimeout: '2 minutes', retry: { maximumInterval: '10 seconds', maximumAttempts: 3 } });

export async function reportExportWorkflow(input: ExportInput): Promise<ExportProgress> {
  const progress: ExportProgress = { stage: 'queued', percent: 0, fileId: null, fileName: null, error: null, requestedBy: input.requestedBy };
  setHandler(exportProgressQuery, () => progress);
  try {
    Object.assign(progress, { stage: 'collecting', percent: 10 });
    const data = await reports.collectReport(input);
    Object.assign(progress, { stage: 'rendering', percent: 40 });
    const stored = await reports.renderAndStoreReport({ ...input, data, kind: 'export', sourceKey: workflowInfo().workflowId });
    Object.assign(progress, { stage: 'done', percent: 100, fileId: stored.fileId, fileName: stored.fileName });
  } catch (err) {
    // A refusal (no rights, bad filter) is the user's answer, not a crash of the workflow.
    const refusal = err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.nonRetryable ? err.cause.message : null;
    Object.assign(progress, { stage: 'failed', percent: 100, error: refusal ?? '生成失败,请重试' });
  }
  return progress;
}
