/** Builds the one worker: bundles workflows/, registers activities/, on the configured task queue. */
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities/index.js';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface WorkerOptions extends ActivityDeps {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** A prebuilt bundle (tests build one and share it); otherwise workflows/ is bundled here. */
  workflowBundle?: WorkflowBundleOption;
}

export async function createWorker({ connection, namespace, taskQueue, workflowBundle, ...deps }: WorkerOptions) {
  return Worker.create({
    connection,
    namespace,
    taskQueue,
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities: createActivities(deps),
    // Two cores: keep concurrency modest so activities do not starve workflow tasks.
    maxConcurrentActivityTaskExecutions: 50,
    maxConcurrentWorkflowTaskExecutions: 40,
    shutdownGraceTime: '10 seconds',
  });
}
