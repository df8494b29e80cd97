/**
 * `GET /api/reports/...`: the management reports for automation, with the portal's rights
 * (services/reports.ts): JSON figures, drill-down lists, synchronous .xlsx/PDF exports, the export
 * workflow's progress and files, and the monthly archive.
 */
import { Hono } from 'hono';
import { renderReportFile } from '../activities/reports/export.js';
import type { Principal } from '../domain/access.js';
import { defaultReportPeriod, parseExportFormat, parseReportRequest, type DrillMetric } from '../services/reports.js';
import type { Services } from '../services/index.js';
import { ServiceError } from '../services/errors.js';
import { EXPORT_FORMATS } from '../workflows/reports/contracts.js';
import { requestMeta } from './request-meta.js';

type ApiEnv = { Variables: { user: Principal } };

const CONTENT_TYPES = { xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', pdf: 'application/pdf' } as const;

/** The file's Chinese name for browsers (RFC 6266/5987), with an ASCII fallback. */
export function attachment(fileName: string): string {
  const ext = fileName.slice(fileName.lastIndexOf('.'));
  return `attachment; filename="report${ext}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

export function createReportRoutes(services: Services) {
  const routes = new Hono<ApiEnv>();
  const reports = services.reports;

  routes.get('/archive', async (c) => c.json({ items: await reports.archive(c.get('user')) }));

  routes.get('/drill', async (c) => {
    const q = c.req.query();
    const request = parseReportRequest(q, 'dashboard', defaultReportPeriod());
    return c.json(
      await reports.drill(c.get('user'), {
        metric: (q.metric ?? '') as DrillMetric,
        period: request.period,
        departmentCode: q.department === undefined ? null : q.department,
        agentId: q.agent || null,
        tag: q.tag || null,
      }),
    );
  });

  routes.get('/exports/:job', async (c) => c.json(await reports.exportProgress(c.get('user'), c.req.param('job'))));

  routes.get('/files/:id', async (c) => {
    const file = await reports.file(c.get('user'), c.req.param('id'));
    return c.body(new Uint8Array(file.content), 200, { 'content-type': CONTENT_TYPES[file.format], 'content-disposition': attachment(file.fileName), 'cache-control': 'no-store' });
  });

  routes.post('/:report/exports', async (c) => {
    const body = (await c.req.json().catch(() => {
      throw new ServiceError(400, 'invalid_input', '(body): 不是有效的 JSON');
    })) as Record<string, string | undefined>;
    const request = parseReportRequest(body, c.req.param('report'), defaultReportPeriod());
    return c.json(await reports.startExport(c.get('user'), request, parseExportFormat(body.format), requestMeta(c)), 202);
  });

  for (const format of EXPORT_FORMATS) routes.get(`/:report/export.${format}`, async (c) => {
    const request = parseReportRequest(c.req.query(), c.req.param('report'), defaultReportPeriod());
    const data = await reports.collect(c.get('user'), request);
    const file = await renderReportFile(data, format);
    await services.audit.record({ actor: c.get('user'), action: 'report.export', entityType: 'report', details: { ...request, format } }, requestMeta(c));
    return c.body(new Uint8Array(file.content), 200, { 'content-type': CONTENT_TYPES[format], 'content-disposition': attachment(file.fileName), 'cache-control': 'no-store' });
  });

  routes.get('/:report', async (c) => {
    const request = parseReportRequest(c.req.query(), c.req.param('report'), defaultReportPeriod());
    return c.json(await reports.collect(c.get('user'), request));
  });

  return routes;
}
