/**
 * SMS through Twilio's Messages API with the official `twilio` SDK. A simulator (or any other
 * endpoint speaking the same API) is reached through the SDK's supported seam: a RequestClient
 * subclass that rewrites the API host, configured by TWILIO_API_BASE_URL.
 */
import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient.js';
import type { MessageAdapter } from './types.js';
import { PermanentSendError } from './types.js';

export interface TwilioSettings {
  accountSid: string;
  authToken: string;
  from: string;
  /** Unset: api.twilio.com. */
  apiBaseUrl?: string;
}

/** Sends every request of the SDK to `baseUrl` instead of https://*.twilio.com (same paths, same auth). */
export class RebasedRequestClient extends twilio.RequestClient {
  constructor(private readonly baseUrl: string) {
    super();
  }

  override request<TData>(opts: RequestClient.RequestOptions<TData>) {
    return super.request<TData>({ ...opts, uri: opts.uri.replace(/^https:\/\/[a-z.-]*twilio\.com/, this.baseUrl.replace(/\/$/, '')) });
  }
}

/** Twilio error codes that no retry can fix (invalid or unreachable number, opted-out recipient …). */
const PERMANENT_CODES = new Set([21211, 21408, 21610, 21612, 21614]);

export function createTwilioSms(s: TwilioSettings): MessageAdapter {
  const client = twilio(s.accountSid, s.authToken, s.apiBaseUrl ? { httpClient: new RebasedRequestClient(s.apiBaseUrl) } : {});
  return {
    provider: 'twilio',
    channel: 'sms',
    async send({ to, text, statusCallbackUrl }) {
      try {
        const message = await client.messages.create({ to, from: s.from, body: text, ...(statusCallbackUrl ? { statusCallback: statusCallbackUrl } : {}) });
        return { providerMessageId: message.sid };
      } catch (err) {
        const code = (err as { code?: number }).code;
        if (code !== undefined && PERMANENT_CODES.has(code)) throw new PermanentSendError((err as Error).message, `twilio-${code}`);
        throw err;
      }
    },
    async findSent(to, text, since) {
      const sent = await client.messages.list({ to, from: s.from, dateSentAfter: since, limit: 50 });
      return sent.find((m) => m.body === text)?.sid ?? null;
    },
  };
}
