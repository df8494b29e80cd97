/**
 * Go-live administration: the first administrator from `npm run admin:create` in production mode,
 * then staff accounts over REST (create, edit, disable, reset to a one-time password) and a staff
 * list imported all or nothing.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ROOT } from '../scripts/lib/stack.js';
import { createTestOrg, signIn, type TestOrg } from './support/org.js';
import { startStack, uniq, type TestStack } from './support/stack.js';

const run = promisify(execFile);
const STRONG = 'Kq7#mWx2pLr9';

/** What a production deployment sets (loadEnv refuses production without them). */
const productionEnv = (databaseUrl: string): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  NODE_ENV: 'production' as const,
  DATABASE_URL: databaseUrl,
  SESSION_SECRET: randomBytes(24).toString('hex'),
  DEMO_PASSWORD: randomBytes(12).toString('hex'),
  PAYLOAD_KEYS: `k1:${randomBytes(32).toString('base64')}`,
  PAYLOAD_KEY_ID: 'k1',
  SEED_DEMO_DATA: 'false',
  HIS_API_TOKEN: randomBytes(16).toString('hex'),
  AUDIT_ANCHOR_KEY: randomBytes(32).toString('hex'),
  HOST: '127.0.0.1',
});

const adminCreate = (args: string[], env: NodeJS.ProcessEnv) =>
  run(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'scripts/admin-create.ts'), ...args], { cwd: ROOT, env }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

