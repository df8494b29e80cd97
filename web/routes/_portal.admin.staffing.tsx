import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, useLoaderData, useNavigation } from '@remix-run/react';
import { isServiceError } from '../../services/errors.js';
import { CHANNEL_LABELS } from '../../domain/follow-up-plan.js';
import { requireUser } from '../auth.server.js';

export const meta: MetaFunction = () => [{ title: '人员测算 · 随访管理平台' }];

/**
 * 人员测算: the staffing what-if for the hospital's own volumes and channel mix (services/staffing.ts
 * over domain/month-model.ts). The form is a GET, so a result can be bookmarked and shared.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context, ['admin']);
  const form = Object.fromEntries(new URL(request.url).searchParams);
  try {
    return {
      result: await context.services.staffing.whatIf(user, form),
      form,
      error: null,
    };
  } catch (err) {
    if (isServiceError(err) && err.status === 400) {
      return {
        result: await context.services.staffing.whatIf(user, {}),
        form,
        error: err.message,
      };
    }
    throw err;
  }
}

const BASIS_LABELS: Record<string, string> = {
  dischargesPerDay: '日均出院',
  wechatBound: '绑定微信',
  elderlyShare: '需电话随访的老年患者',
  linkAnswer: '链接问卷自答率',
  phoneAnswer: '电话接通率',
  wrongNumber: '号码错误',
  touchpoints: '随访节点',
};

const pct = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1)} %`);

export default function Staffing() {
  const { result, form, error } = useLoaderData<typeof loader>();
  const busy = useNavigation().state !== 'idle';
  const { basis, query, rows } = result;
  const source = (key: string) => (basis.observed.includes(key) ? '本院近 30 天' : '默认值');
  return (
    <>
      <h1>人员测算</h1>
      <p className="muted">
        按本院的出院量与患者渠道,估算一个月内不同客服人数下的回访覆盖率、每日积压与加班。短信/微信问卷由患者自答,其余转电话;未接通次日重拨。
        估算为简化模型,完整的仿真见 <code>npm run simulate:month -- --agents 3,5,8</code>。
      </p>
      <section className="card">
        <h2>测算依据</h2>
        <table className="grid">
          <thead>
            <tr>
              <th>项目</th>
              <th>数值</th>
              <th>来源</th>
            </tr>
          </thead>
          <tbody>
            <tr>
              <td>{BASIS_LABELS.dischargesPerDay}</td>
              <td>{basis.dischargesPerDay} 人/天</td>
              <td>{source('dischargesPerDay')}</td>
            </tr>
            {(['wechatBound', 'elderlyShare', 'linkAnswer', 'phoneAnswer', 'wrongNumber'] as const).map((k) => (
              <tr key={k}>
                <td>{BASIS_LABELS[k]}</td>
                <td>{pct(basis[k])}</td>
                <td>{source(k)}</td>
              </tr>
            ))}
            <tr>
              <td>{BASIS_LABELS.touchpoints}</td>
              <td>{basis.touchpoints.map((t) => `第 ${t.day} 天${CHANNEL_LABELS[t.channel]}`).join('、')}</td>
              <td>{source('touchpoints')}</td>
            </tr>
            <tr>
              <td>现有客服</td>
              <td>{basis.agentsNow} 人</td>
              <td>本院用户</td>
            </tr>
          </tbody>
        </table>
      </section>
      <Form method="get" className="ticket-filters">
        <label>
          客服人数
          <input name="levels" size={10} defaultValue={form.levels ?? query.levels.join(',')} aria-invalid={error?.includes('levels') || undefined} />
        </label>
        <label>
          每日工作小时
          <input name="hoursPerDay" type="number" min={1} max={16} defaultValue={form.hoursPerDay ?? query.hoursPerDay} />
        </label>
        <label>
          每小时通话
          <input name="callsPerHour" type="number" min={1} max={60} defaultValue={form.callsPerHour ?? query.callsPerHour} />
        </label>
        <label>
          天数
          <input name="days" type="number" min={7} max={92} defaultValue={form.days ?? query.days} />
        </label>
        <button type="submit" disabled={busy}>
          测算
        </button>
        {error && <p className="form-error">{error.replace(/^\w+: /, '')}</p>}
      </Form>
      <div style={{ overflowX: 'auto' }}>
        <table className="grid">
          <thead>
            <tr>
              <th>客服人数</th>
              <th>回访覆盖率</th>
              <th>患者自答</th>
              <th>电话联系上</th>
              <th>日均积压(通)</th>
              <th>月末积压(通)</th>
              <th>人均加班(小时/天)</th>
              <th>人均每日随访</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.agents}>
                <td>{r.agents}</td>
                <td>{pct(r.coverage)}</td>
                <td>{r.byLink}</td>
                <td>{r.byPhone}</td>
                <td>{r.backlogMean}</td>
                <td>{r.backlogEnd}</td>
                <td>{r.overtimeHoursPerAgentDay.toFixed(1)}</td>
                <td>{r.followUpsPerAgentDay.toFixed(0)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
