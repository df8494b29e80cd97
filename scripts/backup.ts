/**
 * `npm run backup [-- <file>]`: a consistent dump of the application database (DATABASE_URL, or
 * the project-local one `npm start` runs) into <file> (default DATA_DIR/backups/suifang-<time>.sql.gz).
 * See scripts/lib/backup.ts for the format; `npm run restore` loads it into an empty database.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { loadEnv } from '../config/env.js';
import { createSql } from '../db/client.js';
import { backupDatabase } from './lib/backup.js';

const env = loadEnv();
const url = env.DATABASE_URL ?? `postgres://postgres:postgres@127.0.0.1:${env.EMBEDDED_PG_PORT}/suifang`;
const file = resolve(process.argv[2] ?? join(env.DATA_DIR, 'backups', `suifang-${new Date().toISOString().replace(/[:.]/g, '-')}.sql.gz`));
mkdirSync(dirname(file), { recursive: true });
const sql = createSql(url, { max: 1 });
try {
  const started = Date.now();
  const summary = await backupDatabase(sql, file);
  console.log(`backup written: ${file}`);
  console.log(`  ${summary.tables} tables, ${summary.rows} rows, schema at migration ${summary.migrations.at(-1)}, one snapshot, ${Date.now() - started} ms`);
  console.log(`  restore into an empty database: npm run restore -- ${file} --into <database url>`);
  console.log(`
The Temporal databases (temporal, temporal_visibility) are not in this file. They hold the running
workflows (timers, open tasks' state), change every second and must be consistent with each other:
back them up physically, with the whole Postgres server they live on (pg_basebackup plus WAL archiving
for point-in-time recovery, or the platform's volume snapshots), and restore the application database
and them to the same moment. Workflows are idempotent against the application database (every write
is keyed by workflow and step), so replaying a little history after a restore adds nothing twice.`);
} catch (err) {
  console.error(`backup failed: ${err instanceof Error ? err.message : String(err)}`);
  if (!env.DATABASE_URL) console.error('(no DATABASE_URL: is the project-local Postgres running? npm start or npm run start:cluster starts it)');
  process.exitCode = 1;
} finally {
  await sql.end({ timeout: 5 });
}
