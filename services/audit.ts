/** The audit trail: who looked at or changed what, when, from where. */
import type { Sql } from '../db/client.js';
import type { Principal } from '../domain/access.js';

/** Where a request came from; every service call that touches patient data receives it. */
export interface RequestMeta {
  ip?: string;
  userAgent?: string;
}

export interface AuditEntry {
  actor?: Principal;
  action: string;
  entityType?: string;
  entityId?: string;
  patientId?: string;
  details?: Record<string, unknown>;
}

export function createAuditService({ sql }: { sql: Sql }) {
  return {
    async record(entry: AuditEntry, meta: RequestMeta): Promise<void> {
      await sql`
        INSERT INTO audit_log (actor_id, actor_username, actor_role, action, entity_type, entity_id, patient_id, ip, user_agent, details)
        VALUES (${entry.actor?.id ?? null}, ${entry.actor?.username ?? null}, ${entry.actor?.role ?? null}, ${entry.action},
                ${entry.entityType ?? null}, ${entry.entityId ?? null}, ${entry.patientId ?? null},
                ${meta.ip ?? null}, ${meta.userAgent ?? null}, ${sql.json((entry.details ?? {}) as never)})`;
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
