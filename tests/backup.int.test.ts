/**
 * npm run backup / npm run restore (scripts/lib/backup.ts): a database with demo data, discharges
 * through the HIS ingest path and audited page views is backed up, restored into a new empty
 * database, and then the audit chain verifies there and the portal shows the same records.
 */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createHttpApp, loadWebBuild } from '../api/server.js';
import { loadEnv, type Env } from '../config/env.js';
import { createSql, type Sql } from '../db/client.js';
import { migrate } from '../db/migrate.js';
import { verifyAuditChain } from '../services/audit-verify.js';
import { createServices } from '../services/index.js';
import { payloadDataConverter } from '../worker/payload-codec.js';
import { backupDatabase, restoreDatabase } from '../scripts/lib/backup.js';
import { seedDemoData } from '../scripts/seed-demo.js';

const PASSWORD = 'backup-test-password';
const tag = randomUUID().slice(0, 8);
const databaseUrlOf = (base: string, name: string) => {
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
};

describe('backup and restore of the application database', () => {
  const infra = inject('infra');
  const admin = postgres(databaseUrlOf(infra.databaseUrl, 'postgres'), { max: 1, onnotice: () => {} });
  const sourceUrl = databaseUrlOf(infra.databaseUrl, `backup_src_${tag}`);
  const targetUrl = databaseUrlOf(infra.databaseUrl, `backup_dst_${tag}`);
  const file = join(tmpdir(), `suifang-backup-${tag}.sql.gz`);
  let source: Sql;
  let target: Sql;
  let connection: Connection;
  let env: Env;

  /** The portal and API on `sql`, signed in as `username`: fetch a page's HTML. */
  async function portal(sql: Sql, username: string) {
    const temporal = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE, dataConverter: payloadDataConverter(env) });
    const app = createHttpApp({ services: createServices({ sql, temporal, env }), webBuild: await loadWebBuild(infra.webBuildDir) });
    const login = await app.request('/api/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password: PASSWORD }),
    });
    expect(login.status).toBe(200);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    return async (path: string) => {
      const res = await app.request(path, { headers: { cookie } });
      expect(res.status, path).toBe(200);
      // The per-response CSP nonce (in attributes and the loader data) is all that differs between two renderings.
      const html = await res.text();
      const nonce = /nonce="([^"]+)"/.exec(html)?.[1];
      return nonce ? html.replaceAll(nonce, 'NONCE') : html;
    };
  }

  beforeAll(async () => {
    await admin.unsafe(`CREATE DATABASE backup_src_${tag}`);
    await admin.unsafe(`CREATE DATABASE backup_dst_${tag}`);
    await migrate(sourceUrl);
    env = { ...loadEnv({ NODE_ENV: 'test' }), DATABASE_URL: sourceUrl, TEMPORAL_TASK_QUEUE: `backup-${tag}` };
    source = createSql(sourceUrl, { max: 3 });
    target = createSql(targetUrl, { max: 3 });
    connection = await Connection.connect({ address: infra.temporalAddress });
    const temporal = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE, dataConverter: payloadDataConverter(env) });
    await seedDemoData({ sql: source, services: createServices({ sql: source, temporal, env }), password: PASSWORD, count: 15 });
  });

  afterAll(async () => {
    await source?.end();
    await target?.end();
    await connection?.close();
    for (const db of [`backup_src_${tag}`, `backup_dst_${tag}`]) await admin.unsafe(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin.end();
    rmSync(file, { force: true });
  });

  it('restores into an empty database: same rows, the audit chain verifies, the portal shows the same records', async () => {
    // Audited reads first, so the chain has rows of every kind.
    const before = await portal(source, 'head_gk');
    const [gkPatient] = await source<{ name: string }[]>`
      SELECT p.name FROM patients p JOIN encounters e ON e.patient_id = p.id WHERE e.department_code = 'GK' LIMIT 1`;
    expect(await before('/departments/GK')).toContain(gkPatient!.name);

    const summary = await backupDatabase(source, file);
    expect(summary.tables).toBeGreaterThan(20);
    expect(summary.migrations.length).toBeGreaterThan(5);

    const restored = await restoreDatabase(target, targetUrl, file);
    expect(restored.rows).toBe(summary.rows);

    const counts = async (sql: Sql) =>
      sql<{ patients: number; encounters: number; audit: number; users: number }[]>`
        SELECT (SELECT count(*) FROM patients)::int AS patients, (SELECT count(*) FROM encounters)::int AS encounters,
               (SELECT count(*) FROM audit_log)::int AS audit, (SELECT count(*) FROM users)::int AS users`;
    const [sourceCounts] = await counts(source);
    expect(sourceCounts!.encounters).toBe(15);
    expect((await counts(target))[0]).toEqual(sourceCounts);

    const [sourceAudit, targetAudit] = [await verifyAuditChain(source), await verifyAuditChain(target)];
    expect(targetAudit.problems).toEqual([]);
    expect(targetAudit).toMatchObject({ ok: true, checked: sourceAudit.checked });

    // The same sign-in and page on each database renders the same records.
    const [fromSource, fromTarget] = [await portal(source, 'head_gk'), await portal(target, 'head_gk')];
    const [a, b] = [await fromSource('/departments/GK'), await fromTarget('/departments/GK')];
    expect(b).toContain(gkPatient!.name);
    expect(b).toBe(a);
    const patient = (await target<{ id: string }[]>`SELECT id FROM patients ORDER BY his_patient_id LIMIT 1`)[0]!.id;
    expect(await fromTarget(`/patients/${patient}`)).toBe(await fromSource(`/patients/${patient}`));

    // A sequence continues after the restored rows: a new audited action chains on.
    await fromTarget('/departments/GK');
    expect((await verifyAuditChain(target)).ok).toBe(true);
  });

  it('refuses a database that holds data', async () => {
    await expect(restoreDatabase(source, sourceUrl, file)).rejects.toThrow(/not empty/);
  });
});
