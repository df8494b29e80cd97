/** The session cookie, read and written identically by the API (/api/auth/login) and the sign-in page. */
import { parse, serialize } from 'hono/utils/cookie';
import { SESSION_COOKIE } from './auth.js';

export function readSessionToken(cookieHeader: string | null | undefined): string | undefined {
  if (!cookieHeader) return undefined;
  return parse(cookieHeader, SESSION_COOKIE)[SESSION_COOKIE] || undefined;
}

/** httpOnly (no script can read it), SameSite=Lax (no cross-site form posts), Secure in production. */
export function sessionCookie(token: string, expiresAt: Date, secure: boolean): string {
  return serialize(SESSION_COOKIE, token, { path: '/', httpOnly: true, sameSite: 'Lax', secure, expires: expiresAt });
}

export function clearedSessionCookie(secure: boolean): string {
  return serialize(SESSION_COOKIE, '', { path: '/', httpOnly: true, sameSite: 'Lax', secure, maxAge: 0 });
}
