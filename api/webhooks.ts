/**
 * Provider webhooks (public contract): /api/webhooks/twilio/sms, /api/webhooks/twilio/status,
 * /api/webhooks/aliyun/sms, /api/webhooks/wechat. Each checks the provider's signature first
 * (wrong or missing: 403, nothing changes), then hands the event to the patient-contact service,
 * which is idempotent on the provider's message ID. An event about a message we do not know is
 * answered 2xx (logged): providers retry anything else.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import { Hono, type Context } from 'hono';
import twilio from 'twilio';
import type { Services } from '../services/index.js';

const TWIML_EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

/** The URL Twilio signed: the deployment's public origin + the path and query it was configured with. */
function publicUrl(services: Services, c: Context): string {
  const url = new URL(c.req.url);
  return `${services.env.PUBLIC_BASE_URL.replace(/\/$/, '')}/api${url.pathname.replace(/^\/api/, '')}${url.search}`;
}

/** Form parameters of a Twilio callback, or null when its signature is missing or wrong. */
export async function verifiedTwilioParams(services: Services, c: Context): Promise<Record<string, string> | null> {
  const signature = c.req.header('x-twilio-signature');
  const token = services.env.TWILIO_AUTH_TOKEN;
  if (!signature || !token) return null;
  const params = Object.fromEntries(new URLSearchParams(await c.req.text()));
  return twilio.validateRequest(token, signature, publicUrl(services, c), params) ? params : null;
}

const sameText = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** WeChat's signature: sha1 of the configured Token, timestamp and nonce, sorted and joined. */
function wechatSigned(services: Services, c: Context): boolean {
  const token = services.env.WECHAT_TOKEN;
  const signature = c.req.query('signature');
  const timestamp = c.req.query('timestamp');
  const nonce = c.req.query('nonce');
  if (!token || !signature || !timestamp || !nonce) return false;
  const expected = createHash('sha1').update([token, timestamp, nonce].sort().join('')).digest('hex');
  return sameText(expected, signature);
}

/** The fields of WeChat's flat XML push (CDATA or plain values). */
export function parseWechatXml(xml: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const m of xml.matchAll(/<(\w+)>(?:<!\[CDATA\[([\s\S]*?)\]\]>|([^<]*))<\/\1>/g)) fields[m[1]!] = m[2] ?? m[3] ?? '';
  return fields;
}

const TWILIO_STATUS: Record<string, 'sent' | 'delivered' | 'failed' | undefined> = {
  sent: 'sent',
  delivered: 'delivered',
  read: 'delivered',
  failed: 'failed',
  undelivered: 'failed',
};

export function createWebhookRoutes(services: Services) {
  const hooks = new Hono();
  const contact = services.patientContact;
  const forbidden = (c: Context) => c.text('invalid signature', 403);

  hooks.post('/twilio/sms', async (c) => {
    const p = await verifiedTwilioParams(services, c);
    if (!p) return forbidden(c);
    if (!p.MessageSid || !p.From) return c.text('MessageSid and From are required', 400);
    await contact.inbound({ provider: 'twilio', providerMessageId: p.MessageSid, from: p.From, body: p.Body ?? '' });
    return c.body(TWIML_EMPTY, 200, { 'content-type': 'text/xml' });
  });

  hooks.post('/twilio/status', async (c) => {
    const p = await verifiedTwilioParams(services, c);
    if (!p) return forbidden(c);
    const status = TWILIO_STATUS[p.MessageStatus ?? ''];
    if (p.MessageSid && status) {
      await contact.deliveryReport({ provider: 'twilio', providerMessageId: p.MessageSid, status, ...(p.ErrorCode ? { error: `twilio-${p.ErrorCode}` } : {}) });
    }
    return c.body(null, 204);
  });

  // Aliyun pushes JSON arrays (SmsReport: delivery reports; SmsUp: replies) to the URL set in its
  // console, which carries our shared token; it expects {"code":0} back.
  hooks.post('/aliyun/sms', async (c) => {
    const expected = services.env.ALIYUN_SMS_CALLBACK_TOKEN;
    const given = c.req.query('token') ?? '';
    if (!expected || !sameText(expected, given)) return forbidden(c);
    const items = (await c.req.json().catch(() => null)) as Record<string, unknown>[] | null;
    if (!Array.isArray(items)) return c.json({ code: 1, msg: '请求体须为 JSON 数组' }, 400);
    for (const item of items) {
      if (typeof item.biz_id === 'string' && typeof item.success === 'boolean') {
        await contact.deliveryReport({
          provider: 'aliyun',
          providerMessageId: item.biz_id,
          status: item.success ? 'delivered' : 'failed',
          ...(item.success ? {} : { error: `aliyun-${String(item.err_code)}` }),
        });
      } else if (typeof item.phone_number === 'string' && typeof item.content === 'string') {
        const id = `${item.phone_number}:${String(item.sequence_id ?? item.send_time)}`;
        await contact.inbound({ provider: 'aliyun', providerMessageId: id, from: `+86${item.phone_number}`, body: item.content });
      } else {
        console.warn('[webhooks] aliyun item of unknown shape');
      }
    }
    return c.json({ code: 0, msg: '成功' });
  });

  // Server URL verification (GET with echostr) and event / message push (POST XML, plaintext mode).
  hooks.get('/wechat', (c) => (wechatSigned(services, c) ? c.text(c.req.query('echostr') ?? '') : forbidden(c)));
  hooks.post('/wechat', async (c) => {
    if (!wechatSigned(services, c)) return forbidden(c);
    const f = parseWechatXml(await c.req.text());
    const openid = f.FromUserName ?? '';
    if (f.MsgType === 'event') {
      const event = (f.Event ?? '').toLowerCase();
      if (event === 'subscribe' && f.EventKey?.startsWith('qrscene_')) await contact.bindWechat({ openid, scene: f.EventKey.slice('qrscene_'.length) });
      else if (event === 'scan' && f.EventKey) await contact.bindWechat({ openid, scene: f.EventKey });
      else if (event === 'unsubscribe') await contact.wechatUnsubscribed(openid);
      else if (event === 'templatesendjobfinish' && f.MsgID) {
        await contact.deliveryReport({
          provider: 'wechat',
          providerMessageId: f.MsgID,
          status: f.Status === 'success' ? 'delivered' : 'failed',
          ...(f.Status === 'success' ? {} : { error: `wechat-${f.Status}` }),
        });
      }
    } else if (f.MsgType === 'text' && f.MsgId) {
      const patientId = await contact.patientOfOpenid(openid);
      if (patientId) await contact.inbound({ provider: 'wechat', providerMessageId: f.MsgId, from: openid, body: f.Content ?? '', patientId });
      else console.warn('[webhooks] wechat text from an unbound openid');
    }
    // WeChat takes "success" (or an empty body) as "no reply"; anything else it shows the user.
    return c.text('success');
  });

  return hooks;
}
