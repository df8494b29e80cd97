/**
 * Local simulators of the message providers, for development, the demo and tests: one HTTP
 * server speaking Twilio's Messages API (under /twilio, the SDK's host rewritten), Alibaba Cloud
 * SMS's RPC SendSms (at /, the SDK's endpoint), the WeChat Official Account API (under /wechat) and
 * WeChat's web authorization page (under /wechat-open: silent snsapi_base, back with a one-time code).
 * Each sends its provider's callbacks back to the deployment, signed as the provider signs them:
 * Twilio X-Twilio-Signature (HMAC-SHA1 over URL + sorted parameters), WeChat's sha1 signature
 * of token/timestamp/nonce, Aliyun's report push (a shared token in the URL).
 *
 * Shapes follow the providers' public documentation; samples are kept in tests/fixtures/providers.
 * A control API under /sim lets a developer (the 模拟手机 page) or a test act as the patient.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { mountTwilioVoice, type VoiceSim, type VoiceTimings } from './twilio-voice.js';

export interface SimulatorOptions {
  /** The deployment's PUBLIC_BASE_URL: where callbacks go and what Twilio signs. */
  publicBaseUrl: string;
  twilio: { accountSid: string; authToken: string; from: string };
  aliyun: { accessKeyId: string; callbackToken: string };
  wechat: { appId: string; appSecret: string; token: string };
  /** Delivers a callback (default: fetch). Tests hand it to the in-process app. */
  deliver?: (url: string, init: RequestInit) => Promise<Response>;
  /** Delay before the delivery report (ms). */
  reportDelayMs?: number;
  /** Time the send API takes to answer after taking a message (ms): a carrier's latency. */
  sendLatencyMs?: number;
  /** Twilio Voice: how long scripted phones ring and talk (scripts/simulators/twilio-voice.ts). */
  voice?: VoiceTimings;
  port?: number;
}

/** A message as the patient's phone (or WeChat) sees it, in both directions. */
export interface SimMessage {
  id: string;
  provider: 'twilio' | 'aliyun' | 'wechat';
  direction: 'outbound' | 'inbound';
  /** Phone number (E.164) or openid. */
  address: string;
  body: string;
  link?: string;
  status: string;
  at: string;
}

export interface Simulators {
  url: string;
  messages: SimMessage[];
  /** Addresses whose messages the carrier reports undelivered (Twilio 30003 / Aliyun DELIVRD failure / WeChat user block). */
  failing: Set<string>;
  /** The adapter settings that point at this simulator (as environment variables). */
  env: Record<string, string>;
  /** The patient replies by SMS (through the provider that last wrote to the number). */
  replySms(from: string, body: string): Promise<Response>;
  /** A WeChat user scans a parametrised QR code (subscribing first if not yet following). */
  scanQr(openid: string, scene: string, subscribed?: boolean): Promise<Response>;
  /** A phone scanning a code by its content (the ticket URL qrcode/create answered): WeChat pushes the code's scene. */
  scanQrUrl(openid: string, url: string, subscribed?: boolean): Promise<Response>;
  /** WeChat user unfollows. */
  unsubscribe(openid: string): Promise<Response>;
  /**
   * WeChat's authorize page for a phone signed in as `openid`: the redirect it answers (to the
   * redirect_uri with `code` and `state`), as a WeChat browser follows it. A phone without an
   * openid (no `sim_wechat_openid` cookie on the simulator) is a new WeChat user.
   */
  authorize(url: string, openid?: string): Promise<Response>;
  /** Twilio Voice: calls, phones that answer or not, keypresses. */
  voice: VoiceSim;
  close(): Promise<void>;
}

/** Twilio's request signature: base64 HMAC-SHA1 of the URL followed by each POST parameter name+value, sorted by name. */
export function twilioSignature(authToken: string, url: string, params: Record<string, string>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, key) => acc + key + params[key], url);
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf-8')).digest('base64');
}

/** WeChat's callback signature: sha1 of token, timestamp and nonce sorted and joined. */
export function wechatSignature(token: string, timestamp: string, nonce: string): string {
  return createHash('sha1').update([token, timestamp, nonce].sort().join('')).digest('hex');
}

const rfc2822 = (d: Date) => d.toUTCString().replace('GMT', '+0000');
const sid = (prefix: string) => `${prefix}${randomBytes(16).toString('hex')}`;
const E164 = /^\+[1-9]\d{6,14}$/;

