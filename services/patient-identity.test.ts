/**
 * The booking pages' verified-patient cookie and WeChat authorization steps that need no database:
 * sealed (forged, tampered or another deployment's cookie is nobody), expiring inside the seal, the
 * return path limited to the booking pages, WeChat only inside WeChat or from its menu link.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Sql } from '../db/client.js';
import { createWechatOAuth } from '../activities/channels/wechat-oauth.js';
import { createPatientIdentityService } from './patient-identity.js';

const oauth = createWechatOAuth({ appId: 'wxapp', appSecret: 'secret', apiBaseUrl: 'http://127.0.0.1:9', authorizeBaseUrl: 'https://open.weixin.qq.com' });
const service = (secret = 'unit-test-session-secret', withOauth = true) =>
  createPatientIdentityService({ sql: null as unknown as Sql, secret, verifiedMinutes: 30, secure: false, publicBaseUrl: 'https://h.example.cn', oauth: withOauth ? oauth : null });
const cookieOf = (setCookie: string) => setCookie.split(';')[0]!;
const who = { mobile: '13800138000', patientId: null, via: 'sms' as const };

afterEach(() => vi.useRealTimers());

describe('verified patient cookie', () => {
  it('round-trips, hides the mobile, and is httpOnly with a Max-Age of the verified minutes', () => {
    const set = service().verifiedCookie(who);
    expect(set).toMatch(/HttpOnly/);
    expect(set).toMatch(/Max-Age=1800/);
    expect(set).toMatch(/SameSite=Lax/);
    expect(set).not.toContain(who.mobile);
    expect(service().verified(cookieOf(set))).toEqual(who);
  });

  it('is nobody when tampered, from another secret, or past its time (even if the browser still sends it)', () => {
    vi.useFakeTimers({ now: new Date('2026-11-30T08:00:00Z') });
    const value = cookieOf(service().verifiedCookie(who));
    const flipped = value.replace(/=(.)/, (_m, c: string) => `=${c === 'A' ? 'B' : 'A'}`);
    expect(service().verified(flipped)).toBeNull();
    expect(service('another-deployment-secret').verified(value)).toBeNull();
    vi.setSystemTime(new Date('2026-11-30T08:29:00Z'));
    expect(service().verified(value)).toEqual(who);
    vi.setSystemTime(new Date('2026-11-30T08:31:00Z'));
    expect(service().verified(value)).toBeNull();
  });
});

describe('WeChat authorization', () => {
  const req = (path: string, ua = '') => new Request(`http://localhost${path}`, { headers: { 'user-agent': ua } });
  const wechatUa = 'Mozilla/5.0 (iPhone) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0.47 NetType/WIFI';

  it('runs only inside WeChat or from the ?from=wechat link, and only when configured', () => {
    expect(service().shouldAuthorize(req('/book', wechatUa))).toBe(true);
    expect(service().shouldAuthorize(req('/book?from=wechat'))).toBe(true);
    expect(service().shouldAuthorize(req('/book', 'Mozilla/5.0 Chrome/126.0'))).toBe(false);
    expect(service(undefined, false).shouldAuthorize(req('/book', wechatUa))).toBe(false);
  });

  it('returns only to a booking page (no open redirect); a state that is not this browser\'s fails', async () => {
    const s = service();
    const start = s.startWechat('https://evil.example/steal');
    const state = new URL(start.location).searchParams.get('state')!;
    expect(new URL(start.location).searchParams.get('redirect_uri')).toBe('https://h.example.cn/book/wechat');
    const wrongState = await s.finishWechat(new URLSearchParams({ code: 'c', state: 'other' }), cookieOf(start.setCookie));
    expect(wrongState).toMatchObject({ next: '/book', outcome: 'failed' });
    expect(wrongState.setCookies.some((c) => c.startsWith('sf_patient='))).toBe(false);
    expect(state).toMatch(/^[\w-]{16}$/);
    const mine = s.startWechat('/book/mine');
    const noState = await s.finishWechat(new URLSearchParams({ code: 'c' }), cookieOf(mine.setCookie));
    expect(noState).toMatchObject({ next: '/book/mine', outcome: 'failed' });
  });
});
