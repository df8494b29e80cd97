/**
 * A local simulator of WeChat Pay API v3 (微信支付) for development, the demo and tests. It speaks
 * the shapes of the real API and signs as WeChat Pay signs:
 *
 * - `POST /v3/pay/transactions/h5` (Authorization WECHATPAY2-SHA256-RSA2048, checked against the
 *   merchant's public key) → `{ h5_url }`; the h5_url opens a pay page standing in for the WeChat
 *   cashier (`redirect_url` appended as with the real H5 pay);
 * - paying there posts the payment notification to the order's `notify_url`: body `{ id,
 *   create_time, event_type: TRANSACTION.SUCCESS, resource_type: encrypt-resource, resource: {
 *   algorithm: AEAD_AES_256_GCM, ciphertext, associated_data: transaction, original_type:
 *   transaction, nonce }, summary }`, headers Wechatpay-Timestamp/-Nonce/-Signature/-Serial/
 *   -Signature-Type signed with the platform private key;
 * - `POST /v3/refund/domestic/refunds` → `{ refund_id, out_refund_no, status: PROCESSING, … }`, one
 *   refund per `out_refund_no` (a repeated request answers the same refund, as WeChat Pay does);
 *   while `refundsFailing` it answers 500 `SYSTEM_ERROR` (an outage) and refunds nothing. After
 *   `refundDelayMs` the refund settles (`refundOutcome`: SUCCESS unless told ABNORMAL/CLOSED) and
 *   the signed refund result notification (event_type REFUND.SUCCESS …, resource original_type
 *   refund, associated_data refund) goes to the request's `notify_url`, unless
 *   `refundNotificationsLost`;
 * - `GET /v3/refund/domestic/refunds/{out_refund_no}` → the refund with its current `status`.
 *
 * Keys are generated per start; `adapterConfig` is what the deployment needs to talk to it.
 * Control API for tests: `GET /sim/orders`, `POST /sim/pay/:outTradeNo`, `POST /sim/refunds/failing`
 * with `{ failing: boolean }`.
 */
