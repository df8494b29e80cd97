/**
 * Who the patient on /book and /book/mine is, without a staff sign-in: verified once, by an SMS
 * code or by their WeChat identity, then trusted for a short while (PATIENT_VERIFIED_MINUTES) by an
 * httpOnly cookie, so viewing and cancelling need no second code.
 *
 * WeChat identity: a page opened inside WeChat (User-Agent `MicroMessenger`) or from the Official
 * Account's menu link (`?from=wechat`) goes through WeChat's silent web authorization (snsapi_base,
 * activities/channels/wechat-oauth.ts); the openid WeChat answers is looked up in
 * patients.wechat_openid (bound by the discharge QR code). Bound → verified with the patient's own
 * mobile; unbound, incomplete or a refused code → the SMS code as before, with the reason shown.
 *
 * The cookie is sealed (AES-256-GCM, key derived from SESSION_SECRET): tampering or forging fails
 * authentication, and the mobile inside is not readable on the device. Its expiry is inside the
 * sealed value too, so an old cookie replayed after its Max-Age is still refused. Nothing of the
 * identity travels in the URL; the OAuth state is a random nonce kept in its own sealed cookie.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { parse, serialize } from 'hono/utils/cookie';
import type { Sql } from '../db/client.js';
import { WechatOAuthError, type WechatOAuth } from '../activities/channels/wechat-oauth.js';
import { maskIdCard, maskName, maskPhone } from '../domain/masking.js';

export const PATIENT_COOKIE = 'sf_patient';
const STATE_COOKIE = 'sf_wx_state';
/** How the last WeChat authorization ended (no identity in it): the page says why it asks for an SMS code. */
const OUTCOME_COOKIE = 'sf_wx';
const STATE_TTL_SECONDS = 600;

/** A patient proven to own `mobile` (and, from WeChat, to be `patientId`). */
export interface VerifiedPatient {
  mobile: string;
  /** The bound patient when identified through WeChat; null after an SMS code (the mobile is what was proven). */
  patientId: string | null;
  via: 'sms' | 'wechat';
}

export type WechatOutcome = 'bound' | 'unbound' | 'incomplete' | 'failed';

export const WECHAT_OUTCOME_TEXT: Record<Exclude<WechatOutcome, 'bound'>, string> = {
  unbound: '您的微信尚未绑定就诊人,请用短信验证码验证身份。',
  incomplete: '您的微信绑定的就诊信息不完整(缺手机号或证件号),请用短信验证码验证身份。',
  failed: '微信身份验证未成功(授权已失效),请用短信验证码验证身份。',
};

export interface PatientProfile {
  nameMasked: string;
  idNumberMasked: string;
  mobileMasked: string;
}

export interface PatientIdentityDeps {
  sql: Sql;
  /** SESSION_SECRET: the cookie key is derived from it. */
  secret: string;
  verifiedMinutes: number;
  /** Secure cookies (production). */
  secure: boolean;
  /** The deployment's public origin: WeChat returns the phone to <this>/book/wechat. */
  publicBaseUrl: string;
  /** WeChat web authorization; null when the Official Account is not configured. */
  oauth: WechatOAuth | null;
}

