/**
 * The machine-facing HTTP API, mounted under /api: health, sign-in for integrations, HIS ingest,
 * and read endpoints. Handlers only translate HTTP to service calls and back.
 */
import { Hono } from 'hono';
import type { Principal } from '../domain/access.js';
import { payloadCodec } from '../worker/payload-codec.js';
import { createAdminRoutes } from './admin.js';
import { createOutpatientRoutes } from './outpatient.js';
import { createCodecRoutes } from './codec.js';
import { requestBodyLimit } from './body-limit.js';
import { createFhirRoutes } from './his/fhir.js';
import { createReportRoutes } from './reports.js';
import { createFeedbackRoutes } from './feedback.js';
import { createWebhookRoutes } from './webhooks.js';
import { createVoiceWebhookRoutes } from './webhooks-voice.js';
import { createCallRoutes } from './calls.js';
import { signInRateLimit } from './hardening.js';
import { requestMeta } from './request-meta.js';
import { requireHisToken } from './his/his-auth.js';
import type { Services } from '../services/index.js';
import { isDatabaseUnavailable, isServiceError, ServiceError, unauthorized } from '../services/errors.js';
import { clearedSessionCookie, readSessionToken, sessionCookie } from '../services/session-cookie.js';

type ApiEnv = { Variables: { user: Principal } };


export function createApi(services: Services) {
  const api = new Hono<ApiEnv>();
  const secureCookies = services.env.NODE_ENV === 'production';

  api.onError((err, c) => {
    if (isServiceError(err)) {
      return c.json({ error: err.code, message: err.message, ...err.details }, err.status);
    }
    if (isDatabaseUnavailable(err)) {
      // Retryable for the HIS and every other client: nothing was confirmed, the resend is harmless.
      c.header('Retry-After', '5');
      return c.json({ error: 'database_unavailable', message: '数据库暂时不可用,请稍后重试' }, 503);
    }
    console.error('[api] unexpected error', err);
    return c.json({ error: 'internal_error', message: '服务器内部错误' }, 500);
  });

  api.use('*', requestBodyLimit(services.env.HTTP_BODY_LIMIT_BYTES, /\/his\/fhir(\/|$)/));

  // Anonymous callers (load balancers) learn up or down; signed-in managers and admins see why.
  api.get('/health', async (c) => {
    const report = await services.health.check();
    const token = readSessionToken(c.req.header('cookie'));
    // With the database down the session cannot be read: the answer stays up/down.
    const user = token ? await services.auth.userFromToken(token).catch(() => null) : null;
    const detailed = user?.role === 'admin' || user?.role === 'manager';
    return c.json(detailed ? report : { ok: report.ok }, report.ok ? 200 : 503);
  });

  api.post('/auth/login', signInRateLimit(services), async (c) => {
    const body = await c.req.json().catch(() => {
      throw new ServiceError(400, 'invalid_input', '(body): 不是有效的 JSON');
    });
    const { token, user, expiresAt } = await services.auth.login(body, requestMeta(c));
    c.header('Set-Cookie', sessionCookie(token, expiresAt, secureCookies));
    return c.json({ user });
  });

  api.post('/auth/logout', async (c) => {
    await services.auth.logout(readSessionToken(c.req.header('cookie')), requestMeta(c));
    c.header('Set-Cookie', clearedSessionCookie(secureCookies));
    return c.json({ ok: true });
  });

  // HIS integration: token-protected when HIS_API_TOKEN is set (always in production).
  api.post('/his/discharges', requireHisToken(services.env.HIS_API_TOKEN), async (c) => {
    const result = await services.discharges.ingestJson(await c.req.text());
    return c.json(result, 202);
  });
  api.route('/his/fhir', createFhirRoutes(services));
  // The Temporal UI's codec endpoint checks the session itself (and answers CORS preflights).
  api.route('/codec', createCodecRoutes(services, payloadCodec(services.env)));

  // Providers' callbacks: each checks its provider's signature itself.
  api.route('/webhooks/twilio/voice', createVoiceWebhookRoutes(services));
  api.route('/webhooks', createWebhookRoutes(services));
  // Public outpatient booking (no staff sign-in; the patient's mobile is verified by SMS code).
  if (services.outpatientBooking) api.route('/outpatient', createOutpatientRoutes(services.outpatientBooking, services.patientIdentity));

  // Everything below needs a signed-in user.
  api.use('*', async (c, next) => {
    const user = await services.auth.userFromToken(readSessionToken(c.req.header('cookie')));
    if (!user) throw unauthorized();
    // A one-time or expired password: nothing but changing it (and seeing who one is) until then.
    if (user.mustChangePassword && !['/auth/me', '/auth/password'].includes(c.req.path.replace(/^\/api/, ''))) {
      throw new ServiceError(403, 'password_change_required', '请先修改密码（POST /api/auth/password）');
    }
    c.set('user', user);
    await next();
  });

  api.get('/auth/me', (c) => c.json({ user: c.get('user') }));
  api.post('/auth/password', async (c) => {
    const body = await c.req.json().catch(() => {
      throw new ServiceError(400, 'invalid_input', '(body): 不是有效的 JSON');
    });
    await services.users.changePassword(c.get('user'), body, requestMeta(c));
    return c.json({ ok: true });
  });
  api.route('/admin', createAdminRoutes(services));

  api.get('/departments/:code/discharges', async (c) => {
    const limit = Number(c.req.query('limit') ?? 100);
    const offset = Number(c.req.query('offset') ?? 0);
    const items = await services.discharges.listForDepartment(c.get('user'), c.req.param('code'), {
      limit: Number.isFinite(limit) && limit > 0 ? limit : 100,
      offset: Number.isFinite(offset) && offset >= 0 ? offset : 0,
      meta: requestMeta(c),
    });
    return c.json({ items });
  });

  api.get('/tasks/today', async (c) => {
    const status = c.req.query('status');
    const channel = c.req.query('channel');
    return c.json(await services.tasks.today(c.get('user'), { ...(status ? { status: status as never } : {}), ...(channel ? { channel } : {}), meta: requestMeta(c) }));
  });
  api.get('/tasks/:id', async (c) => c.json(await services.tasks.get(c.get('user'), c.req.param('id'), requestMeta(c))));
  api.get('/tasks/:id/follow-up', async (c) => c.json(await services.tasks.followUpState(c.get('user'), c.req.param('id'))));
  api.post('/tasks/:id/contact', async (c) => {
    const body = await c.req.json().catch(() => {
      throw new ServiceError(400, 'invalid_input', '(body): 不是有效的 JSON');
    });
    return c.json(await services.tasks.recordContact(c.get('user'), c.req.param('id'), body, requestMeta(c)));
  });

  // The audit trail as CSV (admins); the BOM makes Excel read the UTF-8 Chinese correctly.
  api.get('/audit/export.csv', async (c) => {
    const q = c.req.query();
    const filters = Object.fromEntries(
      (['username', 'patient', 'action', 'from', 'to'] as const).flatMap((k) => (q[k]?.trim() ? [[k, q[k]!.trim()]] : [])),
    );
    const { csv } = await services.audit.exportCsv(c.get('user'), filters, requestMeta(c));
    return c.body(`\uFEFF${csv}`, 200, {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="audit-${new Date().toISOString().slice(0, 10)}.csv"`,
      'cache-control': 'no-store',
    });
  });

  api.route('/reports', createReportRoutes(services));
  api.route('/', createFeedbackRoutes(services));
  api.route('/', createCallRoutes(services));

  api.get('/patients/:id', async (c) => c.json(await services.patients.view(c.get('user'), c.req.param('id'), requestMeta(c))));

  return api;
}
