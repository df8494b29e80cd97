/**
 * A consistent logical backup of the application database, and its restore into an empty one.
 *
 * The format is pg_dump's plain data-only format (gzip'd): `COPY <table> (<columns>) FROM stdin;`,
 * the rows in COPY text format, `\.`, then `setval` for every sequence, all after
 * `SET session_replication_role = replica` (pg_dump's --disable-triggers: the audit chain's
 * triggers must not rewrite the stored hashes). `psql` can load it too. Written here rather than
 * by pg_dump because the project's Postgres is 17 and a pg_dump may only dump a server of its own
 * major version or older (this machine's is 15); postgres.js streams COPY in and out.
 *
 * Consistency: every table is read in one REPEATABLE READ READ ONLY transaction, one snapshot. The
 * schema is not in the file: it is the migrations, whose names the header lists; restore applies
 * the same migrations to the empty database, then loads the rows.
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import type { Writable } from 'node:stream';
import type { Sql } from '../../db/client.js';
import { migrate } from '../../db/migrate.js';

const HEADER = '-- suifang backup';
const MIGRATIONS_TABLE = 'pgmigrations';
const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

export interface BackupSummary {
  file: string;
  migrations: string[];
  tables: number;
  rows: number;
}

/** Writes the whole application database (public schema, rows and sequences) to `file` (.sql.gz). */
export async function backupDatabase(sql: Sql, file: string): Promise<BackupSummary> {
  const gzip = createGzip();
  const done = pipeline(gzip, createWriteStream(file));
  const write = async (text: string) => {
    if (!gzip.write(text)) await once(gzip, 'drain');
  };
  let rows = 0;
  let tableCount = 0;
  let migrations: string[] = [];
  await sql.begin('isolation level repeatable read read only', async (tx) => {
    migrations = (await tx<{ name: string }[]>`SELECT name FROM ${tx(MIGRATIONS_TABLE)} ORDER BY run_on, id`).map((r) => r.name);
    const tables = await tx<{ table: string; columns: string[]; rows: number }[]>`
      SELECT c.relname AS table,
             array_agg(a.attname::text ORDER BY a.attnum) AS columns,
             c.reltuples::bigint AS rows
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname <> ${MIGRATIONS_TABLE}
      GROUP BY c.relname, c.reltuples ORDER BY c.relname`;
    // last_value is NULL for a sequence never used: nothing to set.
    const sequences = await tx<{ name: string; value: string }[]>`
      SELECT sequencename AS name, last_value::text AS value FROM pg_sequences WHERE schemaname = 'public' AND last_value IS NOT NULL`;
    await write(
      `${HEADER} ${new Date().toISOString()}\n-- migrations: ${migrations.join(',')}\n-- tables: ${tables.map((t) => t.table).join(',')}\n` +
        'SET session_replication_role = replica;\n',
    );
    for (const t of tables) {
      const columns = t.columns.map(ident).join(', ');
      await write(`\nCOPY public.${ident(t.table)} (${columns}) FROM stdin;\n`);
      const stream = await tx.unsafe(`COPY public.${ident(t.table)} (${columns}) TO STDOUT`).readable();
      for await (const chunk of stream) {
        const text = chunk.toString();
        rows += text.split('\n').length - 1;
        await write(text);
      }
      await write('\\.\n');
      tableCount++;
    }
    await write('\n');
    for (const s of sequences) await write(`SELECT pg_catalog.setval('public.${ident(s.name)}', ${s.value}, true);\n`);
    await write('SET session_replication_role = DEFAULT;\n');
  });
  gzip.end();
  await done;
  return { file, migrations, tables: tableCount, rows };
}

/** The migration names a backup was taken at and the tables it holds (its header). */
async function readHeader(file: string): Promise<{ migrations: string[]; tables: string[] }> {
  const lines = createInterface({ input: createReadStream(file).pipe(createGunzip()), crlfDelay: Infinity });
  const header: string[] = [];
  for await (const line of lines) {
    header.push(line);
    if (header.length === 3) break;
  }
  lines.close();
  const list = (prefix: string) => {
    const line = header.find((l) => l.startsWith(prefix));
    if (!line) throw new Error(`${file} is not a backup written by npm run backup (no "${prefix}" line)`);
    return line.slice(prefix.length).split(',').filter(Boolean);
  };
  if (!header[0]?.startsWith(HEADER)) throw new Error(`${file} is not a backup written by npm run backup`);
  return { migrations: list('-- migrations: '), tables: list('-- tables: ') };
}

/**
 * Restores `file` into the empty database at `databaseUrl` (connected through `sql`): applies the
 * migrations (which must be exactly the backup's: restore with the code version that took the
 * backup, then start the newer version to migrate), then loads every table in one transaction.
 * Refuses a database that already holds rows.
 */
export async function restoreDatabase(sql: Sql, databaseUrl: string, file: string): Promise<{ tables: number; rows: number }> {
  const { migrations: wanted, tables: backedUp } = await readHeader(file);
  const [existing] = await sql<{ present: boolean }[]>`SELECT to_regclass(${`public.${MIGRATIONS_TABLE}`}) IS NOT NULL AS present`;
  if (existing!.present) {
    // A migrated database has the migrations' own rows (settings, defaults); one in use has users.
    const [{ n } = { n: 0 }] = await sql<{ n: number }[]>`SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM audit_log) AS n`;
    if (Number(n) > 0) throw new Error('the target database is not empty: restore only into a new, empty database');
  }
  const applied = await sql
    .unsafe<{ name: string }[]>(`SELECT name FROM ${MIGRATIONS_TABLE} ORDER BY run_on, id`)
    .catch(() => [] as { name: string }[]);
  const repoMigrations = [...applied.map((r) => r.name), ...(await migrate(databaseUrl))];
  const missing = wanted.filter((m) => !repoMigrations.includes(m));
  const extra = repoMigrations.filter((m) => !wanted.includes(m));
  if (missing.length || extra.length) {
    throw new Error(
      `the backup was taken at another schema version (${missing.length ? `missing here: ${missing.join(', ')}` : ''}${extra.length ? ` newer here: ${extra.join(', ')}` : ''}); ` +
        'restore with the code version that took the backup, then start the new version to migrate',
    );
  }

  let tables = 0;
  let rows = 0;
  await sql.begin(async (tx) => {
    // The migrations' own rows make way for the backup's (triggers off, as for the load below).
    await tx.unsafe('SET session_replication_role = replica');
    await tx.unsafe(`TRUNCATE ${backedUp.map((t) => `public.${ident(t)}`).join(', ')}`);
    const lines = createInterface({ input: createReadStream(file).pipe(createGunzip()), crlfDelay: Infinity });
    let copy: Writable | undefined;
    let copied: Promise<unknown> | undefined;
    for await (const line of lines) {
      if (copy) {
        if (line === '\\.') {
          copy.end();
          await copied;
          copy = undefined;
          tables++;
        } else {
          rows++;
          if (!copy.write(`${line}\n`)) await once(copy, 'drain');
        }
      } else if (line.startsWith('COPY ')) {
        copy = await tx.unsafe(line.replace(/ FROM stdin;$/, ' FROM STDIN')).writable();
        copied = once(copy, 'finish');
      } else if (line && !line.startsWith('--')) {
        await tx.unsafe(line);
      }
    }
    if (copy) throw new Error(`${file} ends inside a COPY block: the backup is truncated`);
  });
  return { tables, rows };
}
