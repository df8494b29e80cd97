/**
 * /admin/quotas — appointment quota plans (分时段预约号源): per upcoming clinic session, the nightly
 * computation per slot (estimated walk-ins NX'ᵢ, capacity NXᵢ, computed quota) beside the effective
 * quota, and an override form (quotas per slot + a required reason). Clearing the override
 * restores the computed quotas.
 */
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { isServiceError, type FieldProblem } from '../../services/errors.js';
import { CAPACITY_SOURCE_LABELS } from '../../domain/consultation-capacity.js';
import type { QuotaSlotPlan } from '../../workflows/quota-planning/contracts.js';
import { orRespond, requireUser } from '../auth.server.js';

export const meta: MetaFunction = () => [{ title: '预约号源 · 随访管理平台' }];

const time = (iso: string) => new Date(iso).toLocaleTimeString('zh-CN', { timeZone: 'Asia/Shanghai', hour: '2-digit', minute: '2-digit' });
const dateTime = (iso: string) => new Date(iso).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai' });
const num = (n: number) => String(Math.round(n * 10) / 10);

/** Where a slot's capacity came from, in words (plans from before consultations were recorded used 10 minutes). */
function capacityBasis(c: QuotaSlotPlan): string {
  const b = c.basis;
  const source = b.capacitySource ?? 'fallback';
  if (source === 'fallback') return `默认 ${num(b.meanConsultMinutes)} 分钟/人(无接诊记录)`;
  const seen = b.meanSeen != null ? `,实际平均接诊 ${num(b.meanSeen)} 人` : '';
  return `${CAPACITY_SOURCE_LABELS[source]}:平均 ${num(b.meanConsultMinutes)} 分钟/人(${b.consultations ?? 0} 次接诊)${seen}`;
}

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context, ['admin']);
  const sessions = await orRespond(context.services.quotaPlanning.list(user));
  return { sessions, saved: new URL(request.url).searchParams.get('saved') };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireUser(request, context, ['admin']);
  const form = await request.formData();
  const sessionId = String(form.get('sessionId') ?? '');
  const values: Record<string, string> = {};
  for (const [key, value] of form) if (typeof value === 'string') values[key] = value;
  try {
    if (form.get('intent') === 'clear') {
      await context.services.quotaPlanning.clearOverride(user, sessionId, context.meta);
    } else {
      const quotas = Object.keys(values)
        .filter((k) => /^q\d+$/.test(k))
        .sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)))
        .map((k) => values[k] ?? '');
      await context.services.quotaPlanning.override(user, sessionId, { quotas, reason: values.reason ?? '' }, context.meta);
    }
    return redirect(`/admin/quotas?saved=${encodeURIComponent(sessionId)}`);
  } catch (err) {
    if (isServiceError(err) && (err.code === 'invalid_input' || err.code === 'no_override')) {
      const problems = (err.details?.problems ?? [{ field: 'form', message: err.message }]) as FieldProblem[];
      const errors: Record<string, string> = {};
      for (const p of problems) errors[p.field.replace(/^quotas\.(\d+)$/, 'q$1')] = p.message;
      return data({ sessionId, values, errors }, { status: 400 });
    }
    if (isServiceError(err)) throw new Response(err.message, { status: err.status });
    throw err;
  }
}

