/**
 * Mainland-China SMS through Alibaba Cloud (Dysmsapi SendSms) with its official SDK. Chinese SMS
 * must use an approved template and signature, so a message is a template code (per message
 * kind) plus the template's parameters, not free text. ALIYUN_SMS_ENDPOINT points the SDK at
 * the real endpoint (default) or any other, such as the local simulator.
 */
import DysmsapiModule, { SendSmsRequest } from '@alicloud/dysmsapi20170525';
import { $OpenApiUtil } from '@alicloud/openapi-core';
import type { MessageKind } from '../../domain/contact-rules.js';
import { PermanentSendError, type MessageAdapter } from './types.js';

export interface AliyunSmsSettings {
  accessKeyId: string;
  accessKeySecret: string;
  /** host[:port]; the SDK's default is dysmsapi.aliyuncs.com. */
  endpoint: string;
  protocol: 'HTTPS' | 'HTTP';
  signName: string;
  /** Approved template code per kind of message. */
  templates: Partial<Record<MessageKind, string>>;
}

/** Codes after which the same request can never succeed (bad number, template, signature, blacklist). */
const PERMANENT = /^isv\.(MOBILE_NUMBER_ILLEGAL|MOBILE_COUNT_OVER_LIMIT|TEMPLATE_MISSING_PARAMETERS|SMS_TEMPLATE_ILLEGAL|SMS_SIGNATURE_ILLEGAL|BLACK_KEY_CONTROL_LIMIT|PARAM_LENGTH_LIMIT)/;

// The SDK is CommonJS compiled from ESM: under Node's ESM loader its default import is the exports object.
const Dysmsapi = (DysmsapiModule as unknown as { default?: typeof DysmsapiModule }).default ?? DysmsapiModule;

/** Aliyun takes mainland numbers without the +86 prefix. */
const nationalNumber = (e164: string) => e164.replace(/^\+86/, '');

export function createAliyunSms(s: AliyunSmsSettings): MessageAdapter {
  const client = new Dysmsapi(
    new $OpenApiUtil.Config({ accessKeyId: s.accessKeyId, accessKeySecret: s.accessKeySecret, endpoint: s.endpoint, protocol: s.protocol }),
  );
  return {
    provider: 'aliyun',
    channel: 'sms',
    async send({ to, kind, params }) {
      const templateCode = s.templates[kind] ?? s.templates.notice;
      if (!templateCode) throw new PermanentSendError(`No Aliyun SMS template configured for ${kind}`, 'aliyun-no-template');
      const res = await client.sendSms(
        new SendSmsRequest({ phoneNumbers: nationalNumber(to), signName: s.signName, templateCode, templateParam: JSON.stringify(params) }),
      );
      const body = res.body;
      if (body?.code !== 'OK' || !body.bizId) {
        const code = body?.code ?? 'unknown';
        const message = `Aliyun SendSms ${code}: ${body?.message ?? ''}`;
        if (PERMANENT.test(code)) throw new PermanentSendError(message, `aliyun-${code}`);
        throw new Error(message);
      }
      return { providerMessageId: body.bizId };
    },
  };
}
