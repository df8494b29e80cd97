import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestOrg, signIn, TEST_PASSWORD, type TestOrg } from './support/org.js';
import { startStack, type TestStack } from './support/stack.js';

const login = (stack: TestStack, body: unknown) =>
  stack.app.request('/api/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': 'vitest' },
    body: JSON.stringify(body),
  });

describe('sign-in', () => {
  let stack: TestStack;
  let org: TestOrg;
  beforeAll(async () => {
    stack = await startStack({ env: { LOGIN_MAX_FAILURES: 3, LOGIN_LOCK_MINUTES: 15 } });
    org = await createTestOrg(stack.sql);
  });
  afterAll(() => stack.stop());

  it('sets an httpOnly SameSite session cookie and audits the sign-in', async () => {
    const { username } = org.users.agentA;
    const res = await login(stack, { username, password: TEST_PASSWORD });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ user: { username, role: 'agent', departmentCode: org.deptA } });
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^sf_session=[\w-]{20,};/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Lax');

    const me = await stack.app.request('/api/auth/me', { headers: { cookie: cookie.split(';')[0]! } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ user: { username } });

    const audit = await stack.sql`SELECT action, actor_role, user_agent FROM audit_log WHERE actor_username = ${username} ORDER BY id`;
    expect(audit.at(-1)).toMatchObject({ action: 'auth.login', actor_role: 'agent', user_agent: 'vitest' });
  });

  it('answers 401 with a clear message for a wrong password or unknown user, and 400 for a missing field', async () => {
    const wrong = await login(stack, { username: org.users.headA.username, password: 'nope' });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { message: string }).message).toContain('用户名或密码错误');
    const unknown = await login(stack, { username: 'no-such-user', password: 'x' });
    expect(unknown.status).toBe(401);
    const missing = await login(stack, { username: 'x' });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ problems: [{ field: 'password' }] });
  });

  it('gives an unknown user and a wrong password the very same answer', async () => {
    const wrong = await login(stack, { username: org.users.agentB.username, password: 'Wrong#Pass2026' });
    const unknown = await login(stack, { username: `nobody-${org.deptA}`, password: 'Wrong#Pass2026' });
    expect([wrong.status, unknown.status]).toEqual([401, 401]);
    expect(await unknown.text()).toBe(await wrong.text());
    // The portal's form says the same in both cases too.
    const form = (username: string) =>
      stack.services.auth.login({ username, password: 'Wrong#Pass2026' }, {}).catch((err: Error & { status: number }) => [err.status, err.message]);
    expect(await form(`nobody-${org.deptB}`)).toEqual(await form(org.users.agentB.username));
  });

  it('ends a session idle for longer than the idle timeout, and purges ended sessions', async () => {
    const cookie = await signIn(stack.app, org.users.headA.username);
    expect((await stack.app.request('/api/auth/me', { headers: { cookie } })).status).toBe(200);
    const [user] = await stack.sql<{ id: string }[]>`SELECT id FROM users WHERE username = ${org.users.headA.username}`;
    // 29 minutes idle is still within the default 30; 31 is not, although the absolute expiry is hours away.
    await stack.sql`UPDATE sessions SET last_seen_at = now() - interval '29 minutes' WHERE user_id = ${user!.id}`;
    expect((await stack.app.request('/api/auth/me', { headers: { cookie } })).status).toBe(200);
    await stack.sql`UPDATE sessions SET last_seen_at = now() - interval '31 minutes' WHERE user_id = ${user!.id}`;
    expect((await stack.app.request('/api/auth/me', { headers: { cookie } })).status).toBe(401);
    expect(await stack.sql`SELECT 1 FROM sessions WHERE user_id = ${user!.id}`).toHaveLength(1);
    await signIn(stack.app, org.users.manager.username);
    const left = await stack.sql<{ fresh: boolean }[]>`SELECT last_seen_at > now() - interval '1 minute' AS fresh FROM sessions WHERE user_id = ${user!.id}`;
    expect(left).toEqual([]);
  });

  it('sends a user whose password expired (PASSWORD_MAX_AGE_DAYS, 90) to change it before anything else', async () => {
    const { username } = org.users.agentA;
    await stack.sql`UPDATE users SET password_changed_at = now() - interval '91 days' WHERE username = ${username}`;
    const cookie = await signIn(stack.app, username);
    const me = (await (await stack.app.request('/api/auth/me', { headers: { cookie } })).json()) as { user: { mustChangePassword?: boolean } };
    expect(me.user.mustChangePassword).toBe(true);
    const refused = await stack.app.request('/api/tasks/today', { headers: { cookie } });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: 'password_change_required' });
    await stack.sql`UPDATE users SET password_changed_at = now() - interval '89 days' WHERE username = ${username}`;
    expect((await stack.app.request('/api/tasks/today', { headers: { cookie } })).status).toBe(200);
  });

  it('locks the account after repeated failures, refusing even the right password', async () => {
    const { username } = org.users.staffB;
    for (let i = 0; i < 2; i++) expect((await login(stack, { username, password: 'bad' })).status).toBe(401);
    const third = await login(stack, { username, password: 'bad' });
    expect(third.status).toBe(423);
    expect(((await third.json()) as { message: string }).message).toContain('锁定');
    const right = await login(stack, { username, password: TEST_PASSWORD });
    expect(right.status).toBe(423);
    const actions = await stack.sql<{ action: string }[]>`SELECT action FROM audit_log WHERE actor_username = ${username} ORDER BY id`;
    expect(actions.map((a) => a.action)).toEqual(['auth.login_failed', 'auth.login_failed', 'auth.login_failed', 'auth.login_refused']);
  });

  it('signs out: the cookie stops working and the sign-out is audited', async () => {
    const { username } = org.users.manager;
    const cookie = await signIn(stack.app, username);
    const out = await stack.app.request('/api/auth/logout', { method: 'POST', headers: { cookie } });
    expect(out.status).toBe(200);
    expect(out.headers.get('set-cookie')).toContain('Max-Age=0');
    expect((await stack.app.request('/api/auth/me', { headers: { cookie } })).status).toBe(401);
    const [last] = await stack.sql`SELECT action FROM audit_log WHERE actor_username = ${username} ORDER BY id DESC LIMIT 1`;
    expect(last).toMatchObject({ action: 'auth.logout' });
  });

  it('refuses API reads without a session', async () => {
    const res = await stack.app.request(`/api/departments/${org.deptA}/discharges`);
    expect(res.status).toBe(401);
  });
});
