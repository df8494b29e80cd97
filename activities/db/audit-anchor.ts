/** Anchors the audit chain's head in a signed file outside the database (services/audit-anchor.ts). */
import { ApplicationFailure } from '@temporalio/common';
import type { Sql } from '../../db/client.js';
import { writeAuditAnchor, type AuditAnchorSettings } from '../../services/audit-anchor.js';
import type { AuditAnchorResult } from '../../workflows/audit-anchor/contracts.js';

export function createAuditAnchorActivities({ sql, auditAnchor }: { sql: Sql; auditAnchor?: AuditAnchorSettings }) {
  return {
    async anchorAuditChain(): Promise<AuditAnchorResult> {
      if (!auditAnchor) throw ApplicationFailure.nonRetryable('This worker has no audit anchor folder configured', 'AuditAnchorNotConfigured');
      return writeAuditAnchor(sql, auditAnchor);
    },
  };
}
