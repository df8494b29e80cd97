/** Web hardening: same-origin form posts, sign-in rate limit, security headers. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestOrg, TEST_PASSWORD, type TestOrg } from './support/org.js';
import { startStack, type TestStack } from './support/stack.js';

describe('web hardening', () => {
  let stack: TestStack;
  let org: TestOrg;
  beforeAll(async () => {
    stack = await startStack({ web: true, env: { SIGNIN_RATE_LIMIT: 4 } });
    org = await createTestOrg(stack.sql);
  });
  afterAll(() => stack.stop());

  const formLogin = (origin: string, password = TEST_PASSWORD) =>
    stack.app.request('http://localhost:3000/login', {
      method: 'POST',
      headers: { host: 'localhost:3000', origin, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: org.users.agentA.username, password }).toString(),
    });

  it('refuses a form post from another site (CSRF) and takes one from the portal itself', async () => {
    const foreign = await formLogin('https://evil.example');
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('set-cookie')).toBeNull();
    const own = await formLogin('http://localhost:3000');
    expect(own.status).toBe(302);
    expect(own.headers.get('set-cookie')).toContain('sf_session=');
  });

  it('limits sign-in attempts per address across the page and the API, with a clear message', async () => {
    // Two attempts above were counted; two more are allowed, then 429.
    expect((await formLogin('http://localhost:3000', 'wrong')).status).toBe(401);
    const api = () =>
      stack.app.request('/api/auth/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: org.users.headA.username, password: 'wrong' }),
      });
    expect((await api()).status).toBe(401);
    const limited = await api();
    expect(limited.status).toBe(429);
    expect(((await limited.json()) as { message: string }).message).toContain('过于频繁');
    expect(limited.headers.get('ratelimit-policy')).toBeTruthy();
  });

  it('allows only our own scripts and the inline ones carrying this response\'s nonce', async () => {
    const res = await stack.app.request('/login');
    const csp = res.headers.get('content-security-policy') ?? '';
    const nonce = /script-src 'self' 'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    expect(csp).not.toContain('unsafe-inline');
    const html = await res.text();
    const inline = [...html.matchAll(/<script(?![^>]*\bsrc=)([^>]*)>/g)].map((m) => m[1]);
    expect(inline.length).toBeGreaterThan(0);
    for (const attrs of inline) expect(attrs).toContain(`nonce="${nonce}"`);
    const again = (await stack.app.request('/login')).headers.get('content-security-policy');
    expect(again).not.toContain(nonce!);
  });

  it('sends security headers on pages and API answers', async () => {
    for (const path of ['/login', '/api/health']) {
      const res = await stack.app.request(path);
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    }
  });
});

describe('sign-in limit on every path', () => {
  let stack: TestStack;
  let org: TestOrg;
  beforeAll(async () => {
    stack = await startStack({ web: true, env: { SIGNIN_RATE_LIMIT: 3 } });
    org = await createTestOrg(stack.sql);
  });
  afterAll(() => stack.stop());

  const form = (username: string, password: string) => new URLSearchParams({ username, password }).toString();
  const formHeaders = { host: 'localhost:3000', origin: 'http://localhost:3000', 'content-type': 'application/x-www-form-urlencoded' };
  /** Every way a client can reach a sign-in action: the API, the form post, Remix's single-fetch data request, variants Remix also routes. */
  const paths: [string, (username: string, password: string) => Promise<Response>][] = [
    ['POST /api/auth/login', async (username, password) =>
      stack.app.request('/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) })],
    ...['/login', '/login.data', '/login.data?index', '/LOGIN', '/login/'].map(
      (path) => [`POST ${path}`, async (username: string, password: string) =>
        stack.app.request(`http://localhost:3000${path}`, { method: 'POST', headers: formHeaders, body: form(username, password) })] as [string, (u: string, p: string) => Promise<Response>],
    ),
    ['PUT /login', async (username, password) => stack.app.request('http://localhost:3000/login', { method: 'PUT', headers: formHeaders, body: form(username, password) })],
  ];

  it('answers 429 on every sign-in path once the budget is spent, even for the right password', async () => {
    for (const path of ['/login.data', '/login', '/api/auth/login']) {
      const [, attempt] = paths.find(([name]) => name.endsWith(` ${path}`))!;
      expect((await attempt(org.users.agentA.username, 'wrong')).status, path).not.toBe(429);
    }
    for (const [name, attempt] of paths) {
      const res = await attempt(org.users.agentA.username, TEST_PASSWORD);
      expect(res.status, name).toBe(429);
      expect(res.headers.get('set-cookie'), name).toBeNull();
    }
    const [signIns] = await stack.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM audit_log WHERE actor_username = ${org.users.agentA.username} AND action = 'auth.login'`;
    expect(signIns!.n).toBe(0);
  });
});
