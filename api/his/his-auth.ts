/**
 * The HIS integration token: when HIS_API_TOKEN is set (always in production), HIS ingest
 * endpoints require `Authorization: Bearer <token>`. Same rule for the JSON discharge route and
 * FHIR; refused requests are not stored.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { unauthorized } from '../../services/errors.js';

/**
 * True when no token is configured, or the header carries it. The `Bearer ` prefix is optional
 * (as before). Digests are compared, so the time taken reveals neither the token nor its length.
 */
export function hisTokenAccepted(expected: string | undefined, authorization: string | undefined): boolean {
  if (!expected) return true;
  const given = authorization?.replace(/^Bearer\s+/i, '') ?? '';
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return given.length > 0 && timingSafeEqual(digest(given), digest(expected));
}

/** Hono middleware: 401 (ServiceError `unauthorized`) unless the HIS token matches. */
export function requireHisToken(expected: string | undefined): MiddlewareHandler {
  return async (c, next) => {
    if (!hisTokenAccepted(expected, c.req.header('authorization'))) throw unauthorized('HIS token missing or wrong');
    await next();
  };
}
