/**
 * The portal's telephony endpoints (signed-in users; issue 16): 拨打 on a task or a ticket, a
 * call's progress, its recording (audited on every play) and the reveal-number fallback.
 */
import { Hono } from 'hono';
import type { Principal } from '../domain/access.js';
import type { Services } from '../services/index.js';
import { requestMeta } from './request-meta.js';

export function createCallRoutes(services: Services) {
  const routes = new Hono<{ Variables: { user: Principal } }>();
  routes.post('/tasks/:id/call', async (c) => c.json(await services.calls.callForTask(c.get('user'), c.req.param('id'), requestMeta(c)), 201));
  routes.post('/tickets/:id/call', async (c) => c.json(await services.calls.callForTicket(c.get('user'), c.req.param('id'), requestMeta(c)), 201));
  routes.post('/tasks/:id/reveal-phone', async (c) => c.json(await services.calls.revealPhone(c.get('user'), c.req.param('id'), requestMeta(c))));
  routes.get('/tasks/:id/calls', async (c) => c.json({ items: await services.calls.forTask(c.get('user'), c.req.param('id')) }));
  routes.get('/calls/:id', async (c) => c.json(await services.calls.get(c.get('user'), c.req.param('id'))));
  routes.get('/calls/:id/recording', async (c) => {
    const { body, contentType } = await services.calls.recording(c.get('user'), c.req.param('id'), requestMeta(c));
    return c.body(new Uint8Array(body), 200, { 'content-type': contentType, 'cache-control': 'no-store', 'content-length': String(body.length) });
  });
  return routes;
}
