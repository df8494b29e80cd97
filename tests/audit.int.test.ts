import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from '../db/client.js';
import type { Principal } from '../domain/access.js';
import { createAuditService } from '../services/audit.js';
import { verifyAuditChain } from '../services/audit-verify.js';
import { createTestOrg, signIn, type TestOrg } from './support/org.js';
import { createOwnDatabase, type OwnDatabase } from './support/own-database.js';
import { startStack, uniq, type TestStack } from './support/stack.js';

async function principal(sql: Sql, username: string): Promise<Principal> {
  const [u] = await sql<Principal[]>`
    SELECT id, username, display_name AS "displayName", role, department_code AS "departmentCode" FROM users WHERE username = ${username}`;
  return u!;
}

describe('audit chain on the shared database', () => {
  let stack: TestStack;
  let org: TestOrg;
  let admin: Principal;
  let agent: Principal;
  let tag: string;
  let patient: { id: string; his: string };
  beforeAll(async () => {
    stack = await startStack({ web: true });
    org = await createTestOrg(stack.sql);
    admin = await principal(stack.sql, org.users.admin.username);
    agent = await principal(stack.sql, org.users.agentA.username);
    tag = `test.audit${uniq().toLowerCase()}`;
    const his = `P-${uniq()}`;
    const [p] = await stack.sql<{ id: string }[]>`INSERT INTO patients (his_patient_id, name) VALUES (${his}, '张三') RETURNING id`;
    patient = { id: p!.id, his };
    const meta = { ip: '10.1.2.3', userAgent: 'vitest-audit' };
    await stack.services.audit.record({ actor: agent, action: `${tag}.view`, entityType: 'patient', entityId: p!.id, patientId: p!.id }, meta);
    await stack.services.audit.record({ actor: agent, action: `${tag}.edit`, details: { note: '=HYPERLINK("x")，中文' } }, meta);
    await stack.services.audit.record({ actor: admin, action: `${tag}.view`, patientId: p!.id }, meta);
  });
  afterAll(() => stack.stop());

  it('chains every row to the one before it', async () => {
    const mine = await stack.sql<{ id: string; prev_hash: string | null; hash: string; computed: string }[]>`
      SELECT a.id, a.prev_hash, a.hash, audit_row_hash(a) AS computed FROM audit_log a WHERE a.action LIKE ${tag + '.%'} ORDER BY a.id`;
    expect(mine).toHaveLength(3);
    for (const row of mine) {
      expect(row.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(row.hash).toBe(row.computed);
      const [before] = await stack.sql<{ hash: string }[]>`SELECT hash FROM audit_log WHERE id < ${row.id} ORDER BY id DESC LIMIT 1`;
      // (The very first row of the shared database has no predecessor.)
      expect(row.prev_hash).toBe(before ? before.hash : null);
    }
  });

  it("refuses UPDATE and DELETE through the app's connection", async () => {
    const [row] = await stack.sql<{ id: string }[]>`SELECT id FROM audit_log WHERE action LIKE ${tag + '.%'} ORDER BY id LIMIT 1`;
    await expect(stack.sql`UPDATE audit_log SET action = 'x' WHERE id = ${row!.id}`).rejects.toThrow(/audit_log is append-only/);
    await expect(stack.sql`DELETE FROM audit_log WHERE id = ${row!.id}`).rejects.toThrow(/audit_log is append-only/);
    const [still] = await stack.sql`SELECT action FROM audit_log WHERE id = ${row!.id}`;
    expect(still).toMatchObject({ action: `${tag}.view` });
  });

  it('lets an admin search by person, patient, action and period', async () => {
    const audit = stack.services.audit;
    const byAction = await audit.search(admin, { action: `${tag}.` });
    expect(byAction.rows.map((r) => r.action).sort()).toEqual([`${tag}.edit`, `${tag}.view`, `${tag}.view`]);
    expect(byAction.rows[0]).toMatchObject({ ip: '10.1.2.3', atLocal: expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/) });

    const byPerson = await audit.search(admin, { username: agent.username.toUpperCase(), action: tag });
    expect(byPerson.rows).toHaveLength(2);
    expect(byPerson.rows.every((r) => r.actorUsername === agent.username)).toBe(true);

    for (const p of [patient.his, patient.id]) {
      const byPatient = await audit.search(admin, { patient: p });
      expect(byPatient.rows).toHaveLength(2);
      expect(byPatient.rows.every((r) => r.patientId === patient.id && r.hisPatientId === patient.his)).toBe(true);
    }

    const [{ today, tomorrow }] = (await stack.sql`
      SELECT to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD') AS today,
             to_char(now() AT TIME ZONE 'Asia/Shanghai' + interval '1 day', 'YYYY-MM-DD') AS tomorrow`) as unknown as [{ today: string; tomorrow: string }];
    expect((await audit.search(admin, { action: tag, from: today, to: today })).rows).toHaveLength(3);
    expect((await audit.search(admin, { action: tag, from: tomorrow })).rows).toHaveLength(0);
    await expect(audit.search(admin, { from: '2025-13-45x' })).rejects.toMatchObject({ status: 400 });
    // LIKE wildcards in the prefix are literal.
    expect((await audit.search(admin, { action: `${tag.slice(0, -2)}%` })).rows).toHaveLength(0);
  });

  it('refuses the search to non-admins (service and portal page)', async () => {
    await expect(stack.services.audit.search(agent, {})).rejects.toMatchObject({ status: 403 });
    const manager = await principal(stack.sql, org.users.manager.username);
    await expect(stack.services.audit.search(manager, {})).rejects.toMatchObject({ status: 403 });
    const cookie = await signIn(stack.app, org.users.agentA.username);
    expect((await stack.app.request('/admin/audit', { headers: { cookie } })).status).toBe(403);
    expect((await stack.app.request('/api/audit/export.csv', { headers: { cookie } })).status).toBe(403);
  });

  it('shows the page and exports CSV with a BOM, auditing the export', async () => {
    const cookie = await signIn(stack.app, org.users.admin.username);
    const page = await stack.app.request(`/admin/audit?action=${encodeURIComponent(tag + '.')}`, { headers: { cookie } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('审计日志');
    expect(html).toContain(`${tag}.edit`);

    expect(html).toContain('/api/audit/export.csv?');
    const res = await stack.app.request(`/api/audit/export.csv?action=${encodeURIComponent(tag + '.')}`, { headers: { cookie } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = new TextDecoder().decode(bytes);
    const lines = text.trim().split('\r\n');
    expect(lines[0]).toContain('人员');
    expect(lines).toHaveLength(4);
    expect(text).toContain(`${tag}.edit`);
    // A cell a spreadsheet would run as a formula is defused.
    expect(text).not.toMatch(/,"?=HYPERLINK/);

    const [exported] = await stack.sql`
      SELECT action, details FROM audit_log WHERE actor_username = ${org.users.admin.username} AND action = 'audit.export' ORDER BY id DESC LIMIT 1`;
    expect(exported).toMatchObject({ action: 'audit.export', details: { rows: 3, filters: { action: `${tag}.` } } });
  });
});

describe('audit chain verification (a database of its own, since it tampers with the chain)', () => {
  let db: OwnDatabase;
  let sql: Sql;
  const meta = { ip: '127.0.0.1' };

  beforeAll(async () => {
    db = await createOwnDatabase('audit_tamper');
    sql = db.sql;
  });
  afterAll(() => db?.drop());

  const ids = async () => (await sql<{ id: string }[]>`SELECT id FROM audit_log ORDER BY id`).map((r) => r.id);

  it('is OK on an untouched chain, and after a retention purge resumes from the checkpoint', async () => {
    expect(await verifyAuditChain(sql)).toEqual({ ok: true, checked: 0, problems: [] });
    // Three rows older than the retention period, then five current ones.
    for (let i = 0; i < 3; i++) await sql`INSERT INTO audit_log (at, action) VALUES (now() - interval '400 days', 'old.event')`;
    const audit = createAuditService({ sql });
    for (let i = 0; i < 5; i++) await audit.record({ action: `event.${i}`, details: { i, text: '中文 "quoted"' } }, meta);
    expect(await verifyAuditChain(sql)).toEqual({ ok: true, checked: 8, problems: [] });

    await expect(sql`TRUNCATE audit_log`).rejects.toThrow(/append-only/);
    // A cutoff later than the retention period purges only what retention allows.
    const [{ purged }] = (await sql`SELECT audit_purge_before(now()) AS purged`) as unknown as [{ purged: string }];
    expect(Number(purged)).toBe(3);
    const [checkpoint] = await sql`SELECT purged_through_id, last_hash FROM audit_checkpoints`;
    expect(checkpoint!.last_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(await verifyAuditChain(sql)).toEqual({ ok: true, checked: 5, problems: [] });
    await expect(sql`DELETE FROM audit_checkpoints`).rejects.toThrow(/append-only/);
  });

  it('names a row whose content was changed', async () => {
    const [, second] = await ids();
    await sql.begin(async (tx) => {
      await tx`ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only`;
      await tx`UPDATE audit_log SET details = '{"i": 99}'::jsonb WHERE id = ${second!}`;
      await tx`ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only`;
    });
    const report = await verifyAuditChain(sql);
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([{ id: second, problem: expect.stringContaining(`row ${second} was changed`) }]);
  });

  it('names the gap a deleted row leaves', async () => {
    const all = await ids();
    const [deleted, next] = [all[3]!, all[4]!];
    await sql.begin(async (tx) => {
      await tx`ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only`;
      await tx`DELETE FROM audit_log WHERE id = ${deleted}`;
      await tx`ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only`;
    });
    const report = await verifyAuditChain(sql);
    expect(report.ok).toBe(false);
    expect(report.problems).toContainEqual({ id: next, problem: expect.stringContaining(`row(s) before ${next} were deleted`) });
    // New rows still chain on (and the earlier problems stay reported).
    await createAuditService({ sql }).record({ action: 'event.after' }, meta);
    expect((await verifyAuditChain(sql)).problems).toHaveLength(2);
  });
});
