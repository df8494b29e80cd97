/**
 * `npm run restore -- <file> [--into <database url>]`: loads a backup written by `npm run backup`
 * into an empty database (default: DATABASE_URL, or the project-local `suifang`), applying the same
 * migrations first; then checks the audit chain. Refuses a database that holds data.
 */
import { loadEnv } from '../config/env.js';
import { createSql } from '../db/client.js';
import { verifyAuditChain } from '../services/audit-verify.js';
import { restoreDatabase } from './lib/backup.js';

const args = process.argv.slice(2);
const into = args.indexOf('--into');
const file = args.find((a, i) => !a.startsWith('--') && i !== into + 1);
if (!file) {
  console.error('usage: npm run restore -- <backup file> [--into <database url>]');
  process.exit(2);
}
const env = loadEnv();
const url = (into >= 0 ? args[into + 1] : undefined) ?? env.DATABASE_URL ?? `postgres://postgres:postgres@127.0.0.1:${env.EMBEDDED_PG_PORT}/suifang`;
const sql = createSql(url, { max: 1 });
try {
  const started = Date.now();
  const { tables, rows } = await restoreDatabase(sql, url, file);
  const audit = await verifyAuditChain(sql);
  console.log(`restored ${rows} rows into ${tables} tables of ${new URL(url).pathname.slice(1)} in ${Date.now() - started} ms`);
  console.log(`audit chain: ${audit.ok ? `verifies (${audit.checked} rows)` : `BROKEN: ${audit.problems.map((p) => p.problem).join('; ')}`}`);
  if (!audit.ok) process.exitCode = 1;
} catch (err) {
  console.error(`restore failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  await sql.end({ timeout: 5 });
}
