/**
 * The WeChat Pay v3 adapter against samples WeChat Pay really sent or answered
 * (tests/fixtures/providers/wechat-pay, sources in SOURCES.md), not only against our simulator:
 *
 * - a payment-success notification captured from a live merchant, with the APIv3 key published
 *   beside it: its own ciphertext decrypts to the published transaction, and our verifier reads
 *   that transaction. The platform certificate that signed it was not published, so the captured
 *   body is signed again with a key of this test under the captured serial and timestamp; the
 *   body, the ciphertext, the nonce and the associated data stay as captured;
 * - the answer to a refund request (`POST /v3/refund/domestic/refunds`, status PROCESSING), from an
 *   SDK's test samples, read by our refund call;
 * - the published refund result (REFUND.SUCCESS) resource, in the documented envelope, read by our
 *   refund notification verifier.
 */
import { createVerify, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createWechatPayAdapter, decryptResource, encryptResource, signLines, verifyWechatPayNotification, verifyWechatPayRefundNotification, WECHATPAY_SIGNATURE_TYPE } from '../activities/payments/wechat-pay.js';
import { PaymentNotificationError } from '../activities/payments/types.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/providers/wechat-pay/${name}`, import.meta.url), 'utf8');
const body = fixture('transaction-success-notification.json');
const captured = JSON.parse(fixture('transaction-success-notification.headers.json')) as Record<string, string>;
const transaction = JSON.parse(fixture('transaction-success-resource.json')) as {
  out_trade_no: string;
  transaction_id: string;
  trade_state: string;
  success_time: string;
  amount: { total: number };
};
/** The merchant's APIv3 key as published with the capture (jaifiresong/weixin-pay test.php). */
const PUBLISHED_API_V3_KEY = '6ea12a184b53a3a5f33f1123b6ea9867';

describe('a captured WeChat Pay v3 payment notification (TRANSACTION.SUCCESS)', () => {
  const platform = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const serial = captured['Wechatpay-Serial']!;
  const config = { apiV3Key: PUBLISHED_API_V3_KEY, platformKeys: { [serial]: platform.publicKey } };
  const at = new Date(Number(captured['Wechatpay-Timestamp']) * 1000);
  const headersFor = (raw: string) => ({ ...captured, 'Wechatpay-Signature': signLines(platform.privateKey, [captured['Wechatpay-Timestamp']!, captured['Wechatpay-Nonce']!, raw]) });

  it('is the envelope WeChat Pay documents, with the captured length', () => {
    expect(Buffer.byteLength(body)).toBe(Number(captured['Content-Length']));
    expect(JSON.parse(body)).toMatchObject({
      resource_type: 'encrypt-resource',
      event_type: 'TRANSACTION.SUCCESS',
      summary: '支付成功',
      resource: { original_type: 'transaction', algorithm: 'AEAD_AES_256_GCM', associated_data: 'transaction' },
    });
    expect(captured['Wechatpay-Signature-Type']).toBe(WECHATPAY_SIGNATURE_TYPE);
  });

  it('decrypts with the published APIv3 key to the published transaction', () => {
    const r = (JSON.parse(body) as { resource: { ciphertext: string; associated_data: string; nonce: string } }).resource;
    expect(decryptResource(PUBLISHED_API_V3_KEY, r.ciphertext, r.associated_data, r.nonce)).toBe(fixture('transaction-success-resource.json'));
    expect(() => decryptResource('0'.repeat(32), r.ciphertext, r.associated_data, r.nonce)).toThrow(PaymentNotificationError);
  });

  it('is verified and read by the adapter: order, transaction, state, amount in fen, time', () => {
    const n = verifyWechatPayNotification(config, headersFor(body), body, at);
    expect(n).toEqual({
      notificationId: (JSON.parse(body) as { id: string }).id,
      outTradeNo: transaction.out_trade_no,
      transactionId: transaction.transaction_id,
      tradeState: transaction.trade_state,
      amountFen: transaction.amount.total,
      successTime: transaction.success_time,
    });
    expect(n.tradeState).toBe('SUCCESS');
  });

  it('is refused when the body was changed after signing, when stale, and with the signature as captured (not our platform key)', () => {
    const changed = body.replace('"summary":"支付成功"', '"summary":"支付成功 "');
    expect(() => verifyWechatPayNotification(config, headersFor(body), changed, at)).toThrow(expect.objectContaining({ code: 'bad_signature' }));
    expect(() => verifyWechatPayNotification(config, headersFor(body), body, new Date(at.getTime() + 6 * 60_000))).toThrow(expect.objectContaining({ code: 'stale' }));
    expect(() => verifyWechatPayNotification(config, captured, body, at)).toThrow(expect.objectContaining({ code: 'bad_signature' }));
  });
});