import { createVerify, generateKeyPairSync, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { encryptResource, signLines, wechatTime, WECHATPAY_SIGNATURE_TYPE, type WechatPayConfig } from '../../activities/payments/wechat-pay.js';

export interface SimOrder {
  outTradeNo: string;
  prepayId: string;
  description: string;
  amountFen: number;
  notifyUrl: string;
  state: 'NOTPAY' | 'SUCCESS' | 'REFUND' | 'CLOSED';
  transactionId: string | null;
  refunds: SimRefund[];
  /** Answer of the deployment to the notification. */
  notifyStatus?: number;
}

export interface SimRefund {
  outRefundNo: string;
  refundId: string;
  amountFen: number;
  status: 'PROCESSING' | 'SUCCESS' | 'ABNORMAL' | 'CLOSED';
  successTime: string | null;
  notifyUrl: string | null;
  /** Answer of the deployment to the refund result notification. */
  notifyStatus?: number;
}

export interface WechatPaySimulator {
  url: string;
  orders: Map<string, SimOrder>;
  adapterConfig: Omit<WechatPayConfig, 'fetch'>;
  /** Pays an order as the patient would, delivering the signed notification; returns the deployment's status. */
  pay(outTradeNo: string): Promise<number>;
  /** Every refund request that reached the simulator, in order, with the status it was answered. */
  refundRequests: { outTradeNo: string; outRefundNo: string; status: number }[];
  /** The `out_refund_no` of every refund status query, in order. */
  refundQueries: string[];
  /** While true, refund requests are answered 500 SYSTEM_ERROR (WeChat Pay down); nothing is refunded. */
  refundsFailing: boolean;
  /** Milliseconds from a refund request to its result (and notification). */
  refundDelayMs: number;
  /** How refunds settle: SUCCESS, or ABNORMAL / CLOSED (a refund a person must handle). */
  refundOutcome: 'SUCCESS' | 'ABNORMAL' | 'CLOSED';
  /** While true, refund result notifications are not delivered (the status query still answers). */
  refundNotificationsLost: boolean;
  /** Builds a refund result notification (headers + body) for a refund of an order; `signWith` forges it. */
  refundNotification(order: SimOrder, refund: SimRefund, signWith?: KeyObject): { headers: Record<string, string>; body: string };
  /** Builds a notification (headers + body) for an order; `signWith` forges it with another key. */
  notification(order: SimOrder, signWith?: KeyObject): { headers: Record<string, string>; body: string };
  /** Signs any notification body as the platform does (e.g. a published sample re-encrypted for this merchant). */
  signedHeaders(body: string, signWith?: KeyObject): Record<string, string>;
  stop(): Promise<void>;
}

export const SIM_APPID = 'wx8888888888888888';
export const SIM_MCHID = '1900000001';
export const SIM_PLATFORM_SERIAL = 'PUB_KEY_ID_0119000000012025010100000000';
export const SIM_MERCHANT_SERIAL = '5157F09EFDC096DE15EBE81A47057A7232F1B8E1';

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export async function startWechatPaySimulator(
  options: { port?: number; deliver?: (url: string, init: RequestInit) => Promise<Response>; refundDelayMs?: number } = {},
): Promise<WechatPaySimulator> {
  const platform = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const merchant = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const apiV3Key = randomBytes(16).toString('hex'); // 32 ASCII characters
  const deliver = options.deliver ?? ((url: string, init: RequestInit) => fetch(url, init));
  const orders = new Map<string, SimOrder>();
  const byPrepay = new Map<string, string>();
  const refundRequests: WechatPaySimulator['refundRequests'] = [];
  const refundQueries: string[] = [];
  const control = { refundsFailing: false, refundDelayMs: options.refundDelayMs ?? 500, refundOutcome: 'SUCCESS' as WechatPaySimulator['refundOutcome'], refundNotificationsLost: false };
  const app = new Hono();
  let base = '';

  /** The merchant's request signature, as WeChat Pay checks it. */
  function authorized(method: string, path: string, body: string, auth: string | undefined): boolean {
    if (!auth?.startsWith(`${WECHATPAY_SIGNATURE_TYPE} `)) return false;
    const fields = Object.fromEntries([...auth.slice(WECHATPAY_SIGNATURE_TYPE.length + 1).matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (fields.mchid !== SIM_MCHID || fields.serial_no !== SIM_MERCHANT_SERIAL || !fields.signature) return false;
    return createVerify('RSA-SHA256').update(`${method}\n${path}\n${fields.timestamp}\n${fields.nonce_str}\n${body}\n`).verify(merchant.publicKey, fields.signature, 'base64');
  }
  const refuse = (c: { json: (b: unknown, s: 401) => Response }) => c.json({ code: 'SIGN_ERROR', message: '签名错误' }, 401);

  function notification(order: SimOrder, signWith: KeyObject = platform.privateKey) {
    const transaction = {
      appid: SIM_APPID,
      mchid: SIM_MCHID,
      out_trade_no: order.outTradeNo,
      transaction_id: order.transactionId,
      trade_type: 'MWEB',
      trade_state: order.state === 'SUCCESS' ? 'SUCCESS' : order.state,
      trade_state_desc: '支付成功',
      bank_type: 'OTHERS',
      attach: '',
      success_time: wechatTime(new Date()),
      payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
      amount: { total: order.amountFen, payer_total: order.amountFen, currency: 'CNY', payer_currency: 'CNY' },
    };
    return envelope('TRANSACTION.SUCCESS', '支付成功', 'transaction', transaction, signWith);
  }

  /** A notification body as WeChat Pay posts it: the resource encrypted with the APIv3 key, signed headers. */
  function envelope(eventType: string, summary: string, originalType: 'transaction' | 'refund', resource: unknown, signWith: KeyObject) {
    const nonce = randomBytes(6).toString('hex');
    const body = JSON.stringify({
      id: randomUUID(),
      create_time: wechatTime(new Date()),
      resource_type: 'encrypt-resource',
      event_type: eventType,
      summary,
      resource: { original_type: originalType, algorithm: 'AEAD_AES_256_GCM', ciphertext: encryptResource(apiV3Key, JSON.stringify(resource), originalType, nonce), associated_data: originalType, nonce },
    });
    return { body, headers: signedHeaders(body, signWith) };
  }

  function refundNotification(order: SimOrder, refund: SimRefund, signWith: KeyObject = platform.privateKey) {
    const resource = {
      mchid: SIM_MCHID,
      out_trade_no: order.outTradeNo,
      transaction_id: order.transactionId,
      out_refund_no: refund.outRefundNo,
      refund_id: refund.refundId,
      refund_status: refund.status,
      ...(refund.successTime ? { success_time: refund.successTime } : {}),
      user_received_account: '支付用户零钱',
      amount: { total: order.amountFen, refund: refund.amountFen, payer_total: order.amountFen, payer_refund: refund.amountFen },
    };
    const summary = { SUCCESS: '退款成功', ABNORMAL: '退款异常', CLOSED: '退款关闭', PROCESSING: '退款处理中' }[refund.status];
    return envelope(`REFUND.${refund.status}`, summary, 'refund', resource, signWith);
  }

  /** The refund's result after the delay, and its notification (unless notifications are lost). */
  function settleLater(order: SimOrder, refund: SimRefund) {
    setTimeout(() => {
      refund.status = control.refundOutcome;
      refund.successTime = refund.status === 'SUCCESS' ? wechatTime(new Date()) : null;
      if (!refund.notifyUrl || control.refundNotificationsLost) return;
      const { headers, body } = refundNotification(order, refund);
      deliver(refund.notifyUrl, { method: 'POST', headers, body }).then(
        (res) => (refund.notifyStatus = res.status),
        () => (refund.notifyStatus = 0),
      );
    }, control.refundDelayMs).unref();
  }

  const refundAnswer = (order: SimOrder, refund: SimRefund) => ({
    refund_id: refund.refundId,
    out_refund_no: refund.outRefundNo,
    transaction_id: order.transactionId,
    out_trade_no: order.outTradeNo,
    channel: 'ORIGINAL',
    status: refund.status,
    ...(refund.successTime ? { success_time: refund.successTime } : {}),
    user_received_account: '支付用户零钱',
    create_time: wechatTime(new Date()),
    amount: { total: order.amountFen, refund: refund.amountFen, payer_total: order.amountFen, payer_refund: refund.amountFen, currency: 'CNY' },
  });

  /** The headers WeChat Pay sends with a notification body, signed with the platform key (or `signWith`). */
  function signedHeaders(body: string, signWith: KeyObject = platform.privateKey): Record<string, string> {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const headerNonce = randomBytes(16).toString('hex');
    return {
      'Content-Type': 'application/json',
      'Wechatpay-Timestamp': timestamp,
      'Wechatpay-Nonce': headerNonce,
      'Wechatpay-Serial': SIM_PLATFORM_SERIAL,
      'Wechatpay-Signature-Type': WECHATPAY_SIGNATURE_TYPE,
      'Wechatpay-Signature': signLines(signWith, [timestamp, headerNonce, body]),
    };
  }

  async function pay(outTradeNo: string): Promise<number> {
    const order = orders.get(outTradeNo);
    if (!order) throw new Error(`no order ${outTradeNo}`);
    if (order.state === 'NOTPAY') {
      order.state = 'SUCCESS';
      order.transactionId = `4200${Date.now()}${randomBytes(3).toString('hex')}`;
    }
    const { headers, body } = notification(order);
    const res = await deliver(order.notifyUrl, { method: 'POST', headers, body });
    order.notifyStatus = res.status;
    return res.status;
  }

  app.post('/v3/pay/transactions/h5', async (c) => {
    const raw = await c.req.text();
    if (!authorized('POST', '/v3/pay/transactions/h5', raw, c.req.header('Authorization'))) return refuse(c);
    const req = JSON.parse(raw) as { out_trade_no: string; description: string; notify_url: string; amount: { total: number } };
    if (orders.has(req.out_trade_no)) return c.json({ code: 'ORDER_NO_DUPLICATE', message: '商户订单号重复' }, 400);
    const prepayId = `wx${Date.now()}${randomBytes(4).toString('hex')}`;
    orders.set(req.out_trade_no, { outTradeNo: req.out_trade_no, prepayId, description: req.description, amountFen: req.amount.total, notifyUrl: req.notify_url, state: 'NOTPAY', transactionId: null, refunds: [] });
    byPrepay.set(prepayId, req.out_trade_no);
    return c.json({ h5_url: `${base}/pay?prepay_id=${prepayId}&package=2746182475` });
  });

  app.post('/v3/refund/domestic/refunds', async (c) => {
    const raw = await c.req.text();
    if (!authorized('POST', '/v3/refund/domestic/refunds', raw, c.req.header('Authorization'))) return refuse(c);
    const req = JSON.parse(raw) as { out_trade_no: string; out_refund_no: string; notify_url?: string; amount: { refund: number; total: number } };
    if (control.refundsFailing) {
      refundRequests.push({ outTradeNo: req.out_trade_no, outRefundNo: req.out_refund_no, status: 500 });
      return c.json({ code: 'SYSTEM_ERROR', message: '系统错误' }, 500);
    }
    const order = orders.get(req.out_trade_no);
    const found = Boolean(order && order.state !== 'NOTPAY');
    refundRequests.push({ outTradeNo: req.out_trade_no, outRefundNo: req.out_refund_no, status: found ? 200 : 404 });
    if (!order || !found) return c.json({ code: 'RESOURCE_NOT_EXISTS', message: '订单不存在' }, 404);
    let refund = order.refunds.find((r) => r.outRefundNo === req.out_refund_no);
    if (!refund) {
      refund = { outRefundNo: req.out_refund_no, refundId: `50000${Date.now()}`, amountFen: req.amount.refund, status: 'PROCESSING', successTime: null, notifyUrl: req.notify_url ?? null };
      order.refunds.push(refund);
      order.state = 'REFUND';
      settleLater(order, refund);
    }
    return c.json(refundAnswer(order, refund));
  });

  app.get('/v3/refund/domestic/refunds/:outRefundNo', (c) => {
    const path = new URL(c.req.url).pathname;
    if (!authorized('GET', path, '', c.req.header('Authorization'))) return refuse(c);
    const wanted = c.req.param('outRefundNo');
    refundQueries.push(wanted);
    for (const order of orders.values()) {
      const refund = order.refunds.find((r) => r.outRefundNo === wanted);
      if (refund) return c.json(refundAnswer(order, refund));
    }
    return c.json({ code: 'RESOURCE_NOT_EXISTS', message: '退款单不存在' }, 404);
  });

  // The cashier page the patient's phone opens (standing in for WeChat's).
  app.get('/pay', (c) => {
    const outTradeNo = byPrepay.get(c.req.query('prepay_id') ?? '');
    const order = outTradeNo ? orders.get(outTradeNo) : undefined;
    if (!order) return c.html('<p>订单不存在</p>', 404);
    const redirect = c.req.query('redirect_url') ?? '';
    return c.html(`<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>微信支付(模拟)</title>
<style>body{font-family:system-ui,sans-serif;margin:0;padding:24px;background:#f2f2f2;text-align:center}.amt{font-size:40px;margin:24px 0}button{width:100%;padding:14px;font-size:18px;background:#07c160;color:#fff;border:0;border-radius:6px}</style></head>
<body><p>微信支付(本地模拟)</p><p>${escape(order.description)}</p><p class="amt">¥${(order.amountFen / 100).toFixed(2)}</p>
<form method="post" action="/pay?prepay_id=${escape(order.prepayId)}&redirect_url=${encodeURIComponent(redirect)}"><button type="submit">确认支付</button></form></body></html>`);
  });
  app.post('/pay', async (c) => {
    const outTradeNo = byPrepay.get(c.req.query('prepay_id') ?? '');
    if (!outTradeNo) return c.html('<p>订单不存在</p>', 404);
    const status = await pay(outTradeNo);
    const redirect = c.req.query('redirect_url');
    if (redirect) return c.redirect(redirect, 303);
    return c.html(`<p>支付完成(商户应答 ${status})</p>`);
  });

  app.get('/sim/orders', (c) => c.json([...orders.values()]));
  app.post('/sim/pay/:outTradeNo', async (c) => c.json({ status: await pay(c.req.param('outTradeNo')) }));
  app.post('/sim/refunds/failing', async (c) => {
    control.refundsFailing = Boolean(((await c.req.json()) as { failing?: unknown }).failing);
    return c.json(control);
  });

  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: options.port ?? 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    orders,
    refundRequests,
    refundQueries,
    get refundDelayMs() {
      return control.refundDelayMs;
    },
    set refundDelayMs(ms: number) {
      control.refundDelayMs = ms;
    },
    get refundOutcome() {
      return control.refundOutcome;
    },
    set refundOutcome(outcome: WechatPaySimulator['refundOutcome']) {
      control.refundOutcome = outcome;
    },
    get refundNotificationsLost() {
      return control.refundNotificationsLost;
    },
    set refundNotificationsLost(lost: boolean) {
      control.refundNotificationsLost = lost;
    },
    get refundsFailing() {
      return control.refundsFailing;
    },
    set refundsFailing(failing: boolean) {
      control.refundsFailing = failing;
    },
    adapterConfig: {
      baseUrl: base,
      appId: SIM_APPID,
      mchId: SIM_MCHID,
      merchantSerial: SIM_MERCHANT_SERIAL,
      merchantPrivateKey: merchant.privateKey,
      apiV3Key,
      platformKeys: { [SIM_PLATFORM_SERIAL]: platform.publicKey },
    },
    pay,
    notification,
    refundNotification,
    signedHeaders,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
