/**
 * Sign-in, sessions and lock-out. Passwords are argon2id hashes (@node-rs/argon2: maintained,
 * prebuilt native binaries, no install script); sessions are random tokens of which only an
 * HMAC is stored.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import { z } from 'zod';
import type { Sql } from '../db/client.js';
import type { Principal, Role } from '../domain/access.js';
import { passwordExpired } from '../domain/password-policy.js';
import type { AuditService, RequestMeta } from './audit.js';
import { ServiceError, unauthorized } from './errors.js';
import { parseOrThrow } from './validation.js';

export const SESSION_COOKIE = 'sf_session';

export interface AuthSettings {
  sessionSecret: string;
  sessionTtlHours: number;
  /** A session unused this long ends (idle timeout). */
  sessionIdleMinutes: number;
  maxFailures: number;
  lockMinutes: number;
  /** Days a password stays valid (0 = forever); an expired one must be changed right after sign-in. */
  passwordMaxAgeDays: number;
}

const credentialsSchema = z.object({
  username: z.string({ required_error: '请输入用户名' }).trim().min(1, '请输入用户名').max(64),
  password: z.string({ required_error: '请输入密码' }).min(1, '请输入密码').max(256),
});

export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

interface UserRow {
  id: string;
  username: string;
  display_name: string;
  role: Role;
  department_code: string | null;
  password_hash: string;
  failed_logins: number;
  locked_until: Date | null;
  active: boolean;
  must_change_password: boolean;
  password_changed_at: Date;
}

const toPrincipal = (row: Pick<UserRow, 'id' | 'username' | 'display_name' | 'role' | 'department_code'>, mustChangePassword = false): Principal => ({
  id: row.id,
  username: row.username,
  displayName: row.display_name,
  role: row.role,
  departmentCode: row.department_code,
  ...(mustChangePassword ? { mustChangePassword: true as const } : {}),
});

/** The one answer for an unknown user and a wrong password, so neither tells which it was. */
const BAD_CREDENTIALS = '用户名或密码错误';

export function createAuthService({ sql, audit, settings }: { sql: Sql; audit: AuditService; settings: AuthSettings }) {
  const tokenHash = (token: string) => createHmac('sha256', settings.sessionSecret).update(token).digest('hex');
  // Verifying against a throwaway hash for unknown users keeps response times alike, so
  // usernames cannot be probed by timing.
  const dummyHash = hashPassword(randomBytes(16).toString('hex'));
  const mustChange = (row: Pick<UserRow, 'must_change_password' | 'password_changed_at'>) =>
    row.must_change_password || passwordExpired(row.password_changed_at, { maxAgeDays: settings.passwordMaxAgeDays }, new Date());

  return {
    /** Checks the credentials and opens a session; throws 400/401/423 with a message for the sign-in form. */
    async login(input: unknown, meta: RequestMeta): Promise<{ token: string; user: Principal; expiresAt: Date }> {
      const { username, password } = parseOrThrow(credentialsSchema, input);
      const [row] = await sql<UserRow[]>`SELECT * FROM users WHERE lower(username) = lower(${username})`;
      // Ended sessions are purged as people sign in (no separate job needed for a table this small).
      await sql`DELETE FROM sessions WHERE expires_at <= now() OR last_seen_at <= now() - make_interval(mins => ${settings.sessionIdleMinutes})`;
      if (!row || !row.active) {
        await verify(await dummyHash, password).catch(() => false);
        await audit.record({ action: 'auth.login_failed', details: { username, reason: row ? 'disabled' : 'unknown_user' } }, meta);
        throw unauthorized(BAD_CREDENTIALS);
      }
      const principal = toPrincipal(row);
      if (row.locked_until && row.locked_until > new Date()) {
        await audit.record({ actor: principal, action: 'auth.login_refused', details: { reason: 'locked' } }, meta);
        throw lockedError(row.locked_until);
      }
      if (!(await verify(row.password_hash, password))) {
        const [updated] = await sql<{ failed_logins: number; locked_until: Date | null }[]>`
          UPDATE users SET
            failed_logins = failed_logins + 1,
            locked_until = CASE WHEN failed_logins + 1 >= ${settings.maxFailures}
              THEN now() + make_interval(mins => ${settings.lockMinutes}) ELSE NULL END
          WHERE id = ${row.id}
          RETURNING failed_logins, locked_until`;
        await audit.record(
          { actor: principal, action: 'auth.login_failed', details: { reason: 'bad_password', failures: updated?.failed_logins } },
          meta,
        );
        if (updated?.locked_until) throw lockedError(updated.locked_until);
        throw unauthorized(BAD_CREDENTIALS);
      }
      await sql`UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ${row.id}`;
      const token = randomBytes(32).toString('base64url');
      const [session] = await sql<{ expires_at: Date }[]>`
        INSERT INTO sessions (token_hash, user_id, expires_at, ip, user_agent)
        VALUES (${tokenHash(token)}, ${row.id}, now() + make_interval(hours => ${settings.sessionTtlHours}),
                ${meta.ip ?? null}, ${meta.userAgent ?? null})
        RETURNING expires_at`;
      await audit.record({ actor: principal, action: 'auth.login' }, meta);
      return { token, user: toPrincipal(row, mustChange(row)), expiresAt: session!.expires_at };
    },

    /**
     * The signed-in user of a session token, or null when missing, unknown, expired or idle for
     * longer than the idle timeout. Each use counts as activity.
     */
    async userFromToken(token: string | undefined): Promise<Principal | null> {
      if (!token) return null;
      const [row] = await sql<UserRow[]>`
        WITH touched AS (
          UPDATE sessions SET last_seen_at = now()
          WHERE token_hash = ${tokenHash(token)} AND expires_at > now()
            AND last_seen_at > now() - make_interval(mins => ${settings.sessionIdleMinutes})
          RETURNING user_id)
        SELECT u.* FROM touched s JOIN users u ON u.id = s.user_id WHERE u.active`;
      return row ? toPrincipal(row, mustChange(row)) : null;
    },

    async logout(token: string | undefined, meta: RequestMeta): Promise<void> {
      if (!token) return;
      const [row] = await sql<UserRow[]>`
        DELETE FROM sessions s USING users u
        WHERE s.token_hash = ${tokenHash(token)} AND u.id = s.user_id
        RETURNING u.*`;
      if (row) await audit.record({ actor: toPrincipal(row), action: 'auth.logout' }, meta);
    },
  };
}

function lockedError(until: Date): ServiceError {
  const minutes = Math.max(1, Math.ceil((until.getTime() - Date.now()) / 60_000));
  return new ServiceError(423, 'account_locked', `登录失败次数过多,账户已锁定,请 ${minutes} 分钟后再试或联系管理员`, {
    lockedUntil: until.toISOString(),
  });
}

export type AuthService = ReturnType<typeof createAuthService>;
