/**
 * Verification of the audit hash chain (db/migrations/1763900500000_audit-chain.sql): recomputes
 * every row's hash in Postgres with the same audit_row_hash() the insert trigger used, and checks
 * that each row's prev_hash is the hash of the row before it (or of the last retention checkpoint).
 * Given the anchor folder (services/audit-anchor.ts), also that the head the last anchor recorded
 * is still there: deleting the newest rows leaves a valid chain, but not that row.
 */
import type { Sql } from '../db/client.js';
import { readLatestAnchor, type AuditAnchor, type AuditAnchorSettings } from './audit-anchor.js';

export interface AuditChainReport {
  ok: boolean;
  checked: number;
  problems: { id: string; problem: string }[];
  /** The anchor compared against (null: none written yet); absent when no anchor folder was given. */
  anchor?: AuditAnchor | null;
}

interface ChainRow {
  id: string;
  prev_hash: string | null;
  hash: string | null;
  computed: string;
}

export async function verifyAuditChain(sql: Sql, options: { anchors?: AuditAnchorSettings } = {}): Promise<AuditChainReport> {
  const problems: AuditChainReport['problems'] = [];
  let checked = 0;
  // Read before the snapshot: an anchor written meanwhile names a row the snapshot already holds.
  const latest = options.anchors ? await readLatestAnchor(options.anchors) : undefined;
  for (const problem of latest?.problems ?? []) problems.push({ id: '-', problem });
  // One snapshot for the checkpoint and the rows. Writers chain under a lock held to commit, so
  // any snapshot sees a complete prefix of the chain.
  await sql.begin('isolation level repeatable read read only', async (tx) => {
    const [checkpoint] = await tx<{ purged_through_id: string; last_hash: string | null }[]>`
      SELECT purged_through_id::text, last_hash FROM audit_checkpoints ORDER BY purged_through_id DESC LIMIT 1`;
    const after = checkpoint?.purged_through_id ?? '0';
    let expected: string | null = checkpoint?.last_hash ?? null;
    let previousId: string | null = checkpoint ? `${checkpoint.purged_through_id} (retention checkpoint)` : null;
    let lastId: string | null = null;

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
        lastId = row.id;
      }
    }
    const anchor = latest?.anchor;
    if (!anchor) return;
    const [row] = await tx<{ hash: string | null }[]>`SELECT hash FROM audit_log WHERE id = ${anchor.headId}::bigint`;
    const purged = checkpoint !== undefined && BigInt(checkpoint.purged_through_id) >= BigInt(anchor.headId);
    if (!row && !purged) {
      problems.push({
        id: anchor.headId,
        problem:
          `newest row(s) deleted: row ${anchor.headId}, the head of the chain when anchored at ${anchor.anchoredAt}, is gone; ` +
          (lastId === null ? 'no row is left after the checkpoint' : `the chain now ends at row ${lastId}, so rows after ${lastId} through ${anchor.headId} were deleted`),
      });
    } else if (row && row.hash !== anchor.headHash) {
      problems.push({ id: anchor.headId, problem: `row ${anchor.headId} differs from the anchor of ${anchor.anchoredAt} (the chain was rewritten up to it)` });
    }
  });
  return { ok: problems.length === 0, checked, problems, ...(latest ? { anchor: latest.anchor } : {}) };
}
