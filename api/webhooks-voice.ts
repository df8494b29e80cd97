/**
 * Twilio Voice webhooks (public contract, issue 16), mounted at /api/webhooks/twilio/voice:
 *   POST /            TwiML for a call's legs (the agent's leg dials the patient; the IVR's question)
 *   POST /status      call status callbacks (each leg)
 *   POST /recording   recording status callbacks (the file is downloaded into our storage)
 *   POST /gather      the IVR's keypress (<Gather> action)
 * Each checks X-Twilio-Signature with the SDK's validator against PUBLIC_BASE_URL first (403 and no
 * effect when wrong). Callbacks about a call we do not know are answered 2xx and logged: Twilio
 * retries anything else. Repeats take effect once (see services/calls.ts).
 */
import { Hono, type Context } from 'hono';
import type { Services } from '../services/index.js';
import { verifiedTwilioParams } from './webhooks.js';

const xml = (c: Context, body: string) => c.body(body, 200, { 'content-type': 'text/xml; charset=utf-8' });

export function createVoiceWebhookRoutes(services: Services) {
  const hooks = new Hono();
  const forbidden = (c: Context) => c.text('invalid signature', 403);
  const query = (c: Context) => ({ call: c.req.query('call'), leg: c.req.query('leg'), prompt: c.req.query('prompt') });

  hooks.post('/', async (c) => {
    const p = await verifiedTwilioParams(services, c);
    if (!p) return forbidden(c);
    return xml(c, await services.calls.twiml(query(c), p));
  });

  hooks.post('/status', async (c) => {
    const p = await verifiedTwilioParams(services, c);
    if (!p) return forbidden(c);
    await services.calls.statusCallback(query(c), p);
    return c.body(null, 204);
  });

  hooks.post('/recording', async (c) => {
    const p = await verifiedTwilioParams(services, c);
    if (!p) return forbidden(c);
    await services.calls.recordingCallback(query(c), p);
    return c.body(null, 204);
  });

  hooks.post('/gather', async (c) => {
    const p = await verifiedTwilioParams(services, c);
    if (!p) return forbidden(c);
    return xml(c, await services.calls.gather(query(c), p));
  });

  return hooks;
}
