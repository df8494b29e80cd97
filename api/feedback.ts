/**
 * REST for the ticket's detail and what goes with feedback (signed-in users, the portal's rights):
 * `GET /api/tickets/:id` (with what the department needs to act: red-flag answers, the agent's
 * note, ward/room/bed), `GET /api/canned-replies?department=&q=` (常用问题快捷回复, searchable),
 * `GET /api/feedback/information` and `POST /api/feedback/information/:id/read` (表扬/建议 已阅).
 */
import { Hono } from 'hono';
import type { Principal } from '../domain/access.js';
import type { Services } from '../services/index.js';
import { requestMeta } from './request-meta.js';

type ApiEnv = { Variables: { user: Principal } };

export function createFeedbackRoutes(services: Services) {
  const routes = new Hono<ApiEnv>();
  routes.get('/tickets/:id', async (c) => c.json(await services.tickets.get(c.get('user'), c.req.param('id'), requestMeta(c))));
  routes.get('/canned-replies', async (c) =>
    c.json({ items: await services.cannedReplies.forWork(c.get('user'), c.req.query('department') || null, c.req.query('q') ?? '') }),
  );
  routes.get('/feedback/information', async (c) =>
    c.json({
      items: await services.feedbackInfo.list(c.get('user'), { unreadOnly: c.req.query('unread') === '1', departmentCode: c.req.query('department') || undefined }),
    }),
  );
  routes.post('/feedback/information/:id/read', async (c) => c.json(await services.feedbackInfo.markRead(c.get('user'), c.req.param('id'), requestMeta(c))));
  return routes;
}
