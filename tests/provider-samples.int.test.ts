/**
 * The Alibaba Cloud SMS and WeChat webhooks fed the providers' own published bodies
 * (tests/fixtures/providers, sources in SOURCES.md), signed as each provider signs: delivery
 * reports are stored on the delivery they name, a scan binds the openid, a reply is recorded; a
 * wrong signature changes nothing; the same push twice has one effect; a report about a message
 * the system does not know is answered 2xx. The WeChat client is also run against the published
 * answers of `message/template/send` and `qrcode/create`.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWechat } from '../activities/channels/wechat.js';
import { wechatSignature } from '../scripts/simulators/providers.js';
import { startChannelStack, uniquePhone } from './support/channels.js';
import { uniq, type TestStack } from './support/stack.js';

let stack: TestStack;

beforeAll(async () => {
  ({ stack } = await startChannelStack());
});
afterAll(() => stack?.stop());

const fixture = (name: string) => readFileSync(new URL(`./fixtures/providers/${name}`, import.meta.url), 'utf8');

/** The sample XML with some of its fields' values replaced (CDATA or plain), everything else as published. */
function withFields(xml: string, fields: Record<string, string>): string {
  let out = xml;
  for (const [name, value] of Object.entries(fields)) {
    const re = new RegExp(`<${name}>(<!\\[CDATA\\[)?[\\s\\S]*?(\\]\\]>)?</${name}>`);
    expect(re.test(out), `sample has <${name}>`).toBe(true);
    out = out.replace(re, (_m, open?: string) => (open ? `<${name}><![CDATA[${value}]]></${name}>` : `<${name}>${value}</${name}>`));
  }
  return out;
}

/** POSTs to the WeChat webhook with the query WeChat adds (signature over token, timestamp, nonce). */
function postWechat(xml: string, options: { forge?: boolean } = {}) {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = String(Math.floor(Math.random() * 1e9));
  const signature = options.forge ? wechatSignature('not-the-token', timestamp, nonce) : wechatSignature(stack.env.WECHAT_TOKEN!, timestamp, nonce);
  const openid = /<FromUserName><!\[CDATA\[(.*?)\]\]>/.exec(xml)?.[1] ?? '';
  return stack.app.request(`/api/webhooks/wechat?${new URLSearchParams({ signature, timestamp, nonce, openid })}`, {
    method: 'POST',
    headers: { 'content-type': 'text/xml' },
    body: xml,
  });
}

