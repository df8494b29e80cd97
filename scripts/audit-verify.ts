/**
 * `npm run audit:verify`: checks the audit trail's hash chain in DATABASE_URL (or, when unset,
 * the project-local database `npm start` runs), and against the newest signed anchor in
 * AUDIT_ANCHOR_DIR (deleted newest rows). Exit code 1 when a row was changed or deleted.
 */
import { loadEnv } from '../config/env.js';
import { createSql } from '../db/client.js';
import { auditAnchorSettings } from '../services/audit-anchor.js';
import { verifyAuditChain } from '../services/audit-verify.js';

const url = process.env.DATABASE_URL || `postgres://postgres:postgres@127.0.0.1:${process.env.EMBEDDED_PG_PORT || '5433'}/suifang`;
const sql = createSql(url, { max: 1 });
try {
  const report = await verifyAuditChain(sql, { anchors: auditAnchorSettings(loadEnv()) });
  const anchored = report.anchor ? `, anchored through row ${report.anchor.headId} at ${report.anchor.anchoredAt}` : ', no anchor yet';
  if (report.ok) {
    console.log(`audit trail OK: ${report.checked} rows${anchored}`);
  } else {
    console.error(`audit trail BROKEN: ${report.problems.length} problem(s) in ${report.checked} rows${anchored}`);
    for (const p of report.problems) console.error(`  ${p.problem}`);
    process.exitCode = 1;
  }
} catch (err) {
  console.error(`audit verification failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  await sql.end({ timeout: 5 });
}
