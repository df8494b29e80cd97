/** auditAnchorWorkflow: one activity that anchors the audit chain's head in a signed file (see contracts.ts). */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import type { AuditAnchorResult } from './contracts.js';

// Bounded: the Schedule anchors again at its next run; a folder that stays unwritable shows as failed runs.
const files = proxyActivities<Activities>({ startToCloseTimeout: '1 minute', retry: { maximumInterval: '30 seconds', maximumAttempts: 3 } });

export async function auditAnchorWorkflow(): Promise<AuditAnchorResult> {
  return await files.anchorAuditChain();
}
