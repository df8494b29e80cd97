/**
 * Which adapter carries what, from the environment: the SMS provider per deployment or per
 * number prefix, WeChat when its app is configured. A provider without credentials is absent,
 * so its messages fall to the next channel of the ladder.
 */
import type { Env } from '../../config/env.js';
import { createAliyunSms } from './aliyun-sms.js';
import { createTwilioSms } from './twilio-sms.js';
import type { MessageAdapter } from './types.js';
import { createWechat, type WechatClient } from './wechat.js';

export type ChannelEnv = Pick<
  Env,
  | 'PUBLIC_BASE_URL'
  | 'SMS_PROVIDER'
  | 'SMS_PROVIDER_BY_PREFIX'
  | 'TWILIO_ACCOUNT_SID'
  | 'TWILIO_AUTH_TOKEN'
  | 'TWILIO_FROM_NUMBER'
  | 'TWILIO_API_BASE_URL'
  | 'ALIYUN_ACCESS_KEY_ID'
  | 'ALIYUN_ACCESS_KEY_SECRET'
  | 'ALIYUN_SMS_ENDPOINT'
  | 'ALIYUN_SMS_PROTOCOL'
  | 'ALIYUN_SMS_SIGN_NAME'
  | 'ALIYUN_SMS_TEMPLATES'
  | 'WECHAT_APP_ID'
  | 'WECHAT_APP_SECRET'
  | 'WECHAT_API_BASE_URL'
  | 'WECHAT_TEMPLATE_ID'
  | 'SESSION_SECRET'
>;

export interface Channels {
  /** The SMS adapter for this E.164 number, or null when none is configured. */
  smsFor(phone: string): MessageAdapter | null;
  wechat: WechatClient | null;
  publicBaseUrl: string;
  /** Key survey-link tokens are derived from. */
  linkSecret: string;
}

/** The configured channels, or null when no provider is configured (messages then stay queued). */
export function channelsFromEnv(env: ChannelEnv): Channels | null {
  const twilio =
    env.TWILIO_ACCOUNT_SID && env.TWILIO_AUTH_TOKEN && env.TWILIO_FROM_NUMBER
      ? createTwilioSms({ accountSid: env.TWILIO_ACCOUNT_SID, authToken: env.TWILIO_AUTH_TOKEN, from: env.TWILIO_FROM_NUMBER, apiBaseUrl: env.TWILIO_API_BASE_URL })
      : null;
  const aliyun =
    env.ALIYUN_ACCESS_KEY_ID && env.ALIYUN_ACCESS_KEY_SECRET && env.ALIYUN_SMS_SIGN_NAME
      ? createAliyunSms({
          accessKeyId: env.ALIYUN_ACCESS_KEY_ID,
          accessKeySecret: env.ALIYUN_ACCESS_KEY_SECRET,
          endpoint: env.ALIYUN_SMS_ENDPOINT,
          protocol: env.ALIYUN_SMS_PROTOCOL,
          signName: env.ALIYUN_SMS_SIGN_NAME,
          templates: env.ALIYUN_SMS_TEMPLATES,
        })
      : null;
  const wechat =
    env.WECHAT_APP_ID && env.WECHAT_APP_SECRET && env.WECHAT_TEMPLATE_ID
      ? createWechat({ appId: env.WECHAT_APP_ID, appSecret: env.WECHAT_APP_SECRET, apiBaseUrl: env.WECHAT_API_BASE_URL, templateId: env.WECHAT_TEMPLATE_ID })
      : null;
  if (!twilio && !aliyun && !wechat) return null;
  const byName = { twilio, aliyun };
  const prefixes = [...(env.SMS_PROVIDER_BY_PREFIX ?? [])].sort((a, b) => b.prefix.length - a.prefix.length);
  return {
    smsFor(phone) {
      const chosen = prefixes.find((p) => phone.startsWith(p.prefix))?.provider ?? env.SMS_PROVIDER;
      return byName[chosen];
    },
    wechat,
    publicBaseUrl: env.PUBLIC_BASE_URL.replace(/\/$/, ''),
    linkSecret: env.SESSION_SECRET,
  };
}

/** A stored phone number in E.164: mainland mobile numbers (11 digits from 1) get +86. */
export function e164(phone: string): string {
  const digits = phone.replace(/[\s-]/g, '');
  if (digits.startsWith('+')) return digits;
  if (/^1\d{10}$/.test(digits)) return `+86${digits}`;
  if (/^00\d+$/.test(digits)) return `+${digits.slice(2)}`;
  return digits;
}
