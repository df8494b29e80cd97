/**
 * Twilio Voice in the local simulator (issue 16): the Calls API (POST …/Calls.json), the recordings'
 * media (GET …/Recordings/<sid>.wav), and phones that ring. A call is played as Twilio plays it:
 * the first leg rings and is answered (or not), its TwiML is fetched from the deployment (signed
 * POST), and the verbs run in order: <Say> is "heard" (kept in the call's transcript), <Gather>
 * waits for a keypress and posts it to its action, <Redirect> fetches the next TwiML, <Dial><Number>
 * rings the second leg (its own url, status callbacks, recording with a generated WAV, the Dial's
 * action), <Hangup> ends it. Status and recording callbacks carry Twilio's parameters and
 * X-Twilio-Signature. Parameter names follow Twilio's API definition (twilio/twilio-oai,
 * twilio_api_v2010: Call, Recording) and its callback documentation.
 *
 * Each number behaves as set: answers, does not answer, is busy, or rings until someone acts on
 * the 模拟手机 page (`manual`, the default): pick up, reject, press keys, hang up.
 */
import { randomBytes } from 'node:crypto';
import type { Hono } from 'hono';

export type PhoneBehaviour = 'answer' | 'no-answer' | 'busy' | 'manual';

export interface VoiceTimings {
  /** How long a scripted phone rings before it answers or gives up (ms). */
  ringMs?: number;
  /** How long a scripted answered call lasts (ms); the recording is as long (whole seconds). */
  talkMs?: number;
  /** How long a <Gather> waits for a scripted keypress before "no input" (ms; Twilio: its timeout in seconds). */
  gatherWaitMs?: number;
  /** A `manual` phone rings this long before no-answer (ms). */
  manualRingMs?: number;
}

export interface SimCall {
  sid: string;
  parentSid: string | null;
  to: string;
  from: string;
  status: string;
  /** What the callee heard (<Say> texts, in order). */
  heard: string[];
  /** Keys pressed in answer to <Gather>. */
  pressed: string[];
  recordingSid: string | null;
  /** Waiting for a person: ringing (pick up / reject), gathering (keys), talking (hang up). */
  waitingFor: 'pickup' | 'keys' | 'hangup' | null;
  at: string;
}

export interface VoiceSim {
  calls: SimCall[];
  /** How a number behaves when it rings (default `manual`). */
  behave(number: string, behaviour: PhoneBehaviour): void;
  /** Keys a number presses at its next <Gather>s (one entry per <Gather>; '' = no input). */
  queueKeys(number: string, ...keys: string[]): void;
  answer(sid: string): boolean;
  reject(sid: string): boolean;
  press(sid: string, digits: string): boolean;
  hangup(sid: string): boolean;
}

interface Options {
  accountSid: string;
  authToken: string;
  from: string;
  timings?: VoiceTimings;
  /** Posts form parameters to a deployment URL, signed as Twilio signs. */
  post(url: string, params: Record<string, string>): Promise<Response>;
}

