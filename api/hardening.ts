/**
 * Web hardening shared by the API and the portal: same-origin form posts (CSRF) and a per-address
 * limit on sign-in attempts, on top of the per-account lock-out in the auth service.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { csrf } from 'hono/csrf';
import { rateLimiter } from 'hono-rate-limiter';
import type { Services } from '../services/index.js';
import { requestMeta } from './request-meta.js';

/**
 * Browsers send Origin with every form post: one from another site is refused. (JSON posts from
 * another origin already need a CORS preflight we never grant, and the session cookie is SameSite.)
 */
export const sameOriginForms = (): MiddlewareHandler =>
  csrf({
    origin: (origin: string, c: Context) => {
      try {
        return new URL(origin).host === c.req.header('host');
      } catch {
        return false;
      }
    },
  });

const limiters = new WeakMap<Services, MiddlewareHandler>();

/** One budget of sign-in attempts per client address, shared by /api/auth/login and the sign-in page. */
export function signInRateLimit(services: Services): MiddlewareHandler {
  let limiter = limiters.get(services);
  if (!limiter) {
    limiter = rateLimiter({
      windowMs: 5 * 60_000,
      limit: services.env.SIGNIN_RATE_LIMIT,
      standardHeaders: 'draft-7',
      keyGenerator: (c) => requestMeta(c).ip ?? 'unknown',
      handler: (c) => c.json({ error: 'rate_limited', message: '登录尝试过于频繁,请 5 分钟后再试' }, 429),
    });
    limiters.set(services, limiter);
  }
  return limiter;
}

/**
 * Every way into the sign-in page's action shares that budget: the form post (`/login`), the
 * fetch a real browser makes (`/login.data`, Remix single fetch), a trailing slash or capitals
 * (Remix matches paths case-insensitively), and any method an action accepts.
 */
export function portalSignInRateLimit(services: Services): MiddlewareHandler {
  const limit = signInRateLimit(services);
  return async (c, next) => {
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD' && /^\/login(\.data)?\/?$/i.test(c.req.path)) return limit(c, next);
    await next();
  };
}

const surveyLimiters = new WeakMap<Services, MiddlewareHandler>();

/** Survey links (/s/<token>) per client address: guessing tokens or hammering a form gets 429. */
export function surveyRateLimit(services: Services): MiddlewareHandler {
  let limiter = surveyLimiters.get(services);
  if (!limiter) {
    limiter = rateLimiter({
      windowMs: 5 * 60_000,
      limit: services.env.SURVEY_RATE_LIMIT,
      standardHeaders: 'draft-7',
      keyGenerator: (c) => requestMeta(c).ip ?? 'unknown',
      handler: (c) => c.html('<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width"><p style="font-size:1.2rem;padding:1rem">访问过于频繁,请 5 分钟后再试。</p>', 429),
    });
    surveyLimiters.set(services, limiter);
  }
  return limiter;
}