export default function Quotas() {
  const { sessions, saved } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const busy = navigation.state === 'submitting';

  return (
    <>
      <h1>预约号源</h1>
      <p className="hint" style={{ marginBottom: '1rem' }}>
        每晚 02:00 按专家近几周的现场挂号记录测算此后几天各时段的预约号源:预计现场挂号 NX'ᵢ 多的时段少放预约号,剩余号源放在最后时段。
        接诊能力 NXᵢ 来自叫号页记录的接诊时长:时段分钟数 ÷ 该专家该时段的平均接诊时间;若历史上实际接诊人数远低于此(专家开诊晚),取实际平均接诊人数。
        没有接诊记录的专家按默认 10 分钟/人计,表中注明“默认”。人工调整后夜间测算不再改动该场次,清除调整即恢复测算值。
      </p>
      {saved && (
        <p className="notice" role="status">
          已保存。
        </p>
      )}
      {sessions.length === 0 && <p className="empty">今后两周没有出诊场次。</p>}
      {sessions.map((s) => {
        const mine = result?.sessionId === s.sessionId ? result : undefined;
        const errors: Record<string, string> = mine?.errors ?? {};
        const overridden = s.slots.some((sl) => sl.override !== null);
        return (
          <section key={s.sessionId} style={{ marginBottom: '2rem' }}>
            <h2>
              {s.sessionDate} {s.expertName} · {s.departmentName}
            </h2>
            <p className="hint">
              {s.computedAt
                ? `测算于 ${dateTime(s.computedAt)},依据近 ${s.weeksOfHistory ?? '—'} 周记录,共 ${s.totalAppointments ?? '—'} 个预约号`
                : '尚未测算(没有该专家的历史出诊记录或尚未到测算时间)'}
              {overridden && s.overriddenAt && `;${s.overriddenBy ?? '管理员'} 于 ${dateTime(s.overriddenAt)} 人工调整:${s.overrideReason ?? ''}`}
            </p>
            {s.simulation && (
              <table className="grid" data-testid="plan-simulation" style={{ marginBottom: '0.8rem' }}>
                <caption className="hint" style={{ textAlign: 'left' }}>
                  按该专家近 {s.simulation.sessions} 次出诊的实际挂号与接诊记录仿真(分钟)
                </caption>
                <thead>
                  <tr>
                    <th>方案</th>
                    <th>各时段预约号</th>
                    <th>现场患者平均等待</th>
                    <th>现场 p90</th>
                    <th>预约患者平均等待</th>
                    <th>预约 p90</th>
                    <th>医生空闲/次</th>
                  </tr>
                </thead>
                <tbody>
                  {(
                    [
                      ['现行方案', s.simulation.current],
                      ['测算方案', s.simulation.proposed],
                    ] as const
                  ).map(([name, f]) => (
                    <tr key={name}>
                      <td>{name}</td>
                      <td>{f.quotas.join(' / ')}</td>
                      <td>{num(f.walkInMean)}</td>
                      <td>{num(f.walkInP90)}</td>
                      <td>{num(f.appointmentMean)}</td>
                      <td>{num(f.appointmentP90)}</td>
                      <td>{num(f.idleMinutes)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            <Form method="post" noValidate>
              <input type="hidden" name="sessionId" value={s.sessionId} />
              {errors.form && (
                <p className="error-summary" role="alert">
                  {errors.form}
                </p>
              )}
              <table className="grid">
                <thead>
                  <tr>
                    <th>时段</th>
                    <th>预计现场挂号 NX'ᵢ</th>
                    <th>接诊能力 NXᵢ</th>
                    <th>能力依据</th>
                    <th>测算号源</th>
                    <th>已预约</th>
                    <th>当前号源</th>
                    <th>调整为</th>
                  </tr>
                </thead>
                <tbody>
                  {s.slots.map((sl, i) => {
                    const name = `q${i}`;
                    return (
                      <tr key={sl.slotIndex}>
                        <td>
                          {time(sl.startsAt)}–{time(sl.endsAt)}
                        </td>
                        <td>{sl.computed ? num(sl.computed.walkIns) : '—'}</td>
                        <td>{sl.computed ? num(sl.computed.capacity) : '—'}</td>
                        <td className="hint" data-testid="capacity-basis">
                          {sl.computed ? capacityBasis(sl.computed) : '—'}
                        </td>
                        <td>{sl.computed ? sl.computed.quota : '—'}</td>
                        <td>{sl.booked}</td>
                        <td>
                          {sl.effectiveQuota}
                          {sl.override !== null && <span className="tag on"> 人工</span>}
                        </td>
                        <td>
                          <input
                            name={name}
                            inputMode="numeric"
                            defaultValue={mine?.values[name] ?? String(sl.effectiveQuota)}
                            aria-label={`${time(sl.startsAt)} 时段号源`}
                            aria-invalid={errors[name] ? true : undefined}
                            autoComplete="off"
                          />
                          {errors[name] && <p className="field-error">{errors[name]}</p>}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
              {errors.quotas && <p className="field-error">{errors.quotas}</p>}
              <label>
                调整原因(必填)
                <input name="reason" defaultValue={mine?.values.reason ?? ''} autoComplete="off" aria-invalid={errors.reason ? true : undefined} />
                {errors.reason && <p className="field-error">{errors.reason}</p>}
              </label>
              <div className="actions">
                <button type="submit" name="intent" value="override" disabled={busy}>
                  保存调整
                </button>
                {overridden && (
                  <button type="submit" name="intent" value="clear" disabled={busy}>
                    清除调整,恢复测算值
                  </button>
                )}
              </div>
            </Form>
          </section>
        );
      })}
    </>
  );
}
