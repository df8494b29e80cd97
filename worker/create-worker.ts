/** Builds the one worker: bundles workflows/, registers activities/, on the configured task queue. */
import { fileURLToPath } from 'node:url';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities/index.js';
import { activityFailureInterceptors } from './activity-failures.js';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface WorkerOptions extends ActivityDeps {
  connection: NativeConnection;
  dataConverter: DataConverter;
  namespace: string;
  taskQueue: string;
  /** A prebuilt bundle (tests build one and share it); otherwise workflows/ is bundled here. */
  workflowBundle?: WorkflowBundleOption;
  /** From this attempt on, a failing activity is listed for supervisors (WORKFLOW_RETRY_ALERT_ATTEMPTS). */
  retryAlertAttempts?: number;
}

export async function createWorker({ connection, namespace, taskQueue, workflowBundle, dataConverter, retryAlertAttempts = 5, ...deps }: WorkerOptions) {
  return Worker.create({
    connection,
    namespace,
    taskQueue,
    dataConverter,
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities: createActivities(deps),
    interceptors: { activity: [() => activityFailureInterceptors({ sql: deps.sql, alertAttempts: retryAlertAttempts })] },
    // Two cores: keep concurrency modest so activities do not starve workflow tasks.
    maxConcurrentActivityTaskExecutions: 50,
    maxConcurrentWorkflowTaskExecutions: 40,
    // New follow-ups arrive on the normal (non-sticky) queue, which the fixed default polls with
    // only 2 of its 10 pollers: while discharges poured in, planning crawled at ≈7/s behind a
    // growing backlog. Autoscaling pollers follow the backlog the server reports (bench:ingest).
    workflowTaskPollerBehavior: { type: 'autoscaling' },
    // Two threads run workflow code: one thread was the bottleneck while discharges poured in
    // (bench:ingest 40 → 44 follow-ups/s planned on two cores, for ≈80 MiB).
    workflowThreadPoolSize: 2,
    shutdownGraceTime: '10 seconds',
    // When thousands of follow-ups fall due at once (09:00), workflow tasks can wait more than the
    // default 10 s for this worker; keeping them on its sticky queue avoids replaying whole
    // histories elsewhere (bench:burst: 42 s → 16 s for 2,000 tasks).
    stickyQueueScheduleToStartTimeout: '60 seconds',
    // Follow-ups sleep for days: bound the cache (≈0.3 MiB each) instead of growing with them.
    maxCachedWorkflows: 1000,
  });
}
