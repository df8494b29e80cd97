/** A migrated database of a test file's own on the shared test Postgres, for tests that tamper with it. */
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { createSql, type Sql } from '../../db/client.js';
import { migrate } from '../../db/migrate.js';

export interface OwnDatabase {
  url: string;
  /** The same database through the application's login (what the services use). */
  appUrl: string;
  sql: Sql;
  drop(): Promise<void>;
}

export async function createOwnDatabase(prefix: string): Promise<OwnDatabase> {
  const base = inject('infra').databaseUrl;
  const name = `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const admin = createSql(base, { max: 1 });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  await migrate(url.toString());
  const sql = createSql(url.toString(), { max: 2 });
  const appUrl = new URL(inject('infra').appDatabaseUrl);
  appUrl.pathname = `/${name}`;
  return {
    url: url.toString(),
    appUrl: appUrl.toString(),
    sql,
    async drop() {
      await sql.end({ timeout: 5 });
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end({ timeout: 5 });
    },
  };
}