const post = (stack: TestStack, path: string, cookie: string, body?: unknown, method = 'POST') =>
  stack.app.request(path, {
    method,
    headers: { cookie, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

const upload = (stack: TestStack, path: string, cookie: string, name: string, bytes: Uint8Array<ArrayBuffer> | string) => {
  const form = new FormData();
  form.set('file', new File([bytes], name));
  return stack.app.request(path, { method: 'POST', headers: { cookie }, body: form });
};

describe('go-live administration', () => {
  let stack: TestStack;
  let org: TestOrg;
  let admin: string;
  beforeAll(async () => {
    stack = await startStack({ env: { NODE_ENV: 'production' } });
    org = await createTestOrg(stack.sql);
    admin = await signIn(stack.app, org.users.admin.username);
  });
  afterAll(() => stack.stop());

  it('admin:create makes the first administrator in production mode, never echoes the password, and refuses an existing user', async () => {
    const username = `root_${uniq().toLowerCase()}`;
    const env = { ...productionEnv(inject('infra').appDatabaseUrl), ADMIN_PASSWORD: STRONG };
    const first = await adminCreate(['--username', username], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`Administrator ${username} created`);
    expect(first.stdout + first.stderr).not.toContain(STRONG);

    const res = await stack.app.request('/api/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password: STRONG }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ user: { username, role: 'admin', departmentCode: null } });

    const again = await adminCreate(['--username', username.toUpperCase()], { ...env, ADMIN_PASSWORD: 'Another#Pass99' });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('已存在');
    const weak = await adminCreate(['--username', `${username}x`], { ...env, ADMIN_PASSWORD: 'short' });
    expect(weak.code).toBe(1);
    expect(weak.stderr).toContain('password: 密码至少');
    // The password piped on stdin (no ADMIN_PASSWORD) is read without being shown.
    const piped = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = execFile(
        join(ROOT, 'node_modules/.bin/tsx'),
        [join(ROOT, 'scripts/admin-create.ts'), '--username', `${username}_p`],
        { cwd: ROOT, env: { ...env, ADMIN_PASSWORD: undefined } },
        (err: Error | null, stdout: string, stderr: string) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
      );
      child.stdin!.end(`${STRONG}\n`);
    });
    expect(piped.code, piped.out).toBe(0);
    expect(piped.out).not.toContain(STRONG);

    const audit = await stack.sql`SELECT action, details->>'username' AS username FROM audit_log WHERE entity_type = 'user' AND details->>'username' = ${username}`;
    expect(audit).toEqual([{ action: 'user.create_first_admin', username }]);
  });

  it('POST /api/admin/users: 201 for an admin, 403 for others, 409 for a taken username, 400 naming the field', async () => {
    const username = `agent_${uniq().toLowerCase()}`;
    const body = { username, displayName: '王小明', role: 'agent', departmentCode: org.deptA, password: STRONG };
    const created = await post(stack, '/api/admin/users', admin, body);
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ user: { username, displayName: '王小明', role: 'agent', departmentCode: org.deptA, active: true, mustChangePassword: true } });

    for (const who of ['agentA', 'headA', 'manager'] as const) {
      const cookie = await signIn(stack.app, org.users[who].username);
      expect((await post(stack, '/api/admin/users', cookie, { ...body, username: `${username}_${who}` })).status, who).toBe(403);
    }
    const dup = await post(stack, '/api/admin/users', admin, { ...body, username: username.toUpperCase() });
    expect(dup.status).toBe(409);
    expect(await dup.json()).toMatchObject({ error: 'username_taken' });

    const cases: [Record<string, unknown>, string][] = [
      [{ ...body, username: undefined }, 'username'],
      [{ ...body, username: 'has space' }, 'username'],
      [{ ...body, displayName: '' }, 'displayName'],
      [{ ...body, role: 'boss' }, 'role'],
      [{ ...body, departmentCode: 'NOPE' }, 'departmentCode'],
      [{ ...body, departmentCode: null }, 'departmentCode'],
      [{ ...body, password: 'password' }, 'password'],
    ];
    for (const [input, field] of cases) {
      const res = await post(stack, '/api/admin/users', admin, { ...input, username: input.username === undefined ? undefined : `${String(input.username)}${uniq()}` });
      expect(res.status, field).toBe(400);
      const json = (await res.json()) as { problems: { field: string; message: string }[] };
      expect(json.problems.map((p) => p.field), JSON.stringify(json)).toContain(field);
    }
    const [count] = await stack.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM users WHERE username ILIKE ${username + '%'}`;
    expect(count!.n).toBe(1);
    expect((await post(stack, '/api/admin/users', '', body)).status).toBe(401);
  });

  it('edits, disables (never deletes) and resets to a one-time password that must be changed', async () => {
    const username = `staff_${uniq().toLowerCase()}`;
    const { user } = (await (await post(stack, '/api/admin/users', admin, { username, displayName: '李护士', role: 'agent', departmentCode: org.deptA, password: STRONG })).json()) as { user: { id: string } };

    const edited = await post(stack, `/api/admin/users/${user.id}`, admin, { displayName: '李护士长', role: 'dept_head', departmentCode: org.deptB, extension: '8021' }, 'PATCH');
    expect(edited.status).toBe(200);
    expect(await edited.json()).toMatchObject({ user: { displayName: '李护士长', role: 'dept_head', departmentCode: org.deptB, extension: '8021' } });
    const badEdit = await post(stack, `/api/admin/users/${user.id}`, admin, { extension: 'abc' }, 'PATCH');
    expect(badEdit.status).toBe(400);
    // The agent's own phone that 拨打 rings first: normalised to +86, or an extension; anything else names the field.
    const phoneEdit = await post(stack, `/api/admin/users/${user.id}`, admin, { callPhone: '010-8888 0021' }, 'PATCH');
    expect(await phoneEdit.json()).toMatchObject({ user: { callPhone: '+861088880021' } });
    const [stored] = await stack.sql<{ call_phone: string | null }[]>`SELECT call_phone FROM users WHERE id = ${user.id}`;
    expect(stored!.call_phone).toBe('+861088880021');
    const badPhone = await post(stack, `/api/admin/users/${user.id}`, admin, { callPhone: '12ab' }, 'PATCH');
    expect(badPhone.status).toBe(400);
    expect(JSON.stringify(await badPhone.json())).toContain('callPhone');
    expect((await (await post(stack, `/api/admin/users/${user.id}`, admin, { callPhone: '8021' }, 'PATCH')).json()) as unknown).toMatchObject({ user: { callPhone: '8021' } });

    // A reset: the old password stops working; the one-time one signs in but allows nothing but a change.
    const reset = await post(stack, `/api/admin/users/${user.id}/reset-password`, admin);
    const { oneTimePassword } = (await reset.json()) as { oneTimePassword: string };
    expect(oneTimePassword).toMatch(/^.{12}$/);
    await expect(signIn(stack.app, username, STRONG)).rejects.toThrow(/401/);
    const cookie = await signIn(stack.app, username, oneTimePassword);
    const me = (await (await stack.app.request('/api/auth/me', { headers: { cookie } })).json()) as { user: { mustChangePassword?: boolean } };
    expect(me.user.mustChangePassword).toBe(true);
    const blocked = await stack.app.request(`/api/departments/${org.deptB}/discharges`, { headers: { cookie } });
    expect(blocked.status).toBe(403);
    expect(await blocked.json()).toMatchObject({ error: 'password_change_required' });
    const change = (newPassword: string, currentPassword = oneTimePassword) => post(stack, '/api/auth/password', cookie, { currentPassword, newPassword });
    expect(await (await change('weakpass')).json()).toMatchObject({ problems: [{ field: 'newPassword' }] });
    expect(await (await change(STRONG)).json()).toMatchObject({ problems: [{ field: 'newPassword', message: expect.stringContaining('最近 5 次') }] });
    expect(await (await change('Fresh#Pass2026', 'wrong')).json()).toMatchObject({ problems: [{ field: 'currentPassword' }] });
    expect((await change('Fresh#Pass2026')).status).toBe(200);
    expect((await stack.app.request(`/api/departments/${org.deptB}/discharges`, { headers: { cookie } })).status).toBe(200);

    // Disabled: sessions end, sign-in fails like a wrong password, the row stays for the audit trail.
    expect((await post(stack, `/api/admin/users/${user.id}/disable`, admin)).status).toBe(200);
    expect((await stack.app.request('/api/auth/me', { headers: { cookie } })).status).toBe(401);
    await expect(signIn(stack.app, username, 'Fresh#Pass2026')).rejects.toThrow(/401/);
    const [row] = await stack.sql`SELECT active FROM users WHERE id = ${user.id}`;
    expect(row).toEqual({ active: false });
    const actions = (await stack.sql<{ action: string }[]>`SELECT action FROM audit_log WHERE entity_type = 'user' AND entity_id = ${user.id} ORDER BY id`).map((a) => a.action);
    expect(actions).toEqual(['user.create', 'user.update', 'user.update', 'user.update', 'user.reset_password', 'auth.password_change_failed', 'auth.password_change', 'user.disable']);
  });

  it('imports nothing from a staff list with three bad rows, and names row, column and reason of each', async () => {
    const id = uniq().toLowerCase();
    const csv = [
      '用户名,姓名,角色,科室,电话,分机',
      `imp1_${id},张三,客服,${org.deptA},13800000001,8001`,
      `imp2_${id},李四,主任,${org.deptA},,`,
      `imp3_${id},王五,客服,不存在的科室,,`,
      `imp4_${id},赵六,科室人员,${org.deptB},,`,
      `imp1_${id},钱七,客服,${org.deptA},,12`,
    ].join('\n');
    const preview = await upload(stack, '/api/admin/users/import/preview', admin, 'staff.csv', `\uFEFF${csv}`);
    expect(preview.status).toBe(200);
    const p = (await preview.json()) as { rows: unknown[]; errors: { row: number; column: string; message: string }[] };
    expect(p.rows).toHaveLength(5);
    expect(p.errors).toEqual([
      { row: 3, column: '角色', message: expect.stringContaining('角色“主任”无效') },
      { row: 4, column: '科室', message: '科室“不存在的科室”不存在' },
      { row: 6, column: '用户名', message: '与第 2 行的用户名重复' },
    ]);
    const commit = await upload(stack, '/api/admin/users/import', admin, 'staff.csv', csv);
    expect(commit.status).toBe(400);
    expect(((await commit.json()) as { rowErrors: unknown[] }).rowErrors).toHaveLength(3);
    const [none] = await stack.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM users WHERE username LIKE ${`imp%_${id}`}`;
    expect(none!.n).toBe(0);
  });

  it('imports a valid .xlsx staff list in one go, one-time passwords for rows without one', async () => {
    const id = uniq().toLowerCase();
    const book = new ExcelJS.Workbook();
    const sheet = book.addWorksheet('人员');
    sheet.addRow(['工号', '姓名', '角色', '科室', '初始密码']);
    sheet.addRow([`x1_${id}`, '周一', '客服', org.deptA, '']);
    sheet.addRow([`x2_${id}`, '吴二', 'dept_staff', org.deptB, 'Given#Pass2026']);
    sheet.addRow([`x3_${id}`, '郑三', '管理层', '', '']);
    const bytes = new Uint8Array(await book.xlsx.writeBuffer());
    const res = await upload(stack, '/api/admin/users/import', admin, 'staff.xlsx', bytes);
    expect(res.status, await res.clone().text()).toBe(201);
    const { created } = (await res.json()) as { created: { username: string; oneTimePassword: string | null }[] };
    expect(created.map((c) => [c.username, c.oneTimePassword === null])).toEqual([[`x1_${id}`, false], [`x2_${id}`, true], [`x3_${id}`, false]]);
    await signIn(stack.app, `x1_${id}`, created[0]!.oneTimePassword!);
    await signIn(stack.app, `x2_${id}`, 'Given#Pass2026');
    const notAFile = await upload(stack, '/api/admin/users/import/preview', admin, 'staff.txt', 'hello');
    expect(notAFile.status).toBe(400);
  });
});
