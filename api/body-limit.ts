/**
 * Every HTTP endpoint has a body limit (HTTP_BODY_LIMIT_BYTES, default 1 MiB): a request over it
 * is answered 413 before its body is read whole. Routes with a limit of their own (FHIR ingest,
 * 5 MiB) are passed by `except`.
 */
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';

export function requestBodyLimit(maxBytes: number, except?: RegExp): MiddlewareHandler {
  const limit = bodyLimit({
    maxSize: maxBytes,
    onError: (c) => c.json({ error: 'payload_too_large', message: `请求体超过 ${Math.floor(maxBytes / 1024)} KB` }, 413),
  });
  return async (c, next) => (except?.test(c.req.path) ? next() : limit(c, next));
}