const rfc2822 = (d: Date) => d.toUTCString().replace('GMT', '+0000');
const callSid = () => `CA${randomBytes(16).toString('hex')}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A small mono 16-bit PCM WAV (8 kHz): a quiet tone of `seconds` (at most 5 s: it stands for the conversation). */
export function generatedWav(seconds: number): Buffer {
  const rate = 8000;
  const samples = Math.max(1, Math.min(seconds, 5)) * rate;
  const wav = Buffer.alloc(44 + samples * 2);
  wav.write('RIFF', 0);
  wav.writeUInt32LE(36 + samples * 2, 4);
  wav.write('WAVEfmt ', 8);
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(rate, 24);
  wav.writeUInt32LE(rate * 2, 28);
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write('data', 36);
  wav.writeUInt32LE(samples * 2, 40);
  for (let i = 0; i < samples; i++) wav.writeInt16LE(Math.round(3000 * Math.sin((2 * Math.PI * 440 * i) / rate)), 44 + i * 2);
  return wav;
}

// ---------------------------------------------------------------- a minimal TwiML reader

interface Verb {
  name: string;
  attrs: Record<string, string>;
  children: Verb[];
  text: string;
}

const decode = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');

/** The verbs of a TwiML document (elements, attributes and text; enough for what the deployment sends). */
export function parseTwiml(xml: string): Verb[] {
  const root: Verb = { name: '#root', attrs: {}, children: [], text: '' };
  const stack = [root];
  for (const m of xml.replace(/<\?xml[^>]*\?>/, '').matchAll(/<(\/?)([A-Za-z]+)((?:\s+[\w:]+="[^"]*")*)\s*(\/?)>|([^<]+)/g)) {
    const top = stack[stack.length - 1]!;
    if (m[5] !== undefined) {
      top.text += decode(m[5]);
      continue;
    }
    if (m[1]) {
      stack.pop();
      continue;
    }
    const attrs = Object.fromEntries([...(m[3] ?? '').matchAll(/([\w:]+)="([^"]*)"/g)].map((a) => [a[1]!, decode(a[2]!)]));
    const verb: Verb = { name: m[2]!, attrs, children: [], text: '' };
    top.children.push(verb);
    if (!m[4]) stack.push(verb);
  }
  const response = root.children.find((v) => v.name === 'Response');
  return response?.children ?? [];
}

// ---------------------------------------------------------------- the simulator

export function mountTwilioVoice(app: Hono, o: Options): VoiceSim {
  const t = { ringMs: 300, talkMs: 1500, gatherWaitMs: 300, manualRingMs: 30_000, ...o.timings };
  const calls: SimCall[] = [];
  const behaviours = new Map<string, PhoneBehaviour>();
  const keys = new Map<string, string[]>();
  const recordings = new Map<string, Buffer>();
  // A person acting on the 模拟手机 page resolves what a call waits for.
  const waiting = new Map<string, (value: string) => void>();
  const resume = (sid: string, value: string) => {
    const done = waiting.get(sid);
    if (!done) return false;
    waiting.delete(sid);
    done(value);
    return true;
  };
  const waitFor = (call: SimCall, what: SimCall['waitingFor'], ms: number, fallback: string) =>
    new Promise<string>((resolve) => {
      call.waitingFor = what;
      const timer = setTimeout(() => resume(call.sid, fallback), ms);
      waiting.set(call.sid, (v) => {
        clearTimeout(timer);
        call.waitingFor = null;
        resolve(v);
      });
    });
  const log = (err: unknown) => console.error('[simulator] twilio voice', err);

  const common = (call: SimCall, direction: string) => ({
    AccountSid: o.accountSid,
    ApiVersion: '2010-04-01',
    CallSid: call.sid,
    From: call.from,
    Caller: call.from,
    To: call.to,
    Called: call.to,
    Direction: direction,
    ...(call.parentSid ? { ParentCallSid: call.parentSid } : {}),
  });

  /** Status callbacks of one leg (only the events it asked for, as Twilio sends them). */
  function statusSender(call: SimCall, direction: string, url: string | undefined, events: string[]) {
    let sequence = 0;
    return async (status: string, extra: Record<string, string> = {}) => {
      call.status = status;
      const event = status === 'in-progress' ? 'answered' : ['completed', 'busy', 'no-answer', 'failed', 'canceled'].includes(status) ? 'completed' : status;
      if (!url || !events.includes(event)) return;
      await o.post(url, {
        ...common(call, direction),
        CallStatus: status,
        CallbackSource: 'call-progress-events',
        SequenceNumber: String(sequence++),
        Timestamp: rfc2822(new Date()),
        ...extra,
      });
    };
  }

  /** Rings `call.to`: resolves how it ended ('in-progress' when answered). */
  async function ring(call: SimCall): Promise<'in-progress' | 'no-answer' | 'busy'> {
    const behaviour = behaviours.get(call.to) ?? 'manual';
    if (behaviour === 'busy') return 'busy';
    if (behaviour === 'manual') return (await waitFor(call, 'pickup', t.manualRingMs, 'no-answer')) as 'in-progress' | 'no-answer' | 'busy';
    await sleep(t.ringMs);
    return behaviour === 'answer' ? 'in-progress' : 'no-answer';
  }

  async function fetchTwiml(call: SimCall, url: string, direction: string, extra: Record<string, string> = {}): Promise<Verb[]> {
    const res = await o.post(url, { ...common(call, direction), CallStatus: call.status, ...extra });
    return res.ok ? parseTwiml(await res.text()) : [];
  }

  /** Runs verbs on an answered leg until it hangs up or the document ends. */
  async function run(call: SimCall, verbs: Verb[], direction: string): Promise<void> {
    for (const verb of verbs) {
      if (call.status !== 'in-progress') return;
      switch (verb.name) {
        case 'Say':
          call.heard.push(verb.text.trim());
          break;
        case 'Hangup':
          return;
        case 'Redirect':
          return run(call, await fetchTwiml(call, verb.text.trim(), direction), direction);
        case 'Gather': {
          for (const say of verb.children.filter((v) => v.name === 'Say')) call.heard.push(say.text.trim());
          const scripted = keys.get(call.to);
          const behaviour = behaviours.get(call.to) ?? 'manual';
          const digits =
            scripted && scripted.length > 0
              ? (await sleep(t.gatherWaitMs), scripted.shift()!)
              : behaviour === 'manual'
                ? await waitFor(call, 'keys', Number(verb.attrs.timeout ?? 5) * 1000 * 3, '')
                : (await sleep(t.gatherWaitMs), '');
          if (!digits) break; // no input: on to the next verb
          call.pressed.push(digits);
          const action = verb.attrs.action;
          if (!action) return;
          return run(call, await fetchTwiml(call, action, direction, { Digits: digits, FinishedOnKey: '' }), direction);
        }
        case 'Dial': {
          const next = await dial(call, verb, direction);
          if (next) return run(call, next, direction);
          break;
        }
        default:
          break;
      }
    }
  }

  /** <Dial><Number>: the second leg, its recording, and the Dial's action (TwiML that continues the first leg). */
  async function dial(parent: SimCall, verb: Verb, direction: string): Promise<Verb[] | null> {
    const number = verb.children.find((v) => v.name === 'Number');
    if (!number) return null;
    const child: SimCall = { sid: callSid(), parentSid: parent.sid, to: number.text.trim(), from: verb.attrs.callerId ?? parent.from, status: 'queued', heard: [], pressed: [], recordingSid: null, waitingFor: null, at: new Date().toISOString() };
    calls.push(child);
    const send = statusSender(child, 'outbound-dial', number.attrs.statusCallback, (number.attrs.statusCallbackEvent ?? '').split(/\s+/).filter(Boolean));
    await send('initiated');
    await send('ringing');
    const rang = await ring(child);
    let talked = 0;
    if (rang === 'in-progress') {
      await send('in-progress');
      if (number.attrs.url) {
        // The called party hears the Number's own TwiML (the recording notice) before being connected.
        for (const v of await fetchTwiml(child, number.attrs.url, 'outbound-dial')) if (v.name === 'Say') child.heard.push(v.text.trim());
      }
      const started = Date.now();
      if ((behaviours.get(child.to) ?? 'manual') === 'manual') await waitFor(child, 'hangup', 10 * 60_000, 'hangup');
      else await sleep(t.talkMs);
      talked = Math.max(1, Math.round((Date.now() - started) / 1000));
      await send('completed', { CallDuration: String(talked), Duration: String(Math.ceil(talked / 60)), SipResponseCode: '200' });
      if (verb.attrs.record && verb.attrs.record !== 'do-not-record') {
        const sid = `RE${randomBytes(16).toString('hex')}`;
        recordings.set(sid, generatedWav(talked));
        parent.recordingSid = sid;
        if (verb.attrs.recordingStatusCallback) {
          await o.post(verb.attrs.recordingStatusCallback, {
            AccountSid: o.accountSid,
            CallSid: parent.sid,
            RecordingSid: sid,
            RecordingUrl: `https://api.twilio.com/2010-04-01/Accounts/${o.accountSid}/Recordings/${sid}`,
            RecordingStatus: 'completed',
            RecordingDuration: String(talked),
            RecordingChannels: verb.attrs.record.endsWith('dual') ? '2' : '1',
            RecordingStartTime: rfc2822(new Date(started)),
            RecordingSource: 'DialVerb',
            RecordingTrack: 'both',
            ErrorCode: '0',
          });
        }
      }
    } else {
      await send(rang, { CallDuration: '0', SipResponseCode: rang === 'busy' ? '486' : '487' });
    }
    const dialStatus = rang === 'in-progress' ? 'completed' : rang;
    if (!verb.attrs.action) return null;
    return fetchTwiml(parent, verb.attrs.action, direction, {
      DialCallSid: child.sid,
      DialCallStatus: dialStatus,
      DialCallDuration: String(talked),
      DialBridged: String(rang === 'in-progress'),
      ...(parent.recordingSid ? { RecordingSid: parent.recordingSid } : {}),
    });
  }

  /** An outbound-api call: ring, fetch its TwiML when answered, run it, and report the end. */
  async function play(call: SimCall, url: string, statusCallback: string | undefined, events: string[]): Promise<void> {
    const send = statusSender(call, 'outbound-api', statusCallback, events);
    await send('initiated');
    await send('ringing');
    const rang = await ring(call);
    if (rang !== 'in-progress') {
      await send(rang, { CallDuration: '0', SipResponseCode: rang === 'busy' ? '486' : '487' });
      return;
    }
    const started = Date.now();
    await send('in-progress');
    await run(call, await fetchTwiml(call, url, 'outbound-api'), 'outbound-api');
    const seconds = Math.max(1, Math.round((Date.now() - started) / 1000));
    await send('completed', { CallDuration: String(seconds), Duration: String(Math.ceil(seconds / 60)), SipResponseCode: '200' });
  }

  const authorized = (header: string | undefined, account: string) =>
    account === o.accountSid && header === `Basic ${Buffer.from(`${o.accountSid}:${o.authToken}`).toString('base64')}`;
  const error = (status: number, code: number, message: string) =>
    new Response(JSON.stringify({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }), { status, headers: { 'content-type': 'application/json' } });

  app.post('/twilio/2010-04-01/Accounts/:account/Calls.json', async (c) => {
    if (!authorized(c.req.header('authorization'), c.req.param('account'))) return error(401, 20003, 'Authenticate');
    const raw = new URLSearchParams(await c.req.text());
    const form = Object.fromEntries(raw);
    const to = form.To ?? '';
    if (!/^(\+[1-9]\d{6,14}|sip:.+|client:.+)$/.test(to)) return error(400, 21211, `Invalid 'To' Phone Number: ${to}`);
    if (!form.Url) return error(400, 21205, 'Url parameter is required.');
    const now = new Date();
    const call: SimCall = { sid: callSid(), parentSid: null, to, from: form.From ?? o.from, status: 'queued', heard: [], pressed: [], recordingSid: null, waitingFor: null, at: now.toISOString() };
    calls.push(call);
    // StatusCallbackEvent comes once per event (the SDK repeats the parameter); Twilio's default is completed only.
    const events = raw.getAll('StatusCallbackEvent').flatMap((e) => e.split(/\s+/)).filter(Boolean);
    setTimeout(() => void play(call, form.Url!, form.StatusCallback, events.length ? events : ['completed']).catch(log), 20);
    return c.json(
      {
        account_sid: o.accountSid,
        annotation: null,
        answered_by: null,
        api_version: '2010-04-01',
        caller_name: null,
        date_created: rfc2822(now),
        date_updated: rfc2822(now),
        direction: 'outbound-api',
        duration: null,
        end_time: null,
        forwarded_from: null,
        from: call.from,
        from_formatted: call.from,
        group_sid: null,
        parent_call_sid: null,
        phone_number_sid: null,
        price: null,
        price_unit: 'USD',
        sid: call.sid,
        start_time: null,
        status: 'queued',
        subresource_uris: { recordings: `/2010-04-01/Accounts/${o.accountSid}/Calls/${call.sid}/Recordings.json` },
        to,
        to_formatted: to,
        trunk_sid: null,
        uri: `/2010-04-01/Accounts/${o.accountSid}/Calls/${call.sid}.json`,
        queue_time: '0',
      },
      201,
    );
  });

  app.get('/twilio/2010-04-01/Accounts/:account/Recordings/:file', (c) => {
    if (!authorized(c.req.header('authorization'), c.req.param('account'))) return error(401, 20003, 'Authenticate');
    const audio = recordings.get(c.req.param('file').replace(/\.(wav|mp3)$/, ''));
    if (!audio) return error(404, 20404, 'The requested resource was not found');
    return c.body(new Uint8Array(audio), 200, { 'content-type': 'audio/x-wav' });
  });

  const sim: VoiceSim = {
    calls,
    behave: (number, behaviour) => void behaviours.set(number, behaviour),
    queueKeys: (number, ...k) => void keys.set(number, [...(keys.get(number) ?? []), ...k]),
    answer: (sid) => (calls.find((c) => c.sid === sid)?.waitingFor === 'pickup' ? resume(sid, 'in-progress') : false),
    reject: (sid) => (calls.find((c) => c.sid === sid)?.waitingFor === 'pickup' ? resume(sid, 'busy') : false),
    press: (sid, digits) => (calls.find((c) => c.sid === sid)?.waitingFor === 'keys' ? resume(sid, digits) : false),
    hangup: (sid) => (calls.find((c) => c.sid === sid)?.waitingFor === 'hangup' ? resume(sid, 'hangup') : false),
  };

  // Control API for the 模拟手机 page and tests.
  app.get('/sim/calls', (c) => c.json({ calls }));
  app.post('/sim/calls/:sid/:action', async (c) => {
    const sid = c.req.param('sid');
    const body = (await c.req.json().catch(() => ({}))) as { digits?: string };
    const action = c.req.param('action');
    const ok =
      action === 'answer' ? sim.answer(sid) : action === 'reject' ? sim.reject(sid) : action === 'press' ? sim.press(sid, body.digits ?? '') : action === 'hangup' ? sim.hangup(sid) : false;
    return c.json({ ok }, ok ? 200 : 409);
  });
  app.post('/sim/phones/behaviour', async (c) => {
    const { number, behaviour } = (await c.req.json()) as { number: string; behaviour: PhoneBehaviour };
    sim.behave(number, behaviour);
    return c.json({ ok: true });
  });
  return sim;
}
