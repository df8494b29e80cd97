/**
 * WeChat Pay API v3 (微信支付 v3) as a {@link PaymentAdapter}, with Node crypto only:
 *
 * - requests are signed as WeChat Pay requires: `Authorization: WECHATPAY2-SHA256-RSA2048
 *   mchid="…",nonce_str="…",signature="…",timestamp="…",serial_no="…"`, the signature being
 *   SHA256withRSA (PKCS#1 v1.5) over `METHOD\nPATH\nTIMESTAMP\nNONCE\nBODY\n` with the merchant key;
 * - H5 orders: `POST /v3/pay/transactions/h5` → `{ h5_url }`; refunds: `POST /v3/refund/domestic/refunds`
 *   (usually answered `PROCESSING`), their status: `GET /v3/refund/domestic/refunds/{out_refund_no}`;
 * - payment notifications are verified before anything is read: `Wechatpay-Timestamp`,
 *   `Wechatpay-Nonce`, `Wechatpay-Signature`, `Wechatpay-Serial`, `Wechatpay-Signature-Type`
 *   (WECHATPAY2-SHA256-RSA2048), the signature over `TIMESTAMP\nNONCE\nBODY\n` checked with the
 *   platform public key of that serial, the timestamp within 5 minutes; then the `resource`
 *   (AEAD_AES_256_GCM, key = APIv3 key, nonce, associated_data; the last 16 bytes of the
 *   ciphertext are the tag) is decrypted into the transaction;
 * - refund result notifications (REFUND.SUCCESS / REFUND.ABNORMAL / REFUND.CLOSED, posted to the
 *   refund request's `notify_url`) come in the same envelope and are verified the same way.
 *
 * The base URL is configuration: https://api.mch.weixin.qq.com in production, the local simulator
 * (scripts/simulators/wechat-pay.ts) in development and tests.
 */
import { createCipheriv, createDecipheriv, createSign, createVerify, randomBytes, type KeyObject } from 'node:crypto';
import { PaymentNotificationError, type CreatePaymentRequest, type CreatedPayment, type PaymentAdapter, type PaymentNotification, type ProviderRefund, type RefundNotification, type RefundRequest } from './types.js';

export const WECHATPAY_SIGNATURE_TYPE = 'WECHATPAY2-SHA256-RSA2048';
/** Notifications older (or newer) than this are refused. */
export const NOTIFICATION_MAX_SKEW_MS = 5 * 60_000;

export interface WechatPayConfig {
  baseUrl: string;
  appId: string;
  mchId: string;
  /** Serial number of the merchant API certificate (商户 API 证书序列号). */
  merchantSerial: string;
  merchantPrivateKey: KeyObject | string;
  /** APIv3 key: 32 ASCII characters, decrypts notification resources. */
  apiV3Key: string;
  /** Platform certificate serials (or public key IDs) → public key: verifies what WeChat Pay signs. */
  platformKeys: Record<string, KeyObject | string>;
  fetch?: typeof fetch;
}

const header = (headers: Headers | Record<string, string | undefined>, name: string): string | undefined => {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase());
  return key ? headers[key] : undefined;
};

/** SHA256withRSA signature, base64, of the given lines each followed by "\n". */
export function signLines(privateKey: KeyObject | string, lines: string[]): string {
  return createSign('RSA-SHA256').update(lines.map((l) => `${l}\n`).join('')).sign(privateKey, 'base64');
}

/** AEAD_AES_256_GCM encryption of a resource as WeChat Pay does (for the simulator and tests). */
export function encryptResource(apiV3Key: string, plaintext: string, associatedData: string, nonce: string): string {
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(apiV3Key, 'utf8'), Buffer.from(nonce, 'utf8'));
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return body.toString('base64');
}

/** Decrypts an AEAD_AES_256_GCM resource; throws on a wrong key, nonce, associated data or tag. */
export function decryptResource(apiV3Key: string, ciphertext: string, associatedData: string, nonce: string): string {
  const data = Buffer.from(ciphertext, 'base64');
  if (data.length < 17) throw new PaymentNotificationError('加密数据过短', 'bad_resource');
  const decipher = createDecipheriv('aes-256-gcm', Buffer.from(apiV3Key, 'utf8'), Buffer.from(nonce, 'utf8'));
  decipher.setAAD(Buffer.from(associatedData, 'utf8'));
  decipher.setAuthTag(data.subarray(data.length - 16));
  try {
    return Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]).toString('utf8');
  } catch {
    throw new PaymentNotificationError('通知数据解密失败', 'bad_resource');
  }
}

/** A verified notification's envelope and its decrypted resource (JSON text). */
export interface OpenedNotification {
  id: string;
  eventType: string;
  originalType: string | null;
  plaintext: string;
}

