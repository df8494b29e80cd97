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
 * - `POST /v3/refund/domestic/refunds` → `{ refund_id, out_refund_no, status: SUCCESS, … }`, one refund
 *   per `out_refund_no` (a repeated request answers the same refund, as WeChat Pay does); while
 *   `refundsFailing` it answers 500 `SYSTEM_ERROR` (an outage) and refunds nothing.
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
  refunds: { outRefundNo: string; refundId: string; amountFen: number }[];
  /** Answer of the deployment to the notification. */
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
  /** While true, refund requests are answered 500 SYSTEM_ERROR (WeChat Pay down); nothing is refunded. */
  refundsFailing: boolean;
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

export async function startWechatPaySimulator(options: { port?: number; deliver?: (url: string, init: RequestInit) => Promise<Response> } = {}): Promise<WechatPaySimulator> {
  const platform = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const merchant = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const apiV3Key = randomBytes(16).toString('hex'); // 32 ASCII characters
  const deliver = options.deliver ?? ((url: string, init: RequestInit) => fetch(url, init));
  const orders = new Map<string, SimOrder>();
  const byPrepay = new Map<string, string>();
  const refundRequests: WechatPaySimulator['refundRequests'] = [];
  const control = { refundsFailing: false };
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
    const nonce = randomBytes(6).toString('hex');
    const body = JSON.stringify({
      id: randomUUID(),
      create_time: wechatTime(new Date()),
      resource_type: 'encrypt-resource',
      event_type: 'TRANSACTION.SUCCESS',
      summary: '支付成功',
      resource: { original_type: 'transaction', algorithm: 'AEAD_AES_256_GCM', ciphertext: encryptResource(apiV3Key, JSON.stringify(transaction), 'transaction', nonce), associated_data: 'transaction', nonce },
    });
    return { body, headers: signedHeaders(body, signWith) };
  }

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
    const req = JSON.parse(raw) as { out_trade_no: string; out_refund_no: string; amount: { refund: number; total: number } };
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
      refund = { outRefundNo: req.out_refund_no, refundId: `50000${Date.now()}`, amountFen: req.amount.refund };
      order.refunds.push(refund);
      order.state = 'REFUND';
    }
    return c.json({
      refund_id: refund.refundId,
      out_refund_no: refund.outRefundNo,
      transaction_id: order.transactionId,
      out_trade_no: order.outTradeNo,
      channel: 'ORIGINAL',
      status: 'SUCCESS',
      create_time: wechatTime(new Date()),
      amount: { total: order.amountFen, refund: refund.amountFen, payer_total: order.amountFen, payer_refund: refund.amountFen, currency: 'CNY' },
    });
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
    signedHeaders,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