/** POSTs an Aliyun push (JSON array) with the shared token configured in the Aliyun console. */
const postAliyun = (items: unknown, token = stack.env.ALIYUN_SMS_CALLBACK_TOKEN!) =>
  stack.app.request(`/api/webhooks/aliyun/sms?token=${encodeURIComponent(token)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(items),
  });

async function newPatient(phone = uniquePhone()) {
  const [p] = await stack.sql<{ id: string }[]>`
    INSERT INTO patients (his_patient_id, name, phone, birth_date) VALUES (${`PS-${uniq()}`}, '赵丽华', ${phone}, '1980-03-04') RETURNING id`;
  return { id: p!.id, phone };
}

/** A message to the patient already handed to `provider` under `providerMessageId`, waiting for its report. */
async function sentDelivery(provider: 'aliyun' | 'wechat', providerMessageId: string, to: string) {
  const patient = await newPatient();
  const [m] = await stack.sql<{ id: string }[]>`
    INSERT INTO outbound_messages (workflow_id, step, patient_id, channel, body, status, sent_at, sent_channel)
    VALUES (${`sample-${uniq()}`}, 'notice', ${patient.id}, ${provider === 'wechat' ? 'wechat' : 'sms'}, '您的复诊时间为下周一上午', 'queued', now(), ${provider === 'wechat' ? 'wechat' : 'sms'})
    RETURNING id`;
  const deliveryKey = `${m!.id}:1`;
  await stack.sql`
    INSERT INTO message_deliveries (delivery_key, message_id, channel, provider, to_address, provider_message_id, status)
    VALUES (${deliveryKey}, ${m!.id}, ${provider === 'wechat' ? 'wechat' : 'sms'}, ${provider}, ${to}, ${providerMessageId}, 'sent')`;
  return deliveryKey;
}

const deliveryOf = async (key: string) =>
  (await stack.sql<{ status: string; error: string | null; updated_at: Date }[]>`SELECT status, error, updated_at FROM message_deliveries WHERE delivery_key = ${key}`)[0]!;

const numericId = () => String(3_000_000_000 + Math.floor(Math.random() * 1e9));

describe('Alibaba Cloud SMS samples', () => {
  it('stores the SmsReport on the delivery its biz_id names, once; a wrong token gets 403 and changes nothing', async () => {
    const [published] = JSON.parse(fixture('aliyun/sms-report.json')) as Record<string, unknown>[];
    const bizId = `${numericId()}^0`;
    const key = await sentDelivery('aliyun', bizId, '+8613800000000');
    const report = [{ ...published, biz_id: bizId }];

    expect((await postAliyun(report, 'wrong-token')).status).toBe(403);
    expect((await deliveryOf(key)).status).toBe('sent');

    const first = await postAliyun(report);
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ code: 0 });
    const stored = await deliveryOf(key);
    expect(stored.status).toBe('delivered');
    // Aliyun retries a push it thinks failed: the second one is answered the same and has no effect.
    const again = await postAliyun(report);
    expect(again.status).toBe(200);
    expect((await deliveryOf(key)).updated_at).toEqual(stored.updated_at);
    expect(await stack.sql`SELECT event_id FROM webhook_receipts WHERE provider = 'aliyun' AND event_id LIKE ${`${bizId}:%`}`).toEqual([{ event_id: `${bizId}:delivered` }]);
  });

  it('stores a failed report with its error code', async () => {
    const [published] = JSON.parse(fixture('aliyun/sms-report.json')) as Record<string, unknown>[];
    const bizId = `${numericId()}^0`;
    const key = await sentDelivery('aliyun', bizId, '+8613800000001');
    expect((await postAliyun([{ ...published, biz_id: bizId, success: false, err_code: 'MK:0001', err_msg: '用户接收失败' }])).status).toBe(200);
    expect(await deliveryOf(key)).toMatchObject({ status: 'failed', error: 'aliyun-MK:0001' });
  });

  it('answers the published report as is (a message it does not know) with code 0 and stores nothing', async () => {
    const before = await stack.sql`SELECT count(*)::int AS n FROM message_deliveries WHERE status = 'delivered'`;
    const res = await postAliyun(JSON.parse(fixture('aliyun/sms-report.json')));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ code: 0 });
    expect(await stack.sql`SELECT count(*)::int AS n FROM message_deliveries WHERE status = 'delivered'`).toEqual(before);
  });

  it("records the SmsUp reply on the patient whose number sent it, once", async () => {
    const patient = await newPatient();
    const [published] = JSON.parse(fixture('aliyun/sms-up.json')) as Record<string, unknown>[];
    const sequence = numericId();
    const up = [{ ...published, phone_number: patient.phone, sequence_id: sequence }];
    expect((await postAliyun(up, 'guess')).status).toBe(403);
    expect(await stack.sql`SELECT 1 FROM patient_inbound_messages WHERE patient_id = ${patient.id}`).toHaveLength(0);
    for (let i = 0; i < 2; i++) expect((await postAliyun(up)).status).toBe(200);
    expect(await stack.sql`SELECT provider, body, handled_as, from_address FROM patient_inbound_messages WHERE patient_id = ${patient.id}`).toEqual([
      { provider: 'aliyun', body: '内容', handled_as: 'message', from_address: `+86${patient.phone}` },
    ]);
  });
});

describe('WeChat samples', () => {
  async function bindScene() {
    const patient = await newPatient();
    const scene = `bind-${uniq()}${uniq()}`;
    await stack.sql`INSERT INTO wechat_bind_scenes (scene, patient_id) VALUES (${scene}, ${patient.id})`;
    return { patient, scene, openid: `oia2Tju${uniq()}${uniq()}` };
  }
  const openidOf = async (patientId: string) =>
    (await stack.sql<{ wechat_openid: string | null }[]>`SELECT wechat_openid FROM patients WHERE id = ${patientId}`)[0]!.wechat_openid;

  it('binds the openid of a subscribe-with-scene push to the patient; a forged signature gets 403 and binds nothing', async () => {
    const { patient, scene, openid } = await bindScene();
    const xml = withFields(fixture('wechat/subscribe-qrscene.xml'), { FromUserName: openid, EventKey: `qrscene_${scene}` });
    expect((await postWechat(xml, { forge: true })).status).toBe(403);
    expect(await openidOf(patient.id)).toBeNull();
    const res = await postWechat(xml);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('success');
    expect(await openidOf(patient.id)).toBe(openid);
    expect((await stack.sql`SELECT bound_at FROM wechat_bind_scenes WHERE scene = ${scene}`)[0]!.bound_at).not.toBeNull();
  });

  it('binds on the SCAN push of a follower (scene without prefix)', async () => {
    const { patient, scene, openid } = await bindScene();
    expect((await postWechat(withFields(fixture('wechat/scan.xml'), { FromUserName: openid, EventKey: scene }))).status).toBe(200);
    expect(await openidOf(patient.id)).toBe(openid);
  });

  it('answers the published scan as is (a scene it never issued) with success and binds nobody', async () => {
    const res = await postWechat(fixture('wechat/subscribe-qrscene.xml'));
    expect(res.status).toBe(200);
    expect(await stack.sql`SELECT 1 FROM patients WHERE wechat_openid = 'FromUser'`).toHaveLength(0);
  });

  it('stores TEMPLATESENDJOBFINISH success and user block on the delivery its MsgID names, once each', async () => {
    const okId = numericId();
    const okKey = await sentDelivery('wechat', okId, `o${uniq()}`);
    const ok = withFields(fixture('wechat/templatesendjobfinish-success.xml'), { MsgID: okId });
    expect((await postWechat(ok, { forge: true })).status).toBe(403);
    expect((await deliveryOf(okKey)).status).toBe('sent');
    expect((await postWechat(ok)).status).toBe(200);
    const stored = await deliveryOf(okKey);
    expect(stored.status).toBe('delivered');
    expect((await postWechat(ok)).status).toBe(200);
    expect((await deliveryOf(okKey)).updated_at).toEqual(stored.updated_at);

    const blockedId = numericId();
    const blockedKey = await sentDelivery('wechat', blockedId, `o${uniq()}`);
    expect((await postWechat(withFields(fixture('wechat/templatesendjobfinish-user-block.xml'), { MsgID: blockedId }))).status).toBe(200);
    expect(await deliveryOf(blockedKey)).toMatchObject({ status: 'failed', error: 'wechat-failed:user block' });
  });

  it('answers the published delivery report as is (a MsgID it does not know) with success', async () => {
    const res = await postWechat(fixture('wechat/templatesendjobfinish-success.xml'));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('success');
  });
});

describe('WeChat client against the published API answers', () => {
  it('reads the msgid of template/send and the ticket of qrcode/create', async () => {
    const seen: { path: string; body: unknown }[] = [];
    const api = new Hono();
    api.get('/cgi-bin/token', (c) => c.json({ access_token: 'ACCESS_TOKEN', expires_in: 7200 }));
    api.post('/cgi-bin/message/template/send', async (c) => {
      seen.push({ path: c.req.path, body: await c.req.json() });
      return c.body(fixture('wechat/template-send-response.json'), 200, { 'content-type': 'application/json' });
    });
    api.post('/cgi-bin/qrcode/create', async (c) => {
      seen.push({ path: c.req.path, body: await c.req.json() });
      return c.body(fixture('wechat/qrcode-create-response.json'), 200, { 'content-type': 'application/json' });
    });
    const server = serve({ fetch: api.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise<void>((resolve) => (server.listening ? resolve() : server.once('listening', () => resolve())));
    try {
      const wechat = createWechat({
        appId: 'wx0000',
        appSecret: 'secret',
        apiBaseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        templateId: 'tpl',
      });
      const sent = await wechat.send({ to: 'oia2TjuEGTNoeX76QEjQNrcURxG8', text: '请填写随访问卷', kind: 'survey', params: { title: '随访问卷' }, link: 'https://example.test/s/x' });
      expect(sent).toEqual({ providerMessageId: '200228332' });
      const qr = await wechat.createSceneQrCode('bind-ABC', 1800);
      expect(qr.ticket).toMatch(/^gQH47joAAAAA/);
      expect(qr.url).toBe('http://weixin.qq.com/q/kZgfwMTm72WWPkovabbI');
      expect(seen.map((s) => s.path)).toEqual(['/cgi-bin/message/template/send', '/cgi-bin/qrcode/create']);
      expect(seen[1]!.body).toEqual({ expire_seconds: 1800, action_name: 'QR_STR_SCENE', action_info: { scene: { scene_str: 'bind-ABC' } } });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
