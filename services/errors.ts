/**
 * Errors the service layer raises on purpose. Each carries its HTTP status and a message a user
 * can act on (Chinese for people, with the field name for integrations); Hono routes and Remix
 * actions translate them the same way.
 */
import { refusalOf, type FieldProblem } from '../workflows/shared/refusal.js';

const BRAND = Symbol.for('suifang.ServiceError');

export class ServiceError extends Error {
  /** A brand instead of `instanceof`: the portal's server bundle carries its own copy of this class. */
  readonly [BRAND] = true;

  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 423 | 429 | 503,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export function isServiceError(err: unknown): err is ServiceError {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[BRAND] === true;
}

export type { FieldProblem };

export class ValidationError extends ServiceError {
  constructor(readonly problems: FieldProblem[]) {
    super(400, 'invalid_input', problems.map((p) => `${p.field}: ${p.message}`).join('; '), { problems });
  }
}

export const unauthorized = (message = '请先登录') => new ServiceError(401, 'unauthorized', message);
export const forbidden = (message = '无权访问该页面或数据') => new ServiceError(403, 'forbidden', message);
export const notFound = (message = '记录不存在') => new ServiceError(404, 'not_found', message);

/**
 * A workflow's refusal of an Update (WorkflowUpdateFailedError) as a 409 with the workflow's reason;
 * input fields it names come along as data (`details.problems`), as a ValidationError's do.
 */
export function refusedUpdate(code: string, err: Error & { cause?: unknown }): ServiceError {
  const refusal = refusalOf(err.cause);
  if (!refusal) return new ServiceError(409, code, err.message);
  return new ServiceError(409, code, refusal.message, refusal.problems.length ? { problems: refusal.problems } : undefined);
}

/** postgres.js connection failures, and Postgres refusing work while it shuts down, crashed or recovers. */
const TRANSIENT_DB_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT', '57P01', '57P02', '57P03']);

/**
 * An error that says the database is unreachable right now, not that the request is wrong: the
 * caller should try again (503), and what was done before it is kept (the HIS ingest stored the
 * raw message first, or could not store it and said so).
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' && TRANSIENT_DB_CODES.has(code);
}
