/**
 * Vocabulary of the audit anchoring: a Temporal Schedule runs `auditAnchorWorkflow` every
 * AUDIT_ANCHOR_SECONDS; it writes the audit chain's current head, signed, to a file outside the
 * database (services/audit-anchor.ts), so `npm run audit:verify` notices deleted newest rows.
 * No side effects here: the worker, the Schedule (worker/audit-anchor-schedule.ts) and tests import it.
 */
import type { StartRequest } from '../shared/start.js';

export const AUDIT_ANCHOR_WORKFLOW_TYPE = 'auditAnchorWorkflow';
export type AuditAnchorWorkflow = () => Promise<AuditAnchorResult>;

/** The Schedule's runs get this ID with the run's time appended. */
export const AUDIT_ANCHOR_WORKFLOW_ID = 'audit-anchor';

export function auditAnchorStart(workflowId = AUDIT_ANCHOR_WORKFLOW_ID): StartRequest<AuditAnchorWorkflow> {
  return {
    workflowType: AUDIT_ANCHOR_WORKFLOW_TYPE,
    options: { workflowId, args: [], workflowIdReusePolicy: 'ALLOW_DUPLICATE', staticSummary: '审计日志链锚定 · 把最新一行的哈希签名写到数据库之外' },
  };
}

/** The head anchored (null: the audit log is empty). */
export type AuditAnchorResult = { headId: string; headHash: string; anchoredAt: string } | null;
