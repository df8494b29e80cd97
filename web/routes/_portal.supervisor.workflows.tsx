/**
 * /supervisor/workflows — 流程监控: follow-up, ticket and appointment workflows that failed, were
 * terminated or timed out, or whose steps keep failing and retrying, newest first, each with a
 * link into the Temporal UI. Managers and admins (the supervisors).
 */
import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, useLoaderData } from '@remix-run/react';
import { MONITORED_PROCESSES, WORKFLOW_PROBLEM_LABELS, WORKFLOW_PROBLEMS } from '../../domain/workflow-problems.js';
import { orRespond, requireUser } from '../auth.server.js';
import { TemporalLink } from '../components/TemporalLink.js';

export const meta: MetaFunction = () => [{ title: '流程监控 · 随访管理平台' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context, ['manager', 'admin']);
  const url = new URL(request.url);
  const filters = { process: url.searchParams.get('process') ?? '', problem: url.searchParams.get('problem') ?? '', days: Number(url.searchParams.get('days') ?? 30) };
  const rows = await orRespond(context.services.workflowMonitor.list(user, filters));
  return { rows, filters };
}

const when = (iso: string) => new Date(iso).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false });

export default function WorkflowMonitor() {
  const { rows, filters } = useLoaderData<typeof loader>();
  return (
    <div>
      <h1>流程监控</h1>
      <p className="hint" style={{ marginBottom: '1rem' }}>
        列出失败、被终止或超时结束的随访、工单、预约流程和定时任务,以及某个步骤反复失败仍在重试的流程。点“在 Temporal UI 中查看”可看到流程的每一步和失败原因。
      </p>
      <Form method="get" className="inline-form" style={{ marginBottom: '1rem' }}>
        <label>
          流程{' '}
          <select name="process" defaultValue={filters.process} autoFocus>
            <option value="">全部</option>
            {Object.entries(MONITORED_PROCESSES).map(([type, label]) => (
              <option key={type} value={type}>
                {label}
              </option>
            ))}
          </select>
        </label>{' '}
        <label>
          问题{' '}
          <select name="problem" defaultValue={filters.problem}>
            <option value="">全部</option>
            {WORKFLOW_PROBLEMS.map((p) => (
              <option key={p} value={p}>
                {WORKFLOW_PROBLEM_LABELS[p]}
              </option>
            ))}
          </select>
        </label>{' '}
        <label>
          结束于最近{' '}
          <select name="days" defaultValue={String(filters.days)}>
            {[1, 7, 30, 90].map((d) => (
              <option key={d} value={d}>
                {d} 天
              </option>
            ))}
          </select>
        </label>{' '}
        <button type="submit" className="small-button">
          筛选
        </button>
      </Form>
      {rows.length === 0 ? (
        <p className="empty">没有出问题的流程。</p>
      ) : (
        <table className="grid" data-testid="workflow-problems">
          <thead>
            <tr>
              <th>流程</th>
              <th>问题</th>
              <th>时间</th>
              <th>原因</th>
              <th>流程编号</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={`${row.workflowId}/${row.runId}/${row.problem}/${row.detail}`}>
                <td>{row.processLabel}</td>
                <td>
                  <span className={`badge problem-${row.problem}`}>{row.problemLabel}</span>
                </td>
                <td>{when(row.at)}</td>
                <td>{row.detail || '—'}</td>
                <td>
                  <span className="mono">{row.workflowId}</span>
                  <br />
                  <TemporalLink url={row.temporalUrl} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
