/**
 * The public outpatient REST API for the hospital's app or mini-program (no staff sign-in; the
 * patient's mobile is verified by an SMS code):
 *
 * - `GET  /api/outpatient/sessions?date=YYYY-MM-DD` — sessions with numbers left per slot;
 * - `POST /api/outpatient/sms-codes` `{ mobile }` — sends the code;
 * - `POST /api/outpatient/appointments` `{ sessionId, slotIndex, name, idNumber, mobile, code }` →
 *   201 `{ number, shortCode, status: pending_payment, holdExpiresAt, payUrl, … }`;
 * - `POST /api/outpatient/appointments/<number>/cancel` `{ mobile, code, reason? }`;
 *
 * Instead of `code`, the patient's verified session (the `sf_patient` cookie the booking pages set
 * after an SMS code or WeChat identity) is accepted for its own mobile;
 * - `POST /api/outpatient/payments/wechat/notify` — WeChat Pay v3's notification (signature first);
 * - `POST /api/outpatient/payments/wechat/refund-notify` — its refund result notification (the same).
 *
 * Refusals: `{ error, message, … }` with 400 (invalid_input, bad_code), 403 not_yours, 404, 409
 * (blacklisted + blacklistedUntil + walkInOpen, full, closed, unpaid, already_booked).
 */
import { Hono, type Context } from 'hono';
import type { OutpatientBookingService } from '../services/outpatient-booking.js';
import type { PatientIdentityService } from '../services/patient-identity.js';
import { isServiceError, ServiceError } from '../services/errors.js';

const jsonBody = (c: { req: { json: () => Promise<unknown> } }) =>
  c.req.json().then(
    (b) => (b && typeof b === 'object' ? (b as Record<string, unknown>) : {}),
    () => {
      throw new ServiceError(400, 'invalid_input', '(body): 不是有效的 JSON', { problems: [{ field: '(body)', message: '不是有效的 JSON' }] });
    },
  );

export function createOutpatientRoutes(booking: OutpatientBookingService, identity?: PatientIdentityService) {
  const api = new Hono();
  const verified = (c: { req: { header: (name: string) => string | undefined } }) => identity?.verified(c.req.header('cookie')) ?? null;
  api.onError((err, c) => {
    if (isServiceError(err)) return c.json({ error: err.code, message: err.message, ...err.details }, err.status);
    throw err;
  });
  api.get('/sessions', async (c) => c.json({ items: await booking.sessions(c.req.query('date')) }));
  api.post('/sms-codes', async (c) => c.json(await booking.sendCode((await jsonBody(c)).mobile), 201));
  api.post('/appointments', async (c) => {
    const b = await jsonBody(c);
    const input = { sessionId: b.sessionId, slotIndex: b.slotIndex, name: b.name, idNumber: b.idNumber, mobile: b.mobile, code: b.code };
    return c.json({ appointment: await booking.book(input, { verified: verified(c) }) }, 201);
  });
  api.post('/appointments/:number/cancel', async (c) => {
    const b = await jsonBody(c);
    const input = { mobile: b.mobile, code: b.code, verified: verified(c), ...(typeof b.reason === 'string' ? { reason: b.reason } : {}) };
    return c.json({ appointment: await booking.cancel(c.req.param('number'), input) });
  });
  // WeChat Pay expects 200/204 on success, and a 4xx/5xx `{ code: FAIL, message }` to retry or give up.
  const notification = (handle: (headers: Headers, raw: string) => Promise<unknown>) => async (c: Context) => {
    const raw = await c.req.text();
    try {
      await handle(c.req.raw.headers, raw);
      return c.body(null, 204);
    } catch (err) {
      if (isServiceError(err)) return c.json({ code: 'FAIL', message: err.message }, err.status === 401 ? 401 : 400);
      throw err;
    }
  };
  api.post('/payments/wechat/notify', notification((h, raw) => booking.paymentNotification(h, raw)));
  // Refund results (REFUND.SUCCESS / ABNORMAL / CLOSED): the refund request names this URL as its notify_url.
  api.post('/payments/wechat/refund-notify', notification((h, raw) => booking.refundNotification(h, raw)));
  return api;
}
