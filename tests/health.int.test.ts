import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../api/app.js';
import { createSql } from '../db/client.js';
import { createServices } from '../services/index.js';
import { freePort } from '../scripts/lib/free-port.js';
import { createTestOrg, signIn, type TestOrg } from './support/org.js';
import { startStack, type TestStack } from './support/stack.js';

describe('GET /api/health', () => {
  let stack: TestStack;
  let org: TestOrg;
  beforeAll(async () => {
    stack = await startStack();
    org = await createTestOrg(stack.sql);
  });
  afterAll(() => stack.stop());

  it('answers 200 when Postgres and Temporal are up: anonymous callers learn only up/down, an admin sees both', async () => {
    const res = await stack.app.request('/api/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
    const admin = await stack.app.request('/api/health', { headers: { cookie: await signIn(stack.app, org.users.admin.username) } });
    expect(await admin.json()).toMatchObject({ ok: true, postgres: { ok: true }, temporal: { ok: true, namespace: 'default' } });
    const agent = await stack.app.request('/api/health', { headers: { cookie: await signIn(stack.app, org.users.agentA.username) } });
    expect(await agent.json()).toEqual({ ok: true });
  });

  it('answers 503 naming Temporal when Temporal is unreachable', async () => {
    const connection = Connection.lazy({ address: `127.0.0.1:${await freePort()}`, connectTimeout: 500 });
    const services = createServices({ sql: stack.sql, temporal: new Client({ connection }), env: stack.env });
    const anonymous = await createApi(services).request('/health');
    expect(anonymous.status).toBe(503);
    expect(await anonymous.json()).toEqual({ ok: false });
    const res = await createApi(services).request('/health', { headers: { cookie: await signIn(stack.app, org.users.manager.username) } });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ ok: false, postgres: { ok: true }, temporal: { ok: false } });
    await connection.close().catch(() => {});
  });

  it('answers 503 naming Postgres when the database is unreachable (to anonymous callers: down only)', async () => {
    const sql = createSql(`postgres://nobody:x@127.0.0.1:${await freePort()}/none`, { max: 1 });
    const services = createServices({ sql, temporal: stack.temporal, env: stack.env });
    const res = await createApi(services).request('/health');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ ok: false });
    // Without the database no session can be read, so the reasons come from the health service itself.
    const body = await services.health.check();
    expect(body.postgres.ok).toBe(false);
    expect(body.postgres.error).toBeTruthy();
    expect(body.temporal.ok).toBe(true);
    await sql.end({ timeout: 1 });
  });
});
