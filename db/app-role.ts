/**
 * The login role the application connects as: a member of `suifang_app` (granted in migration
 * 1763901610000_application-role), owning no table, so Postgres still enforces grants, row-level
 * security and the audit triggers if a service forgets a check. Migrations run as the owner; every
 * bring-up (npm start, the cluster, the tests) calls this after them and hands the processes the
 * returned URL.
 */
import { createHmac } from 'node:crypto';
import { createSql } from './client.js';

export const APP_LOGIN_ROLE = 'suifang_application';

/**
 * Creates or updates the login role and returns the connection URL for it. Its password is the
 * given one (a deployment's secret, e.g. APP_DATABASE_PASSWORD in docker-compose.yml) or else derived
 * from the owner's (HMAC), so every process of one bring-up computes the same one and a restart does
 * not need it stored anywhere.
 */
export async function ensureApplicationLogin(ownerUrl: string, givenPassword?: string): Promise<string> {
  const url = new URL(ownerUrl);
  const password = givenPassword || createHmac('sha256', decodeURIComponent(url.password) || url.href).update(APP_LOGIN_ROLE).digest('base64url');
  if (!/^[A-Za-z0-9_\-.~]{16,}$/.test(password)) throw new Error('The application database password must be at least 16 characters of A–Z, a–z, 0–9, _ - . ~');
  const sql = createSql(ownerUrl, { max: 1 });
  try {
    // Role names and passwords cannot be bind parameters in DDL; both are ours (fixed name, base64url).
    const [exists] = await sql`SELECT 1 FROM pg_roles WHERE rolname = ${APP_LOGIN_ROLE}`;
    await sql.unsafe(
      exists
        ? `ALTER ROLE ${APP_LOGIN_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS PASSWORD '${password}'`
        : `CREATE ROLE ${APP_LOGIN_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS PASSWORD '${password}' IN ROLE suifang_app`,
    );
    await sql.unsafe(`GRANT suifang_app TO ${APP_LOGIN_ROLE}`);
  } finally {
    await sql.end({ timeout: 5 });
  }
  url.username = APP_LOGIN_ROLE;
  url.password = password;
  return url.href;
}
