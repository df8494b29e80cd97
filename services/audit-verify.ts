/**
 * Verification of the audit hash chain (db/migrations/1763900500000_audit-chain.sql): recomputes
 * every row's hash in Postgres with the same audit_row_hash() the insert trigger used, and checks
 * that each row's prev_hash is the hash of the row before it (or of the last retention checkpoint).
 */
import type { Sql } from '../db/client.js';

export interface AuditChainReport {
  ok: boolean;
  checked: number;
  problems: { id: string; problem: string }[];
}

interface ChainRow {
  id: string;
  prev_hash: string | null;
  hash: string | null;
  computed: string;
}

export async function verifyAuditChain(sql: Sql): Promise<AuditChainReport> {
  const problems: AuditChainReport['problems'] = [];
  let checked = 0;
  // One snapshot for the checkpoint and the rows. Writers chain under a lock held to commit, so
  // any snapshot sees a complete prefix of the chain.
  await sql.begin('isolation level repeatable read read only', async (tx) => {
    const [checkpoint] = await tx<{ purged_through_id: string; last_hash: string | null }[]>`
      SELECT purged_through_id::text, last_hash FROM audit_checkpoints ORDER BY purged_through_id DESC LIMIT 1`;
    const after = checkpoint?.purged_through_id ?? '0';
    let expected: string | null = checkpoint?.last_hash ?? null;
    let previousId: string | null = checkpoint ? `${checkpoint.purged_through_id} (retention checkpoint)` : null;

    const rows = tx<ChainRow[]>`
      SELECT a.id::text, a.prev_hash, a.hash, audit_row_hash(a) AS computed
      FROM audit_log a WHERE a.id > ${after}::bigint ORDER BY a.id`.cursor(1000);
    for await (const batch of rows) {
      for (const row of batch) {
        checked++;
        if (row.hash === null) {
          problems.push({ id: row.id, problem: `row ${row.id} has no hash (written outside the chain)` });
        } else if (row.hash !== row.computed) {
          problems.push({ id: row.id, problem: `row ${row.id} was changed (its hash does not match its content)` });
        }
        if (row.prev_hash !== expected) {
          problems.push({
            id: row.id,
            problem:
              previousId === null
                ? `row(s) before ${row.id} were deleted (the first row links to a predecessor that is gone)`
                : `row(s) before ${row.id} were deleted (its prev_hash does not match the hash of row ${previousId})`,
          });
        }
        // Continue from what this row claims, so one break is reported once, not for every later row.
        expected = row.hash;
        previousId = row.id;
      }
    }
  });
  return { ok: problems.length === 0, checked, problems };
}
