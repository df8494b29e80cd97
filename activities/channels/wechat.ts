/**
 * WeChat Official Account (公众号): template messages to a bound patient's openid and
 * parametrised QR codes whose scan binds that openid (the event arrives at /api/webhooks/wechat).
 * The access token is cached until shortly before it expires and fetched again when WeChat says
 * it is invalid or expired (another process may have refreshed it).
 */
import type { MessageAdapter, SendRequest } from './types.js';
import { PermanentSendError } from './types.js';

export interface WechatSettings {
  appId: string;
  appSecret: string;
  /** https://api.weixin.qq.com unless pointed elsewhere (simulator). */
  apiBaseUrl: string;
  /** Template message used for every patient message; its fields are first / keyword1 / keyword2 / remark. */
  templateId: string;
}

interface WechatReply {
  errcode?: number;
  errmsg?: string;
}

/** access_token invalid (40001), expired (42001), not the latest (40014). */
const TOKEN_ERRORS = new Set([40001, 40014, 42001]);
/** The user has not subscribed / unfollowed (43004), blocked messages (43101), bad openid (40003). */
const PERMANENT = new Set([40003, 43004, 43101]);
const TOKEN_MARGIN_MS = 5 * 60_000;

export interface WechatClient extends MessageAdapter {
  /** A QR code whose scan (subscribe or SCAN event) carries `scene`: its image URL and the ticket. */
  createSceneQrCode(scene: string, expireSeconds: number): Promise<{ ticket: string; url: string; imageUrl: string }>;
}

export function createWechat(s: WechatSettings): WechatClient {
  const base = s.apiBaseUrl.replace(/\/$/, '');
  let cached: { token: string; expiresAt: number } | undefined;
  let fetching: Promise<string> | undefined;

  async function token(force = false): Promise<string> {
    if (!force && cached && cached.expiresAt > Date.now()) return cached.token;
    // One refresh at a time: concurrent sends share it instead of invalidating each other's token.
    fetching ??= (async () => {
      try {
        const url = `${base}/cgi-bin/token?grant_type=client_credential&appid=${encodeURIComponent(s.appId)}&secret=${encodeURIComponent(s.appSecret)}`;
        const body = (await (await fetch(url)).json()) as WechatReply & { access_token?: string; expires_in?: number };
        if (!body.access_token) throw new Error(`WeChat token: ${body.errcode} ${body.errmsg}`);
        cached = { token: body.access_token, expiresAt: Date.now() + (body.expires_in ?? 7200) * 1000 - TOKEN_MARGIN_MS };
        return body.access_token;
      } finally {
        fetching = undefined;
      }
    })();
    return fetching;
  }

  /** POSTs JSON to an API path with the access token, refreshing the token once if WeChat rejects it. */
  async function call<T extends WechatReply>(path: string, payload: unknown): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(`${base}${path}?access_token=${encodeURIComponent(await token(attempt > 0))}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(payload),
      });
      const body = (await res.json()) as T;
      if (body.errcode && TOKEN_ERRORS.has(body.errcode) && attempt === 0) continue;
      return body;
    }
  }

  return {
    provider: 'wechat',
    channel: 'wechat',
    async send(request: SendRequest) {
      const data = {
        first: { value: request.params.title ?? '随访通知' },
        keyword1: { value: request.params.hospital ?? '' },
        keyword2: { value: request.params.summary ?? request.text },
        remark: { value: request.link ? '点击填写' : '' },
      };
      const body = await call<WechatReply & { msgid?: number }>('/cgi-bin/message/template/send', {
        touser: request.to,
        template_id: s.templateId,
        ...(request.link ? { url: request.link } : {}),
        data,
      });
      if (body.errcode === 0 && body.msgid !== undefined) return { providerMessageId: String(body.msgid) };
      const message = `WeChat template send: ${body.errcode} ${body.errmsg}`;
      if (body.errcode !== undefined && PERMANENT.has(body.errcode)) throw new PermanentSendError(message, `wechat-${body.errcode}`);
      throw new Error(message);
    },
    async createSceneQrCode(scene, expireSeconds) {
      const body = await call<WechatReply & { ticket?: string; url?: string }>('/cgi-bin/qrcode/create', {
        expire_seconds: expireSeconds,
        action_name: 'QR_STR_SCENE',
        action_info: { scene: { scene_str: scene } },
      });
      if (!body.ticket || !body.url) throw new Error(`WeChat qrcode: ${body.errcode} ${body.errmsg}`);
      return { ticket: body.ticket, url: body.url, imageUrl: `${base === 'https://api.weixin.qq.com' ? 'https://mp.weixin.qq.com' : base}/cgi-bin/showqrcode?ticket=${encodeURIComponent(body.ticket)}` };
    },
  };
}
