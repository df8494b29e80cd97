/** Liveness of the two things everything depends on: Postgres and the Temporal frontend. */
import type { Client } from '@temporalio/client';
import type { Sql } from '../db/client.js';

export interface HealthReport {
  ok: boolean;
  postgres: { ok: boolean; error?: string };
  temporal: { ok: boolean; namespace: string; error?: string };
}

const withTimeout = <T>(promise: Promise<T>, ms: number): Promise<T> =>
  Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms).unref())]);

export function createHealthService({ sql, temporal }: { sql: Sql; temporal: Client }) {
  return {
    async check(): Promise<HealthReport> {
      const [postgres, temporalState] = await Promise.all([
        withTimeout(sql`SELECT 1`, 3000).then(
          () => ({ ok: true }),
          (err: unknown) => ({ ok: false, error: String(err instanceof Error ? err.message : err) }),
        ),
        withTimeout(temporal.workflowService.describeNamespace({ namespace: temporal.options.namespace }), 3000).then(
          () => ({ ok: true, namespace: temporal.options.namespace }),
          (err: unknown) => ({ ok: false, namespace: temporal.options.namespace, error: String(err instanceof Error ? err.message : err) }),
        ),
      ]);
      return { ok: postgres.ok && temporalState.ok, postgres, temporal: temporalState };
    },
  };
}

export type HealthService = ReturnType<typeof createHealthService>;