describe('a published refund answer (POST /v3/refund/domestic/refunds)', () => {
  it('is read by the adapter: the refund ID and its PROCESSING status', async () => {
    const answer = fixture('refund-response-processing.json');
    const published = JSON.parse(answer) as { out_trade_no: string; out_refund_no: string; refund_id: string; status: string; amount: { refund: number; total: number } };
    const merchant = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const sent: { url: string; authorization: string; body: string }[] = [];
    const adapter = createWechatPayAdapter({
      baseUrl: 'https://api.mch.weixin.qq.com',
      appId: 'wx8888888888888888',
      mchId: '1900000001',
      merchantSerial: 'SERIAL',
      merchantPrivateKey: merchant.privateKey,
      apiV3Key: PUBLISHED_API_V3_KEY,
      platformKeys: {},
      // WeChat Pay's side of the exchange: records the request and answers the published body.
      fetch: async (url, init) => {
        sent.push({ url: String(url), authorization: new Headers(init?.headers).get('Authorization') ?? '', body: String(init?.body) });
        return new Response(answer, { status: 200, headers: { 'Content-Type': 'application/json' } });
      },
    });
    const refund = await adapter.refund({
      outTradeNo: published.out_trade_no,
      outRefundNo: published.out_refund_no,
      amountFen: published.amount.refund,
      totalFen: published.amount.total,
      reason: '患者取消预约',
    });
    expect(refund).toEqual({ refundId: published.refund_id, status: published.status, successTime: null });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.url).toBe('https://api.mch.weixin.qq.com/v3/refund/domestic/refunds');
    expect(JSON.parse(sent[0]!.body)).toMatchObject({ out_trade_no: published.out_trade_no, out_refund_no: published.out_refund_no, amount: { refund: published.amount.refund, total: published.amount.total, currency: 'CNY' } });
    // Signed as WeChat Pay checks it: the signature over METHOD, path, timestamp, nonce and body verifies with the merchant's public key.
    const fields = Object.fromEntries([...sent[0]!.authorization.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    const signed = `POST\n/v3/refund/domestic/refunds\n${fields.timestamp}\n${fields.nonce_str}\n${sent[0]!.body}\n`;
    expect(createVerify('RSA-SHA256').update(signed).verify(merchant.publicKey, fields.signature!, 'base64')).toBe(true);
  });
});

describe('a published refund result notification (REFUND.SUCCESS)', () => {
  const resource = fixture('refund-success-resource.json');
  const published = JSON.parse(resource) as {
    out_trade_no: string;
    transaction_id: string;
    out_refund_no: string;
    refund_id: string;
    refund_status: string;
    success_time: string;
    user_received_account: string;
    amount: { total: number; refund: number };
  };
  const platform = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const apiV3Key = 'abcdefghijklmnopqrstuvwxyz012345';
  const config = { apiV3Key, platformKeys: { SERIAL: platform.publicKey } };
  const at = new Date('2018-06-08T02:34:57Z');
  const envelope = (plain: string, eventType: string, originalType: string) =>
    JSON.stringify({
      id: 'EV-2018022511223320873',
      create_time: '2018-06-08T10:34:56+08:00',
      resource_type: 'encrypt-resource',
      event_type: eventType,
      summary: '退款成功',
      resource: { original_type: originalType, algorithm: 'AEAD_AES_256_GCM', ciphertext: encryptResource(apiV3Key, plain, originalType, 'fdasflkja484'), associated_data: originalType, nonce: 'fdasflkja484' },
    });
  const headersFor = (raw: string, key = platform.privateKey) => {
    const timestamp = String(Math.floor(at.getTime() / 1000));
    return { 'Wechatpay-Timestamp': timestamp, 'Wechatpay-Nonce': 'n0nce', 'Wechatpay-Serial': 'SERIAL', 'Wechatpay-Signature-Type': WECHATPAY_SIGNATURE_TYPE, 'Wechatpay-Signature': signLines(key, [timestamp, 'n0nce', raw]) };
  };

  it('is verified and read: order, refund numbers, SUCCESS with its time, where the money went, amounts in fen', () => {
    const raw = envelope(resource, 'REFUND.SUCCESS', 'refund');
    expect(verifyWechatPayRefundNotification(config, headersFor(raw), raw, at)).toEqual({
      notificationId: 'EV-2018022511223320873',
      outTradeNo: published.out_trade_no,
      transactionId: published.transaction_id,
      outRefundNo: published.out_refund_no,
      refundId: published.refund_id,
      refundStatus: 'SUCCESS',
      successTime: published.success_time,
      userReceivedAccount: '招商银行信用卡0403',
      refundFen: published.amount.refund,
      totalFen: published.amount.total,
    });
  });

  it('is refused when forged (another key) and when it is a payment notification', () => {
    const raw = envelope(resource, 'REFUND.SUCCESS', 'refund');
    expect(() => verifyWechatPayRefundNotification(config, headersFor(raw, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey), raw, at)).toThrow(expect.objectContaining({ code: 'bad_signature' }));
    const payment = envelope(fixture('transaction-success-resource.json'), 'TRANSACTION.SUCCESS', 'transaction');
    expect(() => verifyWechatPayRefundNotification(config, headersFor(payment), payment, at)).toThrow(PaymentNotificationError);
  });
});
