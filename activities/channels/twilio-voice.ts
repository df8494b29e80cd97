/**
 * Calls through Twilio Voice with the official `twilio` SDK (issue 16): placing a call whose TwiML
 * the deployment serves (/api/webhooks/twilio/voice), and downloading a finished recording into
 * the project's storage. The simulator is reached through the same seam as SMS: the SDK's
 * RequestClient rebased onto TWILIO_API_BASE_URL (see twilio-sms.ts).
 */
import twilio from 'twilio';
import { RebasedRequestClient, type TwilioSettings } from './twilio-sms.js';

export interface PlaceCallRequest {
  to: string;
  /** TwiML for the first leg once it answers. */
  url: string;
  statusCallback: string;
  /** The call is cut after this long. */
  timeLimitSeconds?: number;
}

export interface VoiceAdapter {
  provider: 'twilio';
  /** Places the call; resolves with Twilio's CallSid. */
  placeCall(request: PlaceCallRequest): Promise<{ callSid: string }>;
  /** The recording's audio (WAV) from the provider, by its SID. */
  downloadRecording(recordingSid: string): Promise<Buffer>;
}

/** A permanent refusal of the call by the provider (invalid number, geo permission, …). */
export class CallRefusedError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

const PERMANENT_CODES = new Set([13223, 13224, 13225, 21210, 21211, 21215, 21216, 21217]);

export function createTwilioVoice(s: TwilioSettings): VoiceAdapter {
  const client = twilio(s.accountSid, s.authToken, s.apiBaseUrl ? { httpClient: new RebasedRequestClient(s.apiBaseUrl) } : {});
  const apiBase = (s.apiBaseUrl ?? 'https://api.twilio.com').replace(/\/$/, '');
  return {
    provider: 'twilio',
    async placeCall({ to, url, statusCallback, timeLimitSeconds }) {
      try {
        const call = await client.calls.create({
          to,
          from: s.from,
          url,
          method: 'POST',
          statusCallback,
          statusCallbackMethod: 'POST',
          statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
          ...(timeLimitSeconds ? { timeLimit: timeLimitSeconds } : {}),
        });
        return { callSid: call.sid };
      } catch (err) {
        const code = (err as { code?: number }).code;
        if (code !== undefined && PERMANENT_CODES.has(code)) throw new CallRefusedError((err as Error).message, `twilio-${code}`);
        throw err;
      }
    },
    async downloadRecording(recordingSid) {
      if (!/^RE[0-9a-f]{32}$/i.test(recordingSid)) throw new CallRefusedError('不是 Twilio 录音 SID', 'bad-recording-sid');
      // Built from the SID (not the callback's RecordingUrl), so a callback can never point us elsewhere.
      const res = await fetch(`${apiBase}/2010-04-01/Accounts/${s.accountSid}/Recordings/${recordingSid}.wav`, {
        headers: { authorization: `Basic ${Buffer.from(`${s.accountSid}:${s.authToken}`).toString('base64')}` },
      });
      if (!res.ok) throw new Error(`recording ${recordingSid}: HTTP ${res.status}`);
      return Buffer.from(await res.arrayBuffer());
    },
  };
}