/**
 * Verifies a WeChat Pay v3 notification (signature headers, freshness) and decrypts its resource;
 * payment and refund notifications share this envelope. Throws {@link PaymentNotificationError};
 * never returns anything for a forged notification.
 */
export function openWechatPayNotification(
  config: Pick<WechatPayConfig, 'apiV3Key' | 'platformKeys'>,
  headers: Headers | Record<string, string | undefined>,
  rawBody: string,
  now: Date = new Date(),
): OpenedNotification {
  const timestamp = header(headers, 'Wechatpay-Timestamp');
  const nonce = header(headers, 'Wechatpay-Nonce');
  const signature = header(headers, 'Wechatpay-Signature');
  const serial = header(headers, 'Wechatpay-Serial');
  const type = header(headers, 'Wechatpay-Signature-Type') ?? WECHATPAY_SIGNATURE_TYPE;
  if (!timestamp || !nonce || !signature || !serial) throw new PaymentNotificationError('缺少微信支付签名头', 'missing_headers');
  if (type !== WECHATPAY_SIGNATURE_TYPE) throw new PaymentNotificationError(`不支持的签名类型 ${type}`, 'bad_signature');
  const key = config.platformKeys[serial];
  if (!key) throw new PaymentNotificationError('未知的平台证书序列号', 'unknown_serial');
  if (!/^\d{1,12}$/.test(timestamp) || Math.abs(now.getTime() - Number(timestamp) * 1000) > NOTIFICATION_MAX_SKEW_MS) {
    throw new PaymentNotificationError('通知时间戳过期', 'stale');
  }
  let valid: boolean;
  try {
    valid = createVerify('RSA-SHA256').update(`${timestamp}\n${nonce}\n${rawBody}\n`).verify(key, signature, 'base64');
  } catch {
    valid = false;
  }
  if (!valid) throw new PaymentNotificationError('微信支付签名验证失败', 'bad_signature');

  let body: { id?: string; event_type?: string; resource?: { algorithm?: string; ciphertext?: string; associated_data?: string; nonce?: string; original_type?: string } };
  try {
    body = JSON.parse(rawBody) as typeof body;
  } catch {
    throw new PaymentNotificationError('通知不是 JSON', 'bad_resource');
  }
  const r = body.resource;
  if (!body.id || !r || r.algorithm !== 'AEAD_AES_256_GCM' || !r.ciphertext || !r.nonce) throw new PaymentNotificationError('通知缺少加密资源', 'bad_resource');
  const plaintext = decryptResource(config.apiV3Key, r.ciphertext, r.associated_data ?? '', r.nonce);
  return { id: body.id, eventType: body.event_type ?? '', originalType: r.original_type ?? null, plaintext };
}

const parseResource = <T>(plaintext: string): T => {
  try {
    return JSON.parse(plaintext) as T;
  } catch {
    throw new PaymentNotificationError('通知数据不是 JSON', 'bad_resource');
  }
};

/** Verifies a payment notification (TRANSACTION.*) and reads its transaction. */
export function verifyWechatPayNotification(
  config: Pick<WechatPayConfig, 'apiV3Key' | 'platformKeys'>,
  headers: Headers | Record<string, string | undefined>,
  rawBody: string,
  now: Date = new Date(),
): PaymentNotification {
  const opened = openWechatPayNotification(config, headers, rawBody, now);
  const tx = parseResource<{ out_trade_no?: string; transaction_id?: string; trade_state?: string; success_time?: string; amount?: { total?: number } }>(opened.plaintext);
  if (!tx.out_trade_no || !tx.trade_state) throw new PaymentNotificationError('交易数据不完整', 'bad_resource');
  return {
    notificationId: opened.id,
    outTradeNo: tx.out_trade_no,
    transactionId: tx.transaction_id ?? '',
    tradeState: tx.trade_state,
    amountFen: tx.amount?.total ?? 0,
    successTime: tx.success_time ?? null,
  };
}

/**
 * Reads the decrypted resource of a refund result notification (REFUND.SUCCESS / REFUND.ABNORMAL /
 * REFUND.CLOSED, `original_type` refund): `{ mchid, out_trade_no, transaction_id, out_refund_no,
 * refund_id, refund_status, success_time, user_received_account, amount: { total, refund,
 * payer_total, payer_refund } }`.
 */
export function parseRefundResource(notificationId: string, plaintext: string): RefundNotification {
  const r = parseResource<{
    out_trade_no?: string;
    transaction_id?: string;
    out_refund_no?: string;
    refund_id?: string;
    refund_status?: string;
    success_time?: string;
    user_received_account?: string;
    amount?: { total?: number; refund?: number; payer_total?: number; payer_refund?: number };
  }>(plaintext);
  if (!r.out_trade_no || !r.out_refund_no || !r.refund_status) throw new PaymentNotificationError('退款数据不完整', 'bad_resource');
  return {
    notificationId,
    outTradeNo: r.out_trade_no,
    transactionId: r.transaction_id ?? '',
    outRefundNo: r.out_refund_no,
    refundId: r.refund_id ?? null,
    refundStatus: r.refund_status,
    successTime: r.success_time ?? null,
    userReceivedAccount: r.user_received_account ?? null,
    refundFen: r.amount?.refund ?? 0,
    totalFen: r.amount?.total ?? 0,
  };
}

