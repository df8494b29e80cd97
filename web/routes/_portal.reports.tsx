/**
 * /reports — 管理报表: the management dashboard (满意度趋势, 覆盖率/完整率 with goals, 考核报表,
 * 高频问题 TOP5, per agent), filtered by period and department; every count links to the records
 * behind it (/reports/drill). Figures come from services/reports.ts with the viewer's rights: a
 * department head sees their department, an agent their own figures.
 */
import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, Link, useLoaderData, useNavigation } from '@remix-run/react';
import { useMemo } from 'react';
import { reportScope } from '../../domain/access.js';
import { coverageChartOption, satisfactionChartOption } from '../../domain/reports/charts.js';
import type { ReportData } from '../../domain/reports/data.js';
import { formatChange, formatHours, formatNumber, formatPercent } from '../../domain/reports/format.js';
import { monthLabel, periodLabel } from '../../domain/reports/period.js';
import { defaultReportPeriod, parseReportRequest, type DrillMetric } from '../../services/reports.js';
import { isServiceError, type FieldProblem } from '../../services/errors.js';
import { requireUser } from '../auth.server.js';
import { EChart } from '../components/reports/EChart.js';
import { ExportPanel } from '../components/reports/ExportPanel.js';

export const meta: MetaFunction = () => [{ title: '管理报表 · 随访管理平台' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const scope = reportScope(user);
  if (!scope) throw new Response('无权查看报表', { status: 403 });
  const url = new URL(request.url);
  const params = Object.fromEntries(url.searchParams);
  const fallback = defaultReportPeriod();
  const [departments, archive] = await Promise.all([
    scope.kind === 'all' ? context.services.directory.departments() : Promise.resolve([]),
    context.services.reports.archive(user),
  ]);
  try {
    const req = parseReportRequest(params, 'dashboard', fallback);
    const data = await context.services.reports.collect(user, req);
    return { data, departments, archive, errors: {} as Record<string, string>, filters: { ...req.period, department: req.departmentCode ?? '' } };
  } catch (err) {
    if (isServiceError(err) && err.code === 'invalid_input') {
      const errors: Record<string, string> = {};
      for (const p of (err.details?.problems ?? []) as FieldProblem[]) errors[p.field] = p.message;
      const data = await context.services.reports.collect(user, { report: 'dashboard', period: fallback, departmentCode: scope.kind === 'department' ? scope.departmentCode : null });
      return { data, departments, archive, errors, filters: { from: params.from ?? '', to: params.to ?? '', department: params.department ?? '' } };
    }
    if (isServiceError(err)) throw new Response(err.message, { status: err.status });
    throw err;
  }
}

/** A count that opens the list of records behind it. */
function Drill({ data, metric, value, extra = {} }: { data: ReportData; metric: DrillMetric; value: number; extra?: Record<string, string> }) {
  if (value === 0) return <>0</>;
  const q = new URLSearchParams({ metric, from: data.period.from, to: data.period.to, ...extra });
  if (data.departmentCode !== null && extra.department === undefined) q.set('department', data.departmentCode);
  return <Link to={`/reports/drill?${q.toString()}`}>{value}</Link>;
}

/** "85.0% → 92.0%": the first and the last month that have answers. */
function trend(points: ReportData['satisfaction'][number]['points']): string {
  const known = points.filter((p) => p.share !== null);
  if (known.length < 2) return '—';
  return `${formatPercent(known[0]!.share)} → ${formatPercent(known.at(-1)!.share)}`;
}

export default function Reports() {
  const { data, departments, archive, errors, filters } = useLoaderData<typeof loader>();
  const navigation = useNavigation();
  const satisfactionOption = useMemo(() => satisfactionChartOption(data), [data]);
  const coverageOption = useMemo(() => coverageChartOption(data), [data]);
  const scopeText = data.scope === 'agent' ? '本人' : (data.departmentName ?? '全院');
  const fresh = data.refreshedAt ? new Date(data.refreshedAt).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false }) : null;
  const dept = (code: string) => ({ department: code });

  return (
    <div className="reports">
      <div className="page-head">
        <h1>管理报表</h1>
        <span className="muted">
          {scopeText} · {periodLabel(data.period)} · {fresh ? `数据截至 ${fresh}(每 5 分钟汇总一次)` : '数据尚未汇总'}
        </span>
      </div>

      <Form method="get" className="report-filters" aria-label="筛选">
        <label className="inline">
          开始月份
          <input type="month" name="from" defaultValue={filters.from} aria-invalid={errors.from ? true : undefined} required />
        </label>
        <label className="inline">
          结束月份
          <input type="month" name="to" defaultValue={filters.to} aria-invalid={errors.to ? true : undefined} required />
        </label>
        {departments.length > 0 && (
          <label className="inline">
            科室
            <select name="department" defaultValue={filters.department}>
              <option value="">全院</option>
              {departments.map((d) => (
                <option key={d.code} value={d.code}>
                  {d.name}
                </option>
              ))}
            </select>
          </label>
        )}
        <button type="submit" disabled={navigation.state === 'loading'}>
          查询
        </button>
        {(errors.from || errors.to) && <span className="form-error">{errors.from ?? errors.to}</span>}
      </Form>

      <ExportPanel period={data.period} departmentCode={data.departmentCode} />

      <section className="report-row">
        <div className="card chart-card">
          <EChart option={satisfactionOption} label="满意度趋势折线图" />
        </div>
        <div>
          <h2>满意度趋势</h2>
          <table className="grid compact">
            <thead>
              <tr>
                <th>{data.scope === 'agent' ? '范围' : '科室'}</th>
                <th className="num">满意度</th>
                <th className="num">回答数</th>
                <th>首月 → 末月</th>
              </tr>
            </thead>
            <tbody>
              {data.satisfaction.map((s) => (
                <tr key={s.departmentCode ?? 'total'} className={s.departmentCode === null ? 'total' : undefined}>
                  <td>{s.name}</td>
                  <td className="num">{formatPercent(s.total.share)}</td>
                  <td className="num">
                    <Drill data={data} metric="satisfaction-answers" value={s.total.n} extra={s.departmentCode === null ? {} : dept(s.departmentCode)} />
                  </td>
                  <td>{trend(s.points)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="small muted">满意度 = 满意度题评 4–5 分的回答 / 全部回答;无回答的月份显示“—”。</p>
        </div>
      </section>

      <section className="report-row">
        <div className="card chart-card">
          <EChart option={coverageOption} label="回访覆盖率与记录完整率折线图" />
        </div>
        <div>
          <h2>回访覆盖率与记录完整率</h2>
          <table className="grid compact">
            <thead>
              <tr>
                <th>科室</th>
                <th className="num">应随访</th>
                <th className="num">未联系上</th>
                <th className="num">覆盖率</th>
                <th className="num">已完成</th>
                <th className="num">未答全</th>
                <th className="num">完整率</th>
              </tr>
            </thead>
            <tbody>
              {[...data.followUps.departments.map((r) => ({ key: r.departmentCode, name: r.name, k: r, extra: dept(r.departmentCode) })), { key: 'total', name: data.scope === 'agent' ? '本人' : '合计', k: data.followUps.total, extra: {} }].map(
                ({ key, name, k, extra }) => (
                  <tr key={key} className={key === 'total' ? 'total' : undefined}>
                    <td>{name}</td>
                    <td className="num">
                      <Drill data={data} metric="follow-ups-due" value={k.due} extra={extra} />
                    </td>
                    <td className="num">
                      <Drill data={data} metric="follow-ups-unreached" value={k.due - k.reached} extra={extra} />
                    </td>
                    <td className={`num ${k.coverageMet === false ? 'below-goal' : ''}`}>{formatPercent(k.coverage)}</td>
                    <td className="num">
                      <Drill data={data} metric="follow-ups-completed" value={k.completed} extra={extra} />
                    </td>
                    <td className="num">
                      <Drill data={data} metric="records-incomplete" value={k.completed - k.complete} extra={extra} />
                    </td>
                    <td className={`num ${k.completenessMet === false ? 'below-goal' : ''}`}>{formatPercent(k.completeness)}</td>
                  </tr>
                ),
              )}
            </tbody>
          </table>
          <p className="small muted">
            目标:覆盖率 ≥ {formatPercent(data.goals.coverage, 0)},完整率 ≥ {formatPercent(data.goals.completeness, 0)};未达标的以红色显示。
          </p>
        </div>
      </section>

      {data.tickets && (
        <section>
          <h2>考核报表 · 责任科室工单</h2>
          <table className="grid compact">
            <thead>
              <tr>
                <th>责任科室</th>
                <th className="num">受理</th>
                <th className="num">已解决</th>
                <th className="num">处理率</th>
                <th className="num">及时率</th>
                <th className="num">平均处理时长</th>
                <th className="num">P90 处理时长</th>
                <th className="num">超时</th>
              </tr>
            </thead>
            <tbody>
              {[...data.tickets.departments.map((r) => ({ key: r.departmentCode, name: r.name, k: r, extra: dept(r.departmentCode) })), { key: 'total', name: '合计', k: data.tickets.total, extra: {} }].map(({ key, name, k, extra }) => (
                <tr key={key} className={key === 'total' ? 'total' : undefined}>
                  <td>{name}</td>
                  <td className="num">
                    <Drill data={data} metric="tickets-received" value={k.received} extra={extra} />
                  </td>
                  <td className="num">
                    <Drill data={data} metric="tickets-resolved" value={k.resolved} extra={extra} />
                  </td>
                  <td className="num">{formatPercent(k.processingRate)}</td>
                  <td className="num">{formatPercent(k.timelinessRate)}</td>
                  <td className="num">{formatHours(k.meanResolveHours)}</td>
                  <td className="num">{formatHours(k.p90ResolveHours)}</td>
                  <td className="num">
                    <Drill data={data} metric="tickets-overdue" value={k.overdue} extra={extra} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}

      {data.feedback && (
        <section data-testid="feedback-counts">
          <h2>
            表扬与建议 <span className="count">转科室知悉，不计时限、不升级</span>
          </h2>
          {data.feedback.departments.length === 0 ? (
            <p className="empty">统计期内没有表扬或建议</p>
          ) : (
            <table className="grid compact">
              <thead>
                <tr>
                  <th>科室</th>
                  <th className="num">表扬</th>
                  <th className="num">建议</th>
                </tr>
              </thead>
              <tbody>
                {[...data.feedback.departments.map((r) => ({ key: r.departmentCode, name: r.name, k: r })), { key: 'total', name: '合计', k: data.feedback.total }].map(({ key, name, k }) => (
                  <tr key={key} className={key === 'total' ? 'total' : undefined}>
                    <td>{name}</td>
                    <td className="num">{k.praise}</td>
                    <td className="num">{k.suggestions}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}

      {data.scope !== 'agent' && (
        <section>
          <h2>高频问题 TOP5 <span className="count">对比上期 {periodLabel(data.previousPeriod)}</span></h2>
          {data.topProblems.length === 0 ? (
            <p className="empty">本期没有工单。</p>
          ) : (
            <div className="tag-cards">
              {data.topProblems.map((d) => (
                <div key={d.departmentCode} className="card tag-card">
                  <h3>{d.name}</h3>
                  <ol>
                    {d.tags.map((t) => (
                      <li key={t.tag}>
                        <span>{t.tag}</span>
                        <span className="num">
                          <Drill data={data} metric="tickets-tag" value={t.count} extra={{ department: d.departmentCode, tag: t.tag }} />
                          <span className={t.change > 0 ? 'up' : t.change < 0 ? 'down' : 'muted'}> {formatChange(t.change)}</span>
                        </span>
                      </li>
                    ))}
                  </ol>
                </div>
              ))}
            </div>
          )}
        </section>
      )}

      <section>
        <h2>考核报表 · 客服</h2>
        {data.agents.length === 0 ? (
          <p className="empty">本期没有随访记录。</p>
        ) : (
          <table className="grid compact">
            <thead>
              <tr>
                <th>客服</th>
                <th>科室</th>
                <th className="num">日均完成随访</th>
                <th className="num">完成随访</th>
                <th className="num">应随访</th>
                <th className="num">覆盖率</th>
                <th className="num">完整率</th>
                <th className="num">通话次数</th>
              </tr>
            </thead>
            <tbody>
              {data.agents.map((a) => (
                <tr key={a.agentId}>
                  <td>{a.name}</td>
                  <td>{a.departmentName}</td>
                  <td className="num">{formatNumber(a.completedPerDay, 1)}</td>
                  <td className="num">
                    <Drill data={data} metric="follow-ups-completed" value={a.completed} extra={{ agent: a.agentId }} />
                  </td>
                  <td className="num">
                    <Drill data={data} metric="follow-ups-due" value={a.due} extra={{ agent: a.agentId }} />
                  </td>
                  <td className={`num ${a.coverageMet === false ? 'below-goal' : ''}`}>{formatPercent(a.coverage)}</td>
                  <td className={`num ${a.completenessMet === false ? 'below-goal' : ''}`}>{formatPercent(a.completeness)}</td>
                  <td className="num">{a.calls}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      {archive.length > 0 && (
        <section>
          <h2>报表存档 · 月度报表</h2>
          <ul className="archive">
            {archive.map((f) => (
              <li key={f.id}>
                <a href={`/api/reports/files/${f.id}`} download={f.fileName}>
                  {f.fileName}
                </a>{' '}
                <span className="muted small">
                  {monthLabel(f.periodFrom)} · 生成于 {new Date(f.createdAt).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false })}
                </span>
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}
