/**
 * The prepayment adapter from the environment: WeChat Pay v3 when its merchant is configured
 * (WECHAT_PAY_* keys, key material in PEM files), otherwise none, and outpatient booking is not
 * offered. A partly configured merchant is an error at start-up, not a silent "booking closed".
 */
import { readFileSync } from 'node:fs';
import type { Env } from '../../config/env.js';
import { channelsFromEnv, type ChannelEnv } from '../channels/settings.js';
import type { PaymentAdapter } from './types.js';
import { createWechatPayAdapter } from './wechat-pay.js';

export type PaymentEnv = Pick<
  Env,
  | 'WECHAT_PAY_MCH_ID'
  | 'WECHAT_PAY_APP_ID'
  | 'WECHAT_PAY_MERCHANT_SERIAL'
  | 'WECHAT_PAY_MERCHANT_PRIVATE_KEY_FILE'
  | 'WECHAT_PAY_PLATFORM_PUBLIC_KEY_FILE'
  | 'WECHAT_PAY_PLATFORM_SERIAL'
  | 'WECHAT_PAY_API_V3_KEY'
  | 'WECHAT_PAY_BASE_URL'
>;

const REQUIRED = [
  'WECHAT_PAY_APP_ID',
  'WECHAT_PAY_MERCHANT_SERIAL',
  'WECHAT_PAY_MERCHANT_PRIVATE_KEY_FILE',
  'WECHAT_PAY_PLATFORM_PUBLIC_KEY_FILE',
  'WECHAT_PAY_PLATFORM_SERIAL',
  'WECHAT_PAY_API_V3_KEY',
] as const;

export function paymentsFromEnv(env: PaymentEnv, options: { fetch?: typeof fetch } = {}): PaymentAdapter | null {
  if (!env.WECHAT_PAY_MCH_ID) return null;
  const missing = REQUIRED.filter((key) => !env[key]);
  if (missing.length) throw new Error(`WECHAT_PAY_MCH_ID is set but ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing`);
  if (env.WECHAT_PAY_API_V3_KEY!.length !== 32) throw new Error('WECHAT_PAY_API_V3_KEY must be the 32-character APIv3 key');
  const read = (key: 'WECHAT_PAY_MERCHANT_PRIVATE_KEY_FILE' | 'WECHAT_PAY_PLATFORM_PUBLIC_KEY_FILE') => {
    try {
      return readFileSync(env[key]!, 'utf8');
    } catch (err) {
      throw new Error(`${key}: cannot read ${env[key]} (${err instanceof Error ? err.message : String(err)})`, { cause: err });
    }
  };
  return createWechatPayAdapter({
    baseUrl: env.WECHAT_PAY_BASE_URL,
    appId: env.WECHAT_PAY_APP_ID!,
    mchId: env.WECHAT_PAY_MCH_ID,
    merchantSerial: env.WECHAT_PAY_MERCHANT_SERIAL!,
    merchantPrivateKey: read('WECHAT_PAY_MERCHANT_PRIVATE_KEY_FILE'),
    apiV3Key: env.WECHAT_PAY_API_V3_KEY!,
    platformKeys: { [env.WECHAT_PAY_PLATFORM_SERIAL!]: read('WECHAT_PAY_PLATFORM_PUBLIC_KEY_FILE') },
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}

/** Where WeChat Pay posts to this deployment: payment notifications, and refund result notifications (the refund request's `notify_url`). */
export function wechatPayNotifyUrls(publicBaseUrl: string): { payment: string; refund: string } {
  const base = `${publicBaseUrl.replace(/\/$/, '')}/api/outpatient/payments/wechat`;
  return { payment: `${base}/notify`, refund: `${base}/refund-notify` };
}

/** The worker's refund settings: the adapter, where refund results are posted, how often a PROCESSING refund is checked. */
export function refundActivityDepsFromEnv(env: PaymentEnv & Pick<Env, 'PUBLIC_BASE_URL' | 'WECHAT_PAY_REFUND_POLL_SECONDS'>, payments: PaymentAdapter | null | undefined = paymentsFromEnv(env)) {
  return { payments: payments ?? undefined, refundNotifyUrl: wechatPayNotifyUrls(env.PUBLIC_BASE_URL).refund, refundPollSeconds: env.WECHAT_PAY_REFUND_POLL_SECONDS };
}

/** createServices' `outpatient` option from the environment: booking with WeChat Pay and the SMS channels, or none. */
export function outpatientFromEnv(env: PaymentEnv & ChannelEnv & Pick<Env, 'OUTPATIENT_HOLD_MINUTES'>, options: { fetch?: typeof fetch } = {}) {
  const payments = paymentsFromEnv(env, options);
  return payments ? { outpatient: { payments, channels: channelsFromEnv(env), holdSeconds: env.OUTPATIENT_HOLD_MINUTES * 60 } } : {};
}