/** Verifies a refund result notification and reads its refund; a payment notification here is refused. */
export function verifyWechatPayRefundNotification(
  config: Pick<WechatPayConfig, 'apiV3Key' | 'platformKeys'>,
  headers: Headers | Record<string, string | undefined>,
  rawBody: string,
  now: Date = new Date(),
): RefundNotification {
  const opened = openWechatPayNotification(config, headers, rawBody, now);
  if (!opened.eventType.startsWith('REFUND.') && opened.originalType !== 'refund') throw new PaymentNotificationError(`不是退款通知(${opened.eventType})`, 'bad_resource');
  return parseRefundResource(opened.id, opened.plaintext);
}

/** The `Authorization` header of a v3 request. */
export function wechatPayAuthorization(config: Pick<WechatPayConfig, 'mchId' | 'merchantSerial' | 'merchantPrivateKey'>, method: string, pathWithQuery: string, body: string, timestamp: number, nonce: string): string {
  const signature = signLines(config.merchantPrivateKey, [method, pathWithQuery, String(timestamp), nonce, body]);
  return `${WECHATPAY_SIGNATURE_TYPE} mchid="${config.mchId}",nonce_str="${nonce}",signature="${signature}",timestamp="${timestamp}",serial_no="${config.merchantSerial}"`;
}

/** Formats an instant as WeChat Pay's RFC 3339 time with the +08:00 offset. */
export function wechatTime(d: Date): string {
  const shifted = new Date(d.getTime() + 8 * 3600_000).toISOString().slice(0, 19);
  return `${shifted}+08:00`;
}

/** The refund API's answer (create and query share it). */
interface RefundAnswer {
  refund_id: string;
  status: string;
  success_time?: string;
}
const providerRefund = (a: RefundAnswer): ProviderRefund => ({ refundId: a.refund_id, status: a.status, successTime: a.success_time ?? null });

export function createWechatPayAdapter(config: WechatPayConfig): PaymentAdapter {
  const doFetch = config.fetch ?? fetch;
  async function call<T>(method: 'POST' | 'GET', path: string, payload?: unknown): Promise<T> {
    const body = payload === undefined ? '' : JSON.stringify(payload);
    const nonce = randomBytes(16).toString('hex');
    const timestamp = Math.floor(Date.now() / 1000);
    const res = await doFetch(new URL(path, config.baseUrl), {
      method,
      headers: {
        Authorization: wechatPayAuthorization(config, method, path, body, timestamp, nonce),
        Accept: 'application/json',
        'Content-Type': 'application/json',
      },
      ...(payload === undefined ? {} : { body }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`微信支付 ${path} 返回 ${res.status}: ${text.slice(0, 200)}`);
    return JSON.parse(text) as T;
  }
  return {
    provider: 'wechat_pay',
    async createPayment(request: CreatePaymentRequest): Promise<CreatedPayment> {
      const answer = await call<{ h5_url: string }>('POST', '/v3/pay/transactions/h5', {
        appid: config.appId,
        mchid: config.mchId,
        description: request.description,
        out_trade_no: request.outTradeNo,
        time_expire: wechatTime(request.expiresAt),
        notify_url: request.notifyUrl,
        amount: { total: request.amountFen, currency: 'CNY' },
        scene_info: { payer_client_ip: '127.0.0.1', h5_info: { type: 'Wap' } },
      });
      return { payUrl: answer.h5_url };
    },
    async refund(request: RefundRequest): Promise<ProviderRefund> {
      const answer = await call<RefundAnswer>('POST', '/v3/refund/domestic/refunds', {
        out_trade_no: request.outTradeNo,
        out_refund_no: request.outRefundNo,
        reason: request.reason,
        ...(request.notifyUrl ? { notify_url: request.notifyUrl } : {}),
        amount: { refund: request.amountFen, total: request.totalFen, currency: 'CNY' },
      });
      return providerRefund(answer);
    },
    async queryRefund(outRefundNo: string): Promise<ProviderRefund> {
      return providerRefund(await call<RefundAnswer>('GET', `/v3/refund/domestic/refunds/${encodeURIComponent(outRefundNo)}`));
    },
    verifyRefundNotification(headers, rawBody, now) {
      return verifyWechatPayRefundNotification(config, headers, rawBody, now);
    },
    verifyNotification(headers, rawBody, now) {
      return verifyWechatPayNotification(config, headers, rawBody, now);
    },
  };
}
