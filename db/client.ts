/** The one Postgres client factory (postgres.js). Callers own the returned pool and must `end()` it. */
import postgres from 'postgres';

export type Sql = postgres.Sql;

export function createSql(databaseUrl: string, options: { max?: number } = {}): Sql {
  return postgres(databaseUrl, {
    max: options.max ?? 10,
    idle_timeout: 30,
    connect_timeout: 10,
    onnotice: () => {},
  });
}
