/** Liveness of the two things everything depends on: Postgres and the Temporal frontend. */
import type { Client } from '@temporalio/client';
import type { Sql } from '../db/client.js';

export interface HealthReport {
  ok: boolean;
  postgres: { ok: boolean; error?: string };
  temporal: { ok: boolean; namespace: string; error?: string };
}

const CHECK_TIMEOUT_MS = 3000;
const TEMPORAL_DEADLINE_MS = 2000;

const withTimeout = <T>(promise: Promise<T>, ms: number): Promise<T> =>
  Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms).unref())]);

export function createHealthService({ sql, temporal }: { sql: Sql; temporal: Client }) {
  return {
    async check(): Promise<HealthReport> {
      const [postgres, temporalState] = await Promise.all([
        withTimeout(sql`SELECT 1`, CHECK_TIMEOUT_MS).then(
          () => ({ ok: true }),
          (err: unknown) => ({ ok: false, error: String(err instanceof Error ? err.message : err) }),
        ),
        // A gRPC deadline rather than a race, so the client's retries of an unreachable server end
        // with the check instead of going on in the background (the answer may come one retry
        // interval after the deadline).
        temporal.connection
          .withDeadline(Date.now() + TEMPORAL_DEADLINE_MS, () => temporal.workflowService.describeNamespace({ namespace: temporal.options.namespace }))
          .then(
            () => ({ ok: true, namespace: temporal.options.namespace }),
            (err: unknown) => ({ ok: false, namespace: temporal.options.namespace, error: String(err instanceof Error ? err.message : err) }),
          ),
      ]);
      return { ok: postgres.ok && temporalState.ok, postgres, temporal: temporalState };
    },
  };
}

export type HealthService = ReturnType<typeof createHealthService>;
