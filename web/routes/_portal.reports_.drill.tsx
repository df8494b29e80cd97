/**
 * /reports/drill — the tickets or follow-ups behind one number of a report (metric, period,
 * department, agent, problem tag), as far as the viewer may see them.
 */
import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { periodLabel } from '../../domain/reports/period.js';
import { defaultReportPeriod, parseReportRequest, type DrillMetric } from '../../services/reports.js';
import { orRespond, requireUser } from '../auth.server.js';

export const meta: MetaFunction = () => [{ title: '报表明细 · 随访管理平台' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const url = new URL(request.url);
  const q = Object.fromEntries(url.searchParams);
  const req = await orRespond(Promise.resolve().then(() => parseReportRequest(q, 'dashboard', defaultReportPeriod())));
  const result = await orRespond(
    context.services.reports.drill(user, {
      metric: (q.metric ?? '') as DrillMetric,
      period: req.period,
      departmentCode: q.department === undefined ? null : q.department,
      agentId: q.agent || null,
      tag: q.tag || null,
    }),
  );
  const back = new URLSearchParams({ from: req.period.from, to: req.period.to });
  if (q.department) back.set('department', q.department);
  return { result, period: req.period, tag: q.tag ?? null, back: `/reports?${back.toString()}` };
}

export default function ReportDrill() {
  const { result, period, tag, back } = useLoaderData<typeof loader>();
  return (
    <>
      <div className="page-head">
        <h1>
          {result.title}
          {tag ? `:${tag}` : ''} <span className="count">共 {result.total} 条</span>
        </h1>
        <span className="muted">{periodLabel(period)}</span>
        <div className="page-links">
          <Link to={back}>← 返回报表</Link>
        </div>
      </div>
      {result.rows.length === 0 ? (
        <p className="empty">没有记录。</p>
      ) : (
        <table className="grid">
          <thead>
            <tr>
              <th>{result.kind === 'tickets' ? '工单号' : '随访问卷'}</th>
              <th>患者</th>
              <th>科室</th>
              <th>{result.kind === 'tickets' ? '受理时间' : '时间'}</th>
              <th>状态</th>
              <th>{result.kind === 'tickets' ? '问题' : '客服'}</th>
            </tr>
          </thead>
          <tbody>
            {result.rows.map((r) => (
              <tr key={r.id}>
                <td>
                  <Link to={r.href}>{r.label}</Link>
                </td>
                <td>{r.patientName}</td>
                <td>{r.departmentName}</td>
                <td className="nowrap">{new Date(r.at).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false })}</td>
                <td>{r.status}</td>
                <td>{r.detail}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {result.total > result.rows.length && <p className="muted small">仅显示最近 {result.rows.length} 条。</p>}
    </>
  );
}
