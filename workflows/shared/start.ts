/**
 * How a process's workflow is started. Each process's contracts build a {@link StartRequest}: the
 * workflow type and the options the process fixes (ID, ID-reuse policy, search attributes, static
 * summary). The functions here run it with a client; a parent workflow spreads its `options` into
 * `startChild`; a Schedule takes it as its action. So each process writes its start policy once.
 */
import type { Client, WorkflowHandle, WorkflowStartOptions } from '@temporalio/client';
import {
  WorkflowExecutionAlreadyStartedError,
  type SearchAttributePair,
  type Workflow,
  type WorkflowIdReusePolicy,
  type WorkflowResultType,
} from '@temporalio/common';

export interface StartRequest<W extends Workflow> {
  workflowType: string;
  /** Valid for a client start and for a child's `startChild` alike. */
  options: {
    workflowId: string;
    args: Parameters<W>;
    workflowIdReusePolicy: WorkflowIdReusePolicy;
    typedSearchAttributes?: SearchAttributePair[];
    staticSummary: string;
  };
}

// The client's option type is conditional on the workflow's arguments, which a generic cannot resolve.
const startOptions = <W extends Workflow>(taskQueue: string, request: StartRequest<W>) =>
  ({ taskQueue, ...request.options }) as unknown as WorkflowStartOptions<W>;

/** Starts the workflow and returns its handle; fails with WorkflowExecutionAlreadyStartedError when the ID is taken. */
export function startWorkflow<W extends Workflow>(client: Client, taskQueue: string, request: StartRequest<W>): Promise<WorkflowHandle<W>> {
  return client.workflow.start<W>(request.workflowType, startOptions(taskQueue, request));
}

/**
 * Starts the workflow unless its ID is taken (running, or closed where the process's policy forbids
 * reuse): a resent request then finds the one that exists. True when this call started it.
 */
export async function startOnce<W extends Workflow>(client: Client, taskQueue: string, request: StartRequest<W>): Promise<boolean> {
  try {
    await startWorkflow(client, taskQueue, request);
    return true;
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return false;
    throw err;
  }
}

/** Starts the workflow and waits for its result. */
export function executeWorkflow<W extends Workflow>(client: Client, taskQueue: string, request: StartRequest<W>): Promise<WorkflowResultType<W>> {
  return client.workflow.execute<W>(request.workflowType, startOptions(taskQueue, request));
}

/** The request as a Schedule's action (a Schedule appends each run's time to the ID and takes no reuse policy). */
export function scheduleAction<W extends Workflow>(taskQueue: string, { workflowType, options }: StartRequest<W>) {
  const { workflowId, args, typedSearchAttributes, staticSummary } = options;
  return { type: 'startWorkflow' as const, workflowType, taskQueue, workflowId, args, typedSearchAttributes, staticSummary };
}
