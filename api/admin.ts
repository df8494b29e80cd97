/**
 * Administration over REST for the hospital's integration (admins only; the services check the
 * role): users and departments under /api/admin. Handlers translate HTTP to service calls only.
 */
import { Hono } from 'hono';
import type { Principal } from '../domain/access.js';
import type { Services } from '../services/index.js';
import { ServiceError } from '../services/errors.js';
import { requestMeta } from './request-meta.js';

type AdminEnv = { Variables: { user: Principal } };

const jsonBody = (c: { req: { json: () => Promise<unknown> } }) =>
  c.req.json().catch(() => {
    throw new ServiceError(400, 'invalid_input', '(body): 不是有效的 JSON', { problems: [{ field: '(body)', message: '不是有效的 JSON' }] });
  });

/** The uploaded staff list of a multipart form (field `file`). */
async function uploadedFile(c: { req: { parseBody: () => Promise<Record<string, unknown>> } }) {
  const body = await c.req.parseBody();
  const file = body.file;
  if (!(file instanceof File)) throw new ServiceError(400, 'invalid_input', 'file: 请选择文件', { problems: [{ field: 'file', message: '请选择文件' }] });
  return { name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) };
}

export function createAdminRoutes(services: Services) {
  const admin = new Hono<AdminEnv>();

  admin.get('/users', async (c) => c.json({ items: await services.users.list(c.get('user')) }));
  admin.post('/users', async (c) => c.json({ user: await services.users.create(c.get('user'), await jsonBody(c), requestMeta(c)) }, 201));
  admin.get('/users/:id', async (c) => c.json({ user: await services.users.get(c.get('user'), c.req.param('id')) }));
  admin.patch('/users/:id', async (c) => c.json({ user: await services.users.update(c.get('user'), c.req.param('id'), await jsonBody(c), requestMeta(c)) }));
  admin.post('/users/:id/disable', async (c) => c.json({ user: await services.users.setActive(c.get('user'), c.req.param('id'), false, requestMeta(c)) }));
  admin.post('/users/:id/enable', async (c) => c.json({ user: await services.users.setActive(c.get('user'), c.req.param('id'), true, requestMeta(c)) }));
  admin.post('/users/:id/reset-password', async (c) => c.json(await services.users.resetPassword(c.get('user'), c.req.param('id'), requestMeta(c))));
  admin.post('/users/import/preview', async (c) => c.json(await services.users.previewImport(c.get('user'), await uploadedFile(c))));
  admin.post('/users/import', async (c) => c.json(await services.users.importStaff(c.get('user'), await uploadedFile(c), requestMeta(c)), 201));

  admin.get('/departments', async (c) => c.json({ items: await services.directory.departmentDetails(c.get('user')) }));
  admin.post('/departments', async (c) =>
    c.json({ department: await services.directory.saveDepartment(c.get('user'), await jsonBody(c), requestMeta(c), { create: true }) }, 201),
  );
  admin.put('/departments/:code', async (c) => {
    const body = (await jsonBody(c)) as Record<string, unknown>;
    const department = await services.directory.saveDepartment(c.get('user'), { ...body, code: c.req.param('code') }, requestMeta(c), { create: false });
    return c.json({ department });
  });

  admin.get('/experts', async (c) => c.json({ items: await services.outpatientSetup.experts(c.get('user')) }));
  admin.post('/experts', async (c) => c.json({ expert: await services.outpatientSetup.saveExpert(c.get('user'), await jsonBody(c), requestMeta(c)) }, 201));
  admin.put('/experts/:id', async (c) => c.json({ expert: await services.outpatientSetup.saveExpert(c.get('user'), await jsonBody(c), requestMeta(c), c.req.param('id')) }));
  admin.get('/clinic-schedules', async (c) => c.json({ items: await services.outpatientSetup.schedules(c.get('user')) }));
  admin.post('/clinic-schedules', async (c) =>
    c.json({ schedule: await services.outpatientSetup.saveSchedule(c.get('user'), await jsonBody(c), requestMeta(c)) }, 201),
  );
  admin.put('/clinic-schedules/:id', async (c) =>
    c.json({ schedule: await services.outpatientSetup.saveSchedule(c.get('user'), await jsonBody(c), requestMeta(c), c.req.param('id')) }),
  );
  admin.post('/clinic-schedules/:id/closures', async (c) => {
    const body = (await jsonBody(c)) as Record<string, unknown>;
    await services.outpatientSetup.addClosure(c.get('user'), { ...body, scheduleId: c.req.param('id') }, requestMeta(c));
    return c.json({ ok: true }, 201);
  });
  admin.delete('/clinic-schedules/:id/closures/:date', async (c) => {
    await services.outpatientSetup.removeClosure(c.get('user'), c.req.param('id'), c.req.param('date'), requestMeta(c));
    return c.json({ ok: true });
  });

  return admin;
}
