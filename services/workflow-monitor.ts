/**
 * 流程监控 for supervisors (managers, admins): workflows that ended badly (failed, terminated,
 * timed out), from a Temporal visibility query, and workflows whose activities keep failing and
 * retrying, from activity_retries (written by the worker, worker/activity-failures.ts). Each with
 * its process's Chinese name and a link into the Temporal UI.
 */
import { ActivityFailure, WorkflowFailedError, type Client } from '@temporalio/client';
import type { Env } from '../config/env.js';
import type { Sql } from '../db/client.js';
import { seesAllDepartments, type Principal } from '../domain/access.js';
import {
  ACTIVITY_LABELS,
  MONITORED_PROCESSES,
  WORKFLOW_PROBLEM_LABELS,
  WORKFLOW_PROBLEMS,
  type MonitoredProcess,
  type WorkflowProblem,
} from '../domain/workflow-problems.js';
import { forbidden } from './errors.js';

const activityLabel = (type: string) => ACTIVITY_LABELS[type] ?? type;

const STATUS_OF: Record<string, Exclude<WorkflowProblem, 'retrying'>> = { FAILED: 'failed', TERMINATED: 'terminated', TIMED_OUT: 'timed_out' };

export interface ProblemWorkflowRow {
  workflowId: string;
  runId: string;
  process: MonitoredProcess;
  processLabel: string;
  problem: WorkflowProblem;
  problemLabel: string;
  /** When it ended, or the latest failed attempt. */
  at: string;
  /** Why, in words (the failure, or the step and its attempts). */
  detail: string;
  temporalUrl: string;
}

export interface WorkflowMonitorFilters {
  process?: string;
  problem?: string;
  /** Ended within this many days (default 30). */
  days?: number;
}

/** Listed at most per kind: a page for people, not an export. */
const LIMIT = 200;
/** An activity still retrying has failed again within this window (retry intervals are at most minutes). */
const RETRYING_WINDOW_MINUTES = 15;

export function createWorkflowMonitorService({
  sql,
  temporal,
  env,
}: {
  sql: Sql;
  temporal: Client;
  env: Pick<Env, 'TEMPORAL_UI_URL' | 'TEMPORAL_NAMESPACE'>;
}) {
  const uiUrl = (workflowId: string, runId: string) =>
    `${env.TEMPORAL_UI_URL}/namespaces/${encodeURIComponent(env.TEMPORAL_NAMESPACE)}/workflows/${encodeURIComponent(workflowId)}/${encodeURIComponent(runId)}/history`;
  const isMonitored = (type: string): type is MonitoredProcess => Object.hasOwn(MONITORED_PROCESSES, type);

  /** Why a closed workflow failed: its close event, read without the rest of the history. */
  async function failureOf(workflowId: string, runId: string): Promise<string> {
    try {
      await temporal.workflow.getHandle(workflowId, runId).result();
      return '';
    } catch (err) {
      if (!(err instanceof WorkflowFailedError)) return err instanceof Error ? err.message : String(err);
      // The innermost cause says why; the step it happened in, when it was an activity.
      let root: Error | undefined = err.cause;
      while (root?.cause instanceof Error) root = root.cause;
      const step = err.cause instanceof ActivityFailure ? `步骤“${activityLabel(err.cause.activityType)}”失败:` : '';
      return `${step}${root?.message ?? err.message}`;
    }
  }

  async function ended(processes: MonitoredProcess[], problems: WorkflowProblem[], days: number): Promise<ProblemWorkflowRow[]> {
    const statuses = Object.entries(STATUS_OF).filter(([, p]) => problems.includes(p));
    if (processes.length === 0 || statuses.length === 0) return [];
    const since = new Date(Date.now() - days * 86_400_000).toISOString();
    const query =
      `(${processes.map((p) => `WorkflowType = '${p}'`).join(' OR ')})` +
      ` AND (${statuses.map(([, p]) => `ExecutionStatus = '${{ failed: 'Failed', terminated: 'Terminated', timed_out: 'TimedOut' }[p]}'`).join(' OR ')})` +
      ` AND CloseTime > '${since}'`;
    const rows: ProblemWorkflowRow[] = [];
    for await (const wf of temporal.workflow.list({ query, pageSize: 100 })) {
      const problem = STATUS_OF[wf.status.name];
      if (!problem || !isMonitored(wf.type)) continue;
      rows.push({
        workflowId: wf.workflowId,
        runId: wf.runId,
        process: wf.type,
        processLabel: MONITORED_PROCESSES[wf.type],
        problem,
        problemLabel: WORKFLOW_PROBLEM_LABELS[problem],
        at: (wf.closeTime ?? wf.startTime).toISOString(),
        detail: '',
        temporalUrl: uiUrl(wf.workflowId, wf.runId),
      });
      if (rows.length >= LIMIT) break;
    }
    await Promise.all(
      rows.map(async (r) => {
        r.detail = r.problem === 'failed' ? await failureOf(r.workflowId, r.runId) : r.problem === 'terminated' ? '被人工或系统终止' : '超过流程允许的运行时间';
      }),
    );
    return rows;
  }

  async function retrying(processes: MonitoredProcess[]): Promise<ProblemWorkflowRow[]> {
    if (processes.length === 0) return [];
    const rows = await sql<
      { workflow_id: string; run_id: string; workflow_type: string; activity_type: string; attempt: number; last_failure: string; updated_at: Date }[]
    >`
      SELECT workflow_id, run_id, workflow_type, activity_type, attempt, last_failure, updated_at FROM activity_retries
      WHERE workflow_type IN ${sql(processes)} AND updated_at > now() - make_interval(mins => ${RETRYING_WINDOW_MINUTES})
      ORDER BY updated_at DESC LIMIT ${LIMIT}`;
    return rows.flatMap((r) =>
      isMonitored(r.workflow_type)
        ? [
            {
              workflowId: r.workflow_id,
              runId: r.run_id,
              process: r.workflow_type,
              processLabel: MONITORED_PROCESSES[r.workflow_type],
              problem: 'retrying' as const,
              problemLabel: WORKFLOW_PROBLEM_LABELS.retrying,
              at: r.updated_at.toISOString(),
              detail: `步骤“${activityLabel(r.activity_type)}”已失败 ${r.attempt} 次:${r.last_failure}`,
              temporalUrl: uiUrl(r.workflow_id, r.run_id),
            },
          ]
        : [],
    );
  }

  return {
    /** Problem workflows, newest first; managers and admins only. Unknown filter values are ignored. */
    async list(user: Principal, filters: WorkflowMonitorFilters = {}): Promise<ProblemWorkflowRow[]> {
      if (!seesAllDepartments(user.role)) throw forbidden('仅管理层和管理员可查看流程监控');
      const processes = (Object.keys(MONITORED_PROCESSES) as MonitoredProcess[]).filter((p) => !filters.process || filters.process === p);
      const problems = WORKFLOW_PROBLEMS.filter((p) => !filters.problem || filters.problem === p);
      const days = filters.days && filters.days > 0 ? Math.min(filters.days, 365) : 30;
      const [closed, stuck] = await Promise.all([
        ended(processes, problems, days),
        problems.includes('retrying') ? retrying(processes) : Promise.resolve([]),
      ]);
      return [...stuck, ...closed].sort((a, b) => b.at.localeCompare(a.at));
    },
  };
}

export type WorkflowMonitorService = ReturnType<typeof createWorkflowMonitorService>;
