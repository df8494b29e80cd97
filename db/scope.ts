/**
 * Reads made on behalf of a signed-in user run as the `suifang_reader` role with the user's role and
 * department set for the transaction, so Postgres row-level security (migration
 * 1763900700000_row-level-security) hides other departments' rows even if a service forgot a check.
 */
import type { TransactionSql } from 'postgres';
import type { Principal } from '../domain/access.js';
import type { Sql } from './client.js';

export async function asUser<T>(sql: Sql, user: Principal, read: (tx: TransactionSql) => Promise<T>): Promise<T> {
  return sql.begin(async (tx) => {
    await tx`
      SELECT set_config('suifang.user_id', ${user.id}, true),
             set_config('suifang.role', ${user.role}, true),
             set_config('suifang.department', ${user.departmentCode ?? ''}, true)`;
    await tx`SET LOCAL ROLE suifang_reader`;
    return read(tx);
  }) as Promise<T>;
}
