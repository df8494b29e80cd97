/**
 * Audit chain anchoring: the chain's head is written, signed, to a folder outside the database
 * by the Schedule `audit-anchor`; `npm run audit:verify` then also notices deleted newest rows,
 * which leave a chain that is valid in itself.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLatestAnchor, writeAuditAnchor } from '../services/audit-anchor.js';
import { createAuditService } from '../services/audit.js';
import { verifyAuditChain } from '../services/audit-verify.js';
import { AUDIT_ANCHOR_SCHEDULE_ID, ensureAuditAnchorSchedule } from '../worker/audit-anchor-schedule.js';
import { waitFor } from './support/follow-up-fixtures.js';
import { createOwnDatabase, type OwnDatabase } from './support/own-database.js';
import { startStack, type TestStack } from './support/stack.js';

const KEY = 'test-audit-anchor-key-0123456789abcdef';

/** `npm run audit:verify` as an operator runs it: exit code and what it printed. */
async function auditVerify(env: Record<string, string>): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)('npx', ['tsx', 'scripts/audit-verify.ts'], { env: { ...process.env, NODE_ENV: 'test', ...env } });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

describe('audit anchors (a database of its own, since it deletes rows)', () => {
  let db: OwnDatabase;
  let dir: string;
  beforeAll(async () => {
    db = await createOwnDatabase('audit_anchor');
    dir = mkdtempSync(join(tmpdir(), 'suifang-anchors-'));
  });
  afterAll(async () => {
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('passes untouched, and names the gap when the newest rows are deleted after an anchor', async () => {
    const { sql } = db;
    const audit = createAuditService({ sql });
    const settings = { dir, key: KEY };
    const cli = { DATABASE_URL: db.url, AUDIT_ANCHOR_DIR: dir, AUDIT_ANCHOR_KEY: KEY };
    expect(await writeAuditAnchor(sql, settings)).toBeNull(); // nothing to anchor yet
    for (let i = 0; i < 4; i++) await audit.record({ action: `anchor.test.${i}` }, {});
    const anchor = await writeAuditAnchor(sql, settings);
    const ids = (await sql<{ id: string }[]>`SELECT id::text FROM audit_log ORDER BY id`).map((r) => r.id);
    expect(anchor).toMatchObject({ headId: ids.at(-1), headHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    // Rows written after the anchor are fine.
    await audit.record({ action: 'anchor.test.after' }, {});

    expect(await verifyAuditChain(sql, { anchors: settings })).toMatchObject({ ok: true, checked: 5, problems: [], anchor });
    const untouched = await auditVerify(cli);
    expect(untouched).toMatchObject({ code: 0, out: expect.stringContaining(`audit trail OK: 5 rows, anchored through row ${anchor!.headId}`) });

    // Delete the two newest rows (the anchored head and the one after): what is left is a valid chain.
    const [kept, head] = [ids.at(-2)!, anchor!.headId];
    await sql.begin(async (tx) => {
      await tx`ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only`;
      await tx`DELETE FROM audit_log WHERE id > ${kept}::bigint`;
      await tx`ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only`;
    });
    expect(await verifyAuditChain(sql)).toMatchObject({ ok: true }); // the chain alone cannot tell
    const report = await verifyAuditChain(sql, { anchors: settings });
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([
      { id: head, problem: expect.stringContaining(`the chain now ends at row ${kept}, so rows after ${kept} through ${head} were deleted`) },
    ]);
    const broken = await auditVerify(cli);
    expect(broken.code).toBe(1);
    expect(broken.out).toContain('audit trail BROKEN');
    expect(broken.out).toContain(`rows after ${kept} through ${head} were deleted`);
  }, 60_000);

  it('refuses an anchor file that was changed or signed with another key', async () => {
    const [name] = readdirSync(dir).filter((n) => n.startsWith('audit-anchor-'));
    const file = JSON.parse(readFileSync(join(dir, name!), 'utf8')) as { headId: string };
    writeFileSync(join(dir, 'audit-anchor-99999999999999999999.json'), JSON.stringify({ ...file, headId: '99999999999999999999' }));
    const { anchor, problems } = await readLatestAnchor({ dir, key: KEY });
    expect(anchor?.headId).toBe(file.headId);
    expect(problems).toEqual([expect.stringContaining('audit-anchor-99999999999999999999.json has an invalid signature')]);
    expect((await readLatestAnchor({ dir, key: 'another-key-of-at-least-32-characters!' })).anchor).toBeNull();
  });
});

describe('the Schedule audit-anchor', () => {
  let stack: TestStack;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'suifang-anchors-'));
    stack = await startStack({ worker: true, env: { AUDIT_ANCHOR_DIR: dir, AUDIT_ANCHOR_KEY: KEY } });
  });
  afterAll(async () => {
    await stack.temporal.schedule.getHandle(AUDIT_ANCHOR_SCHEDULE_ID).delete().catch(() => undefined);
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("writes the chain's head to the folder when it runs", async () => {
    await stack.services.audit.record({ action: 'anchor.schedule' }, {});
    await ensureAuditAnchorSchedule(stack.temporal, { taskQueue: stack.taskQueue, everySeconds: 3600 });
    await stack.temporal.schedule.getHandle(AUDIT_ANCHOR_SCHEDULE_ID).trigger();
    const { anchor } = await waitFor(async () => {
      const latest = await readLatestAnchor({ dir, key: KEY });
      return latest.anchor ? latest : undefined;
    }, 30_000, 'anchor file');
    const [head] = await stack.sql<{ id: string; hash: string }[]>`SELECT id::text, hash FROM audit_log ORDER BY id DESC LIMIT 1`;
    // Other test files write audit rows meanwhile: the anchored head is at most the newest.
    expect(BigInt(anchor!.headId)).toBeLessThanOrEqual(BigInt(head!.id));
    const [anchored] = await stack.sql<{ hash: string }[]>`SELECT hash FROM audit_log WHERE id = ${anchor!.headId}::bigint`;
    expect(anchored!.hash).toBe(anchor!.headHash);
  });
});