export async function startSimulators(o: SimulatorOptions): Promise<Simulators> {
  const deliver = o.deliver ?? ((url, init) => fetch(url, init));
  const base = o.publicBaseUrl.replace(/\/$/, '');
  const messages: SimMessage[] = [];
  const failing = new Set<string>();
  const twilioMessages = new Map<string, Record<string, unknown>>();
  const lastProvider = new Map<string, 'twilio' | 'aliyun'>();
  const tokens = new Set<string>();
  const scenes = new Map<string, string>(); // ticket → scene
  const sceneOfUrl = new Map<string, string>(); // the code's content → scene
  const oauthCodes = new Map<string, { openid: string; expiresAt: number; used: boolean }>(); // web authorization codes
  const later = (fn: () => Promise<unknown>) => setTimeout(() => void fn().catch((err: unknown) => console.error('[simulator] callback failed', err)), o.reportDelayMs ?? 50);
  const record = (m: Omit<SimMessage, 'at'>) => {
    const entry = { ...m, at: new Date().toISOString() };
    messages.push(entry);
    return entry;
  };

  async function postTwilio(path: string, params: Record<string, string>): Promise<Response> {
    const url = `${base}${path}`;
    return deliver(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilioSignature(o.twilio.authToken, url, params), 'i-twilio-idempotency-token': randomBytes(8).toString('hex') },
      body: new URLSearchParams(params).toString(),
    });
  }

  async function postWechat(xml: string): Promise<Response> {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = String(randomBytes(4).readUInt32BE());
    const q = new URLSearchParams({ signature: wechatSignature(o.wechat.token, timestamp, nonce), timestamp, nonce, openid: /<FromUserName><!\[CDATA\[(.*?)\]\]>/.exec(xml)?.[1] ?? '' });
    return deliver(`${base}/api/webhooks/wechat?${q}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: xml });
  }

  const wechatEvent = (openid: string, fields: Record<string, string>) =>
    `<xml><ToUserName><![CDATA[gh_sim0000000001]]></ToUserName><FromUserName><![CDATA[${openid}]]></FromUserName><CreateTime>${Math.floor(Date.now() / 1000)}</CreateTime><MsgType><![CDATA[event]]></MsgType>${Object.entries(
      fields,
    )
      .map(([k, v]) => (/^\d+$/.test(v) && k === 'MsgID' ? `<${k}>${v}</${k}>` : `<${k}><![CDATA[${v}]]></${k}>`))
      .join('')}</xml>`;

  const app = new Hono();

  // ------------------------------------------------------------------ Twilio Messages API
  const twilioBase = `/twilio/2010-04-01/Accounts/:account/Messages.json`;
  const twilioAuth = (header: string | undefined, account: string) => {
    const expected = `Basic ${Buffer.from(`${o.twilio.accountSid}:${o.twilio.authToken}`).toString('base64')}`;
    return header === expected && account === o.twilio.accountSid;
  };
  const twilioError = (status: number, code: number, message: string) =>
    new Response(JSON.stringify({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }), { status, headers: { 'content-type': 'application/json' } });

  app.post(twilioBase, async (c) => {
    if (!twilioAuth(c.req.header('authorization'), c.req.param('account'))) return twilioError(401, 20003, 'Authenticate');
    const form = Object.fromEntries(new URLSearchParams(await c.req.text()));
    const to = form.To ?? '';
    if (!E164.test(to)) return twilioError(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
    if (!form.Body) return twilioError(400, 21602, 'Message body is required.');
    const now = new Date();
    const messageSid = sid('SM');
    const json = {
      account_sid: o.twilio.accountSid,
      api_version: '2010-04-01',
      body: form.Body,
      date_created: rfc2822(now),
      date_sent: rfc2822(now),
      date_updated: rfc2822(now),
      direction: 'outbound-api',
      error_code: null,
      error_message: null,
      from: form.From ?? o.twilio.from,
      messaging_service_sid: null,
      num_media: '0',
      num_segments: String(Math.ceil(form.Body.length / 70)),
      price: null,
      price_unit: 'USD',
      sid: messageSid,
      status: 'queued',
      subresource_uris: { media: `/2010-04-01/Accounts/${o.twilio.accountSid}/Messages/${messageSid}/Media.json` },
      to,
      uri: `/2010-04-01/Accounts/${o.twilio.accountSid}/Messages/${messageSid}.json`,
    };
    twilioMessages.set(messageSid, { ...json, _sentAt: now.getTime() });
    lastProvider.set(to, 'twilio');
    const link = /https?:\/\/\S+\/s\/[A-Za-z0-9_-]{32}/.exec(form.Body)?.[0];
    const entry = record({ id: messageSid, provider: 'twilio', direction: 'outbound', address: to, body: form.Body, link, status: 'queued' });
    if (form.StatusCallback) {
      const callback = new URL(form.StatusCallback).pathname;
      const fails = failing.has(to);
      later(async () => {
        const common = { AccountSid: o.twilio.accountSid, ApiVersion: '2010-04-01', From: json.from, To: to, MessageSid: messageSid, SmsSid: messageSid };
        await postTwilio(callback, { ...common, MessageStatus: 'sent', SmsStatus: 'sent' });
        const final = fails ? 'undelivered' : 'delivered';
        entry.status = final;
        await postTwilio(callback, { ...common, MessageStatus: final, SmsStatus: final, ...(fails ? { ErrorCode: '30003' } : {}) });
      });
    }
    if (o.sendLatencyMs) await new Promise((resolve) => setTimeout(resolve, o.sendLatencyMs));
    return c.json(json, 201);
  });

  app.get(twilioBase, (c) => {
    if (!twilioAuth(c.req.header('authorization'), c.req.param('account'))) return twilioError(401, 20003, 'Authenticate');
    const q = new URL(c.req.url).searchParams;
    const after = q.get('DateSent>') ? Date.parse(q.get('DateSent>')!.slice(0, 10)) : 0;
    const list = [...twilioMessages.values()]
      .filter((m) => (!q.get('To') || m.to === q.get('To')) && (!q.get('From') || m.from === q.get('From')) && (m._sentAt as number) >= after)
      .map(({ _sentAt, ...m }) => m)
      .reverse();
    const pageSize = Number(q.get('PageSize') ?? 50);
    const uri = `/2010-04-01/Accounts/${o.twilio.accountSid}/Messages.json?PageSize=${pageSize}&Page=0`;
    return c.json({ first_page_uri: uri, end: Math.max(0, Math.min(list.length, pageSize) - 1), previous_page_uri: null, messages: list.slice(0, pageSize), uri, page_size: pageSize, start: 0, next_page_uri: null, page: 0 });
  });

  // ------------------------------------------------------------------ Alibaba Cloud SMS (RPC style, action in the query)
  app.post('/', async (c) => {
    const q = new URL(c.req.url).searchParams;
    const form = new URLSearchParams(await c.req.text());
    const get = (k: string) => q.get(k) ?? form.get(k) ?? '';
    const requestId = randomBytes(16).toString('hex').toUpperCase();
    // The V3 signature style (ACS3-HMAC-SHA256) names the action in a header, the older RPC style in the query.
    if ((c.req.header('x-acs-action') ?? get('Action')) !== 'SendSms') return c.json({ RequestId: requestId, Code: 'InvalidAction.NotFound', Message: 'Specified api is not found' }, 404);
    if (!(c.req.header('authorization') ?? '').includes(o.aliyun.accessKeyId) && get('AccessKeyId') !== o.aliyun.accessKeyId) {
      return c.json({ RequestId: requestId, Code: 'InvalidAccessKeyId.NotFound', Message: 'Specified access key is not found.' }, 404);
    }
    const phone = get('PhoneNumbers');
    if (!/^1\d{10}$/.test(phone)) return c.json({ RequestId: requestId, Code: 'isv.MOBILE_NUMBER_ILLEGAL', Message: '手机号码格式错误' });
    let params: Record<string, string>;
    try {
      params = JSON.parse(get('TemplateParam') || '{}') as Record<string, string>;
    } catch {
      return c.json({ RequestId: requestId, Code: 'isv.INVALID_JSON_PARAM', Message: 'JSON参数不合法' });
    }
    const bizId = `${Date.now()}^${randomBytes(5).readUIntBE(0, 5)}`;
    const address = `+86${phone}`;
    lastProvider.set(address, 'aliyun');
    const body = `【${get('SignName')}】${params.summary ?? JSON.stringify(params)}`;
    const entry = record({ id: bizId, provider: 'aliyun', direction: 'outbound', address, body, link: params.link, status: 'sent' });
    const fails = failing.has(address);
    later(async () => {
      entry.status = fails ? 'failed' : 'delivered';
      const report = [
        {
          phone_number: phone,
          send_time: new Date().toISOString().replace('T', ' ').slice(0, 19),
          report_time: new Date().toISOString().replace('T', ' ').slice(0, 19),
          success: !fails,
          err_code: fails ? 'MK:0001' : 'DELIVERED',
          err_msg: fails ? '用户不在服务区' : '用户接收成功',
          sms_size: '1',
          biz_id: bizId,
          out_id: get('OutId'),
        },
      ];
      await deliver(`${base}/api/webhooks/aliyun/sms?type=SmsReport&token=${encodeURIComponent(o.aliyun.callbackToken)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(report),
      });
    });
    return c.json({ RequestId: requestId, Message: 'OK', BizId: bizId, Code: 'OK' });
  });

  // ------------------------------------------------------------------ WeChat Official Account API
  app.get('/wechat/cgi-bin/token', (c) => {
    const q = new URL(c.req.url).searchParams;
    if (q.get('appid') !== o.wechat.appId) return c.json({ errcode: 40013, errmsg: 'invalid appid' });
    if (q.get('secret') !== o.wechat.appSecret) return c.json({ errcode: 40001, errmsg: 'invalid credential, access_token is invalid or not latest' });
    const token = randomBytes(24).toString('base64url');
    tokens.add(token);
    return c.json({ access_token: token, expires_in: 7200 });
  });
  const wechatToken = (url: string) => tokens.has(new URL(url).searchParams.get('access_token') ?? '');
  app.post('/wechat/cgi-bin/message/template/send', async (c) => {
    if (!wechatToken(c.req.url)) return c.json({ errcode: 40001, errmsg: 'invalid credential, access_token is invalid or not latest' });
    const req = (await c.req.json()) as { touser: string; template_id: string; url?: string; data: Record<string, { value: string }> };
    if (!req.touser) return c.json({ errcode: 40003, errmsg: 'invalid openid' });
    const msgid = randomBytes(4).readUInt32BE();
    const text = Object.values(req.data ?? {}).map((d) => d.value).filter(Boolean).join('\n');
    const entry = record({ id: String(msgid), provider: 'wechat', direction: 'outbound', address: req.touser, body: text, link: req.url, status: 'sent' });
    const fails = failing.has(req.touser);
    later(async () => {
      entry.status = fails ? 'failed:user block' : 'success';
      await postWechat(wechatEvent(req.touser, { Event: 'TEMPLATESENDJOBFINISH', MsgID: String(msgid), Status: entry.status }));
    });
    return c.json({ errcode: 0, errmsg: 'ok', msgid });
  });
  app.post('/wechat/cgi-bin/qrcode/create', async (c) => {
    if (!wechatToken(c.req.url)) return c.json({ errcode: 40001, errmsg: 'invalid credential, access_token is invalid or not latest' });
    const req = (await c.req.json()) as { expire_seconds?: number; action_info?: { scene?: { scene_str?: string } } };
    const scene = req.action_info?.scene?.scene_str;
    if (!scene) return c.json({ errcode: 40097, errmsg: 'invalid args' });
    const ticket = randomBytes(24).toString('base64url');
    scenes.set(ticket, scene);
    const url = `http://weixin.qq.com/q/${ticket.slice(0, 22)}`;
    sceneOfUrl.set(url, scene);
    return c.json({ ticket, expire_seconds: req.expire_seconds ?? 2592000, url });
  });
  // ------------------------------------------------------------------ WeChat web authorization (网页授权, OAuth 2.0)
  // The authorize page (open.weixin.qq.com/connect/oauth2/authorize): snsapi_base is silent, the
  // phone goes straight back to redirect_uri?code=…&state=…. WeChat's own error pages for a wrong
  // appid, scope or response_type are plain pages here. The user is the phone's WeChat account:
  // the `sim_wechat_openid` cookie on the simulator (the 模拟手机 page or a test sets it), else a new user.
  app.get('/wechat-open/connect/oauth2/authorize', (c) => {
    const q = new URL(c.req.url).searchParams;
    if (q.get('appid') !== o.wechat.appId) return c.text('appid 参数错误', 400);
    if (q.get('response_type') !== 'code') return c.text('response_type 参数错误', 400);
    if (q.get('scope') !== 'snsapi_base' && q.get('scope') !== 'snsapi_userinfo') return c.text('scope 参数错误', 400);
    const redirect = q.get('redirect_uri') ?? '';
    if (!/^https?:\/\//.test(redirect)) return c.text('redirect_uri 参数错误', 400);
    const openid = /(?:^|;\s*)sim_wechat_openid=([^;]+)/.exec(c.req.header('cookie') ?? '')?.[1] ?? `o${randomBytes(20).toString('base64url').slice(0, 27)}`;
    const code = randomBytes(16).toString('hex');
    oauthCodes.set(code, { openid: decodeURIComponent(openid), expiresAt: Date.now() + 300_000, used: false });
    const back = new URL(redirect);
    back.searchParams.set('code', code);
    back.searchParams.set('state', q.get('state') ?? '');
    return c.redirect(back.toString(), 302);
  });
  // The exchange (api.weixin.qq.com/sns/oauth2/access_token): a code is valid once for 5 minutes.
  app.get('/wechat/sns/oauth2/access_token', (c) => {
    const q = new URL(c.req.url).searchParams;
    const rid = `${randomBytes(4).toString('hex')}-${randomBytes(4).toString('hex')}-${randomBytes(4).toString('hex')}`;
    if (q.get('appid') !== o.wechat.appId) return c.json({ errcode: 40013, errmsg: `invalid appid, rid: ${rid}` });
    if (q.get('secret') !== o.wechat.appSecret) return c.json({ errcode: 40125, errmsg: `invalid appsecret, rid: ${rid}` });
    if (q.get('grant_type') !== 'authorization_code') return c.json({ errcode: 40002, errmsg: `invalid grant_type, rid: ${rid}` });
    const grant = oauthCodes.get(q.get('code') ?? '');
    if (grant?.used) return c.json({ errcode: 40163, errmsg: `code been used, rid: ${rid}` });
    if (!grant || grant.expiresAt < Date.now()) return c.json({ errcode: 40029, errmsg: `invalid code, rid: ${rid}` });
    grant.used = true;
    return c.json({
      access_token: randomBytes(48).toString('base64url'),
      expires_in: 7200,
      refresh_token: randomBytes(48).toString('base64url'),
      openid: grant.openid,
      scope: 'snsapi_base',
    });
  });

  app.get('/wechat/cgi-bin/showqrcode', (c) => c.text(`simulated QR code for scene ${scenes.get(new URL(c.req.url).searchParams.get('ticket') ?? '') ?? '?'}`));

  // ------------------------------------------------------------------ Twilio Voice (Calls API, recordings, ringing phones)
  const voice = mountTwilioVoice(app, { ...o.twilio, timings: o.voice, post: (url, params) => postTwilio(url.slice(base.length), params) });

  // ------------------------------------------------------------------ control API (the 模拟手机 page, tests)
  const sims: Simulators = {
    voice,
    url: '',
    messages,
    failing,
    env: {},
    async replySms(from, text) {
      const provider = lastProvider.get(from) ?? 'twilio';
      const id = provider === 'twilio' ? sid('SM') : String(Date.now());
      record({ id, provider, direction: 'inbound', address: from, body: text, status: 'received' });
      if (provider === 'aliyun') {
        const up = [{ phone_number: from.replace(/^\+86/, ''), send_time: new Date().toISOString().replace('T', ' ').slice(0, 19), content: text, sign_name: '', dest_code: '', sequence_id: Number(id) }];
        return deliver(`${base}/api/webhooks/aliyun/sms?type=SmsUp&token=${encodeURIComponent(o.aliyun.callbackToken)}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(up),
        });
      }
      return postTwilio('/api/webhooks/twilio/sms', {
        ToCountry: 'US', ToState: '', SmsMessageSid: id, NumMedia: '0', ToCity: '', FromZip: '', SmsSid: id, FromState: '', SmsStatus: 'received',
        FromCity: '', Body: text, FromCountry: from.startsWith('+86') ? 'CN' : 'US', To: o.twilio.from, ToZip: '', NumSegments: '1', MessageSid: id,
        AccountSid: o.twilio.accountSid, From: from, ApiVersion: '2010-04-01',
      });
    },
    scanQr(openid, scene, subscribed = false) {
      return postWechat(wechatEvent(openid, subscribed ? { Event: 'SCAN', EventKey: scene, Ticket: 'sim' } : { Event: 'subscribe', EventKey: `qrscene_${scene}`, Ticket: 'sim' }));
    },
    scanQrUrl(openid, url, subscribed = false) {
      const scene = sceneOfUrl.get(url);
      if (scene === undefined) return Promise.resolve(new Response('not a code of this account', { status: 404 }));
      return sims.scanQr(openid, scene, subscribed);
    },
    unsubscribe(openid) {
      return postWechat(wechatEvent(openid, { Event: 'unsubscribe', EventKey: '' }));
    },
    async authorize(url, openid) {
      const u = new URL(url);
      return app.request(`${u.pathname}${u.search}`, { headers: openid ? { cookie: `sim_wechat_openid=${encodeURIComponent(openid)}` } : {} });
    },
    close: async () => {},
  };
  app.get('/sim/messages', (c) => c.json({ messages }));
  app.post('/sim/sms/reply', async (c) => {
    const { from, body } = (await c.req.json()) as { from: string; body: string };
    const res = await sims.replySms(from, body);
    return c.json({ status: res.status });
  });
  // The simulated phone's WeChat account (its authorize page then answers with this openid), and back to `next`.
  app.get('/sim/wechat/as', (c) => {
    const q = new URL(c.req.url).searchParams;
    c.header('Set-Cookie', `sim_wechat_openid=${encodeURIComponent(q.get('openid') ?? '')}; Path=/; HttpOnly; SameSite=Lax`);
    return q.get('next') ? c.redirect(q.get('next')!, 302) : c.json({ openid: q.get('openid') });
  });
  app.post('/sim/wechat/scan', async (c) => {
    const { openid, scene, url } = (await c.req.json()) as { openid: string; scene?: string; url?: string };
    return c.json({ status: (await (url ? sims.scanQrUrl(openid, url) : sims.scanQr(openid, scene ?? ''))).status });
  });

  const server = serve({ fetch: app.fetch, port: o.port ?? 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => (server.listening ? resolve() : server.once('listening', () => resolve())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  sims.url = url;
  sims.env = {
    TWILIO_ACCOUNT_SID: o.twilio.accountSid,
    TWILIO_AUTH_TOKEN: o.twilio.authToken,
    TWILIO_FROM_NUMBER: o.twilio.from,
    TWILIO_API_BASE_URL: `${url}/twilio`,
    ALIYUN_ACCESS_KEY_ID: o.aliyun.accessKeyId,
    ALIYUN_ACCESS_KEY_SECRET: 'simulator-secret',
    ALIYUN_SMS_ENDPOINT: url.replace('http://', ''),
    ALIYUN_SMS_PROTOCOL: 'HTTP',
    ALIYUN_SMS_SIGN_NAME: '随访中心',
    ALIYUN_SMS_TEMPLATES: 'greeting=SMS_900001,survey=SMS_900002,survey_reminder=SMS_900002,appointment_reminder=SMS_900003,rating_request=SMS_900004,notice=SMS_900005',
    ALIYUN_SMS_CALLBACK_TOKEN: o.aliyun.callbackToken,
    WECHAT_APP_ID: o.wechat.appId,
    WECHAT_APP_SECRET: o.wechat.appSecret,
    WECHAT_TOKEN: o.wechat.token,
    WECHAT_API_BASE_URL: `${url}/wechat`,
    WECHAT_OAUTH_BASE_URL: `${url}/wechat-open`,
    WECHAT_TEMPLATE_ID: 'sim-template-followup',
    PUBLIC_BASE_URL: base,
  };
  sims.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      if ('closeAllConnections' in server) server.closeAllConnections();
    });
  return sims;
}

/** Simulator credentials for development (any values work: the simulator and the app share them). */
export const DEV_SIMULATOR_CREDENTIALS = {
  twilio: { accountSid: 'AC00000000000000000000000000000sim', authToken: 'simulator-twilio-auth-token', from: '+15005550006' },
  aliyun: { accessKeyId: 'LTAIsimulator', callbackToken: 'simulator-aliyun-callback' },
  wechat: { appId: 'wxsimulator0000001', appSecret: 'simulator-wechat-secret', token: 'simulatorwechattoken' },
};
