/**
 * What the worker does with failing activities, for every activity alike:
 * - a Postgres error that no retry can fix (bad data, a broken constraint, a wrong query) fails
 *   the activity for good instead of retrying it forever;
 * - an activity that keeps failing (attempt ≥ `alertAttempts`) is written to activity_retries,
 *   which the supervisor's page lists, and removed once it succeeds.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, Next } from '@temporalio/worker';
import type { Sql } from '../db/client.js';

/** SQLSTATE classes no retry changes: 22 data exception, 23 integrity constraint, 42 syntax or access rule. */
const PERMANENT_SQLSTATE = /^(22|23|42)/;

export function permanentFailure(err: unknown): ApplicationFailure | null {
  if (!(err instanceof Error) || err.name !== 'PostgresError') return null;
  const code = (err as Error & { code?: string }).code ?? '';
  return PERMANENT_SQLSTATE.test(code) ? ApplicationFailure.nonRetryable(`${err.message} (SQLSTATE ${code})`, 'PermanentDatabaseError') : null;
}

export function activityFailureInterceptors({ sql, alertAttempts }: { sql: Sql; alertAttempts: number }) {
  class ActivityFailures implements ActivityInboundCallsInterceptor {
    async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
      const { info } = Context.current();
      const run = info.workflowExecution;
      if (!run || !info.workflowType) return next(input); // not run for a workflow: nothing to show
      const workflowType = info.workflowType;
      const key = { workflow_id: run.workflowId, run_id: run.runId, activity_id: info.activityId };
      try {
        const result = await next(input);
        if (info.attempt > alertAttempts) await forget(key);
        return result;
      } catch (err) {
        const permanent = permanentFailure(err);
        if (permanent) {
          if (info.attempt > alertAttempts) await forget(key);
          throw permanent;
        }
        if (info.attempt >= alertAttempts) {
          const message = err instanceof Error ? err.message : String(err);
          // Best effort: when the database itself is what fails, there is nowhere to write this.
          await sql`
            INSERT INTO activity_retries (workflow_id, run_id, activity_id, workflow_type, activity_type, attempt, last_failure)
            VALUES (${key.workflow_id}, ${key.run_id}, ${key.activity_id}, ${workflowType}, ${info.activityType}, ${info.attempt}, ${message.slice(0, 500)})
            ON CONFLICT (workflow_id, run_id, activity_id)
            DO UPDATE SET attempt = EXCLUDED.attempt, last_failure = EXCLUDED.last_failure, updated_at = now()`.catch(() => undefined);
        }
        throw err;
      }
    }
  }
  const forget = (key: { workflow_id: string; run_id: string; activity_id: string }) =>
    sql`DELETE FROM activity_retries WHERE workflow_id = ${key.workflow_id} AND run_id = ${key.run_id} AND activity_id = ${key.activity_id}`.then(
      () => undefined,
      () => undefined,
    );
  return { inbound: new ActivityFailures() };
}
