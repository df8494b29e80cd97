/** Where a request came from, for the audit trail. */
import type { Context } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { RequestMeta } from '../services/audit.js';

export function requestMeta(c: Context): RequestMeta {
  let ip: string | undefined;
  try {
    ip = getConnInfo(c).remote.address;
  } catch {
    ip = undefined; // in-process requests (tests through app.request) have no socket
  }
  return { ip, userAgent: c.req.header('user-agent') };
}