const WECHAT_UA = /MicroMessenger/i;
/** Only the booking pages are valid places to return to (no open redirect). */
const isBookingPath = (p: string) => /^\/book(\/mine)?(\?[^#]*)?$/.test(p);

export function createPatientIdentityService(deps: PatientIdentityDeps) {
  const key = createHmac('sha256', deps.secret).update('patient-identity-cookie').digest();
  const cookie = (name: string, value: string, maxAge: number) => serialize(name, value, { path: '/', httpOnly: true, sameSite: 'Lax', secure: deps.secure, maxAge });
  const cookies = (header: string | null | undefined) => (header ? parse(header) : {});

  function seal(payload: object, ttlSeconds: number): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify({ ...payload, exp: Date.now() + ttlSeconds * 1000 }), 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
  }

  function unseal<T>(value: string | undefined): T | null {
    if (!value) return null;
    try {
      const raw = Buffer.from(value, 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      const data = JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8')) as T & { exp: number };
      return typeof data.exp === 'number' && data.exp > Date.now() ? data : null;
    } catch {
      return null;
    }
  }

  return {
    verifiedMinutes: deps.verifiedMinutes,
    wechatEnabled: () => deps.oauth !== null,

    /** The verified patient of this browser, or null (none, expired, forged). */
    verified(cookieHeader: string | null | undefined): VerifiedPatient | null {
      const v = unseal<{ m?: unknown; p?: unknown; v?: unknown }>(cookies(cookieHeader)[PATIENT_COOKIE]);
      if (!v || typeof v.m !== 'string' || !/^1\d{10}$/.test(v.m)) return null;
      return { mobile: v.m, patientId: typeof v.p === 'string' ? v.p : null, via: v.v === 'wechat' ? 'wechat' : 'sms' };
    },

    /** Set-Cookie that keeps `who` verified for PATIENT_VERIFIED_MINUTES. */
    verifiedCookie(who: VerifiedPatient): string {
      const ttl = deps.verifiedMinutes * 60;
      return cookie(PATIENT_COOKIE, seal({ m: who.mobile, p: who.patientId, v: who.via }, ttl), ttl);
    },

    /** Set-Cookie that forgets the verified patient (另换手机号). */
    clearedCookie(): string {
      return cookie(PATIENT_COOKIE, '', 0);
    },

    /** How the last WeChat authorization of this browser ended, if one ran recently. */
    wechatOutcome(cookieHeader: string | null | undefined): WechatOutcome | null {
      const o = cookies(cookieHeader)[OUTCOME_COOKIE];
      return o === 'bound' || o === 'unbound' || o === 'incomplete' || o === 'failed' ? o : null;
    },

    /**
     * Whether this request should first go through WeChat's authorization: only inside WeChat or
     * from the Official Account's link (`?from=wechat`), only when not verified yet, and once per
     * while (an unbound or failed attempt is not repeated on every page).
     */
    shouldAuthorize(request: Request): boolean {
      if (!deps.oauth) return false;
      const header = request.headers.get('cookie');
      if (this.verified(header) || this.wechatOutcome(header)) return false;
      const url = new URL(request.url);
      return WECHAT_UA.test(request.headers.get('user-agent') ?? '') || url.searchParams.get('from') === 'wechat';
    },

    /** Where to send the phone for WeChat's authorization, and the cookie holding the state nonce. */
    startWechat(next: string): { location: string; setCookie: string } {
      if (!deps.oauth) throw new Error('WeChat web authorization is not configured');
      const state = randomBytes(12).toString('base64url');
      const back = isBookingPath(next) ? next : '/book';
      const redirectUri = `${deps.publicBaseUrl.replace(/\/$/, '')}/book/wechat`;
      return { location: deps.oauth.authorizeUrl(redirectUri, state), setCookie: cookie(STATE_COOKIE, seal({ s: state, n: back }, STATE_TTL_SECONDS), STATE_TTL_SECONDS) };
    },

    /**
     * WeChat returned with `code` and `state`: the code is exchanged for the openid, and a bound
     * patient becomes verified. Any failure (state not ours, code refused by WeChat: 40029 invalid,
     * 40163 used) ends as `failed`, and the page offers the SMS code instead.
     */
    async finishWechat(query: URLSearchParams, cookieHeader: string | null | undefined): Promise<{ next: string; outcome: WechatOutcome; setCookies: string[]; errcode?: number }> {
      const saved = unseal<{ s: string; n: string }>(cookies(cookieHeader)[STATE_COOKIE]);
      const next = saved && isBookingPath(saved.n) ? saved.n : '/book';
      const ttl = deps.verifiedMinutes * 60;
      const done = (outcome: WechatOutcome, extra: string[] = [], errcode?: number) => ({
        next,
        outcome,
        setCookies: [cookie(STATE_COOKIE, '', 0), cookie(OUTCOME_COOKIE, outcome, ttl), ...extra],
        ...(errcode !== undefined ? { errcode } : {}),
      });
      const code = query.get('code');
      if (!deps.oauth || !saved || saved.s !== query.get('state') || !code) return done('failed');
      let openid: string;
      try {
        openid = await deps.oauth.openidForCode(code);
      } catch (err) {
        if (!(err instanceof WechatOAuthError)) console.warn('[wechat-oauth] exchange failed:', err instanceof Error ? err.message : err);
        return done('failed', [], err instanceof WechatOAuthError ? err.errcode : undefined);
      }
      const [p] = await deps.sql<{ id: string; phone: string | null; id_number: string | null }[]>`
        SELECT id, phone, id_number FROM patients WHERE wechat_openid = ${openid} LIMIT 1`;
      if (!p) return done('unbound');
      const mobile = (p.phone ?? '').replace(/[\s-]/g, '').replace(/^\+86/, '');
      if (!/^1\d{10}$/.test(mobile) || !p.id_number) return done('incomplete');
      return done('bound', [this.verifiedCookie({ mobile, patientId: p.id, via: 'wechat' })]);
    },

    /** What the page shows of a WeChat-identified patient (masked): the booking form's prefilled identity. */
    async profile(who: VerifiedPatient): Promise<PatientProfile | null> {
      if (!who.patientId) return null;
      const [p] = await deps.sql<{ name: string; id_number: string | null }[]>`SELECT name, id_number FROM patients WHERE id = ${who.patientId}`;
      if (!p) return null;
      return { nameMasked: maskName(p.name, 'surname'), idNumberMasked: maskIdCard(p.id_number), mobileMasked: maskPhone(who.mobile) };
    },
  };
}

export type PatientIdentityService = ReturnType<typeof createPatientIdentityService>;
