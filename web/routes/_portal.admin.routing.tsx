/**
 * /admin/routing — the complaint routing table (投诉分派): per feedback category the responsible
 * department and its timings, and the sub-tags offered per category. A ticket copies the timings
 * when it is opened, so a change here applies to new tickets only.
 */
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { useEffect, useRef } from 'react';
import { isServiceError, type FieldProblem } from '../../services/errors.js';
import type { FeedbackRoute } from '../../services/feedback-routing.js';
import { TICKET_CATEGORIES, TICKET_CATEGORY_LABELS, ticketCategoryLabel } from '../../workflows/feedback-ticket/contracts.js';
import { orRespond, requireUser } from '../auth.server.js';
import { FieldError, fieldAria } from '../components/FieldError.js';

export const meta: MetaFunction = () => [{ title: '投诉分派 · 随访管理平台' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context, ['admin']);
  const [routes, subtags, departments, unstaffed] = await Promise.all([
    orRespond(context.services.routing.routes(user)),
    orRespond(context.services.routing.subtags(user)),
    context.services.directory.departments(),
    orRespond(context.services.routing.unstaffedDepartments(user)),
  ]);
  const categories = TICKET_CATEGORIES.map((code) => ({ code, label: TICKET_CATEGORY_LABELS[code] }));
  return { routes, subtags, departments, categories, unstaffed };
}

type Values = Record<string, string>;
type Outcome =
  | { ok: true; form: 'route' | 'subtag' | 'toggle'; key: string; message: string }
  | { ok: false; form: 'route' | 'subtag' | 'toggle'; key: string; errors: Record<string, string>; values: Values };

/** Seconds as hours for the form: up to 4 decimals, no trailing zeros. */
const hours = (seconds: number) => String(Math.round((seconds / 3600) * 10000) / 10000);

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireUser(request, context, ['admin']);
  const form = await request.formData();
  const values: Values = {};
  for (const [key, value] of form) if (typeof value === 'string') values[key] = value;
  const intent = values.intent === 'subtag' ? 'subtag' : values.intent === 'toggle' ? 'toggle' : 'route';
  const key = intent === 'toggle' ? (values.id ?? '') : (values.category ?? '');
  try {
    if (intent === 'route') {
      const saved = await context.services.routing.saveRoute(
        user,
        {
          category: values.category ?? '',
          departmentCode: values.departmentCode || null,
          slaHours: values.slaHours ?? '',
          escalateHours: values.escalateHours ?? '',
          ratingWaitHours: values.ratingWaitHours ?? '',
        },
        context.meta,
      );
      const where = saved.departmentCode ? (saved.departmentName ?? saved.departmentCode) : '随访所在科室';
      return data<Outcome>({
        ok: true,
        form: intent,
        key,
        message: `已保存“${saved.categoryLabel}”：分派到${where}，SLA ${hours(saved.slaSeconds)} 小时，二次升级 ${hours(saved.escalateSeconds)} 小时，评价等待 ${hours(saved.ratingWaitSeconds)} 小时。只影响之后新建的工单。`,
      });
    }
    if (intent === 'subtag') {
      const saved = await context.services.routing.saveSubtag(user, { category: values.category ?? '', label: values.label ?? '' }, context.meta);
      return data<Outcome>({ ok: true, form: intent, key, message: `已在“${ticketCategoryLabel(saved.category)}”下新增子标签“${saved.label}”。` });
    }
    const id = /^\d{1,10}$/.test(values.id ?? '') ? Number(values.id) : Number.NaN;
    const saved = await context.services.routing.setSubtagActive(user, id, values.active === 'true', context.meta);
    return data<Outcome>({
      ok: true,
      form: intent,
      key,
      message: `已${saved.active ? '启用' : '停用'}“${ticketCategoryLabel(saved.category)}”下的子标签“${saved.label}”。${saved.active ? '' : '已有工单保留该标签。'}`,
    });
  } catch (err) {
    if (isServiceError(err) && (err.code === 'invalid_input' || err.status === 404)) {
      const problems: FieldProblem[] =
        err.code === 'invalid_input' ? ((err.details?.problems ?? []) as FieldProblem[]) : [{ field: intent === 'toggle' ? 'id' : 'category', message: err.message }];
      const errors: Record<string, string> = {};
      for (const p of problems) errors[p.field] = errors[p.field] ? `${errors[p.field]}；${p.message}` : p.message;
      return data<Outcome>({ ok: false, form: intent, key, errors, values }, { status: err.status === 404 ? 404 : 400 });
    }
    if (isServiceError(err)) throw new Response(err.message, { status: err.status });
    throw err;
  }
}

const ROUTE_FIELDS = ['departmentCode', 'slaHours', 'escalateHours', 'ratingWaitHours'] as const;
const when = (iso: string) => new Date(iso).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai' });

export default function Routing() {
  const { routes, subtags, departments, categories, unstaffed } = useLoaderData<typeof loader>();
  const unstaffedCodes = new Set(unstaffed.map((d) => d.code));
  const unstaffedClinical = unstaffed.filter((d) => d.kind === 'clinical').map((d) => d.name);
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const busy = navigation.state === 'submitting';
  const pageRef = useRef<HTMLDivElement>(null);
  const failed = result && !result.ok ? result : null;
  const clinical = departments.filter((d) => d.kind === 'clinical');
  const functional = departments.filter((d) => d.kind === 'functional');
  const byCategory = new Map(routes.map((r) => [r.category, r]));

  useEffect(() => {
    if (failed) pageRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [failed]);

  const routeValues = (r: FeedbackRoute): Values =>
    failed?.form === 'route' && failed.key === r.category
      ? failed.values
      : { departmentCode: r.departmentCode ?? '', slaHours: hours(r.slaSeconds), escalateHours: hours(r.escalateSeconds), ratingWaitHours: hours(r.ratingWaitSeconds) };

  return (
    <div ref={pageRef}>
      <h1>投诉分派</h1>
      <p className="hint" style={{ marginBottom: '1rem' }}>
        患者反馈按类别分派到负责科室：“随访所在科室”表示交给该患者随访所属的科室处理。超过 SLA 时限未处理时提醒科室负责人和质控人员，
        再过“二次升级”时限仍未处理时上报院领导；处理完成后等待患者评价，超时按“未评价”关闭。
        <strong>修改时限只影响之后新建的工单</strong>，已有工单保持建单时的时限。
      </p>
      {result?.ok && (
        <p className="notice" role="status">
          {result.message}
        </p>
      )}
      {failed && failed.form !== 'route' && (failed.errors.id || failed.errors.category) && (
        <p className="error-summary" role="alert">
          {Object.values(failed.errors).join('；')}
        </p>
      )}

      <h2>分派规则</h2>
      <table className="grid">
        <thead>
          <tr>
            <th>类别</th>
            <th>负责科室</th>
            <th>SLA 小时</th>
            <th>二次升级 小时</th>
            <th>评价等待 小时</th>
            <th>操作</th>
          </tr>
        </thead>
        <tbody>
          {categories.map(({ code, label }, i) => {
            const route = byCategory.get(code);
            if (!route) {
              return (
                <tr key={code}>
                  <td>{label}</td>
                  <td colSpan={5} className="muted">
                    未配置
                  </td>
                </tr>
              );
            }
            const v = routeValues(route);
            const errors = failed?.form === 'route' && failed.key === code ? failed.errors : {};
            const formId = `route-${code}`;
            const id = (field: string) => `${formId}-${field}`;
            const unplaced = Object.entries(errors).filter(([k]) => !(ROUTE_FIELDS as readonly string[]).includes(k));
            return (
              <tr key={`${code}@${route.updatedAt}`}>
                <th scope="row">
                  {label}
                  <div className="hint">更新于 {when(route.updatedAt)}</div>
                  {unplaced.length > 0 && <p className="field-error">{unplaced.map(([, m]) => m).join('；')}</p>}
                </th>
                <td>
                  <select
                    name="departmentCode"
                    form={formId}
                    defaultValue={v.departmentCode ?? ''}
                    aria-label={`${label} 负责科室`}
                    autoFocus={i === 0 && !result}
                    {...fieldAria(id('departmentCode'), errors.departmentCode)}
                  >
                    <option value="">随访所在科室</option>
                    {v.departmentCode && !departments.some((d) => d.code === v.departmentCode) && (
                      <option value={v.departmentCode}>{v.departmentCode}（不存在）</option>
                    )}
                    {clinical.length > 0 && (
                      <optgroup label="临床科室">
                        {clinical.map((d) => (
                          <option key={d.code} value={d.code}>
                            {d.name}
                          </option>
                        ))}
                      </optgroup>
                    )}
                    {functional.length > 0 && (
                      <optgroup label="职能科室">
                        {functional.map((d) => (
                          <option key={d.code} value={d.code}>
                            {d.name}
                          </option>
                        ))}
                      </optgroup>
                    )}
                  </select>
                  <FieldError id={id('departmentCode')} message={errors.departmentCode} />
                  {route.departmentCode && unstaffedCodes.has(route.departmentCode) && (
                    <p className="field-warning" role="alert" data-testid={`unstaffed-${code}`}>
                      {route.departmentName ?? route.departmentCode}没有在岗的科室主任或科室人员，此类工单将无人处理：请先在「用户与科室」添加人员，或改派其他科室。
                    </p>
                  )}
                  {!route.departmentCode && unstaffedClinical.length > 0 && (
                    <p className="field-warning" role="alert" data-testid={`unstaffed-${code}`}>
                      以下临床科室没有在岗的科室人员，来自这些科室的此类工单将无人处理：{unstaffedClinical.join('、')}
                    </p>
                  )}
                </td>
                {(
                  [
                    ['slaHours', 'SLA 小时'],
                    ['escalateHours', '二次升级 小时'],
                    ['ratingWaitHours', '评价等待 小时'],
                  ] as const
                ).map(([field, text]) => (
                  <td key={field}>
                    <input
                      name={field}
                      form={formId}
                      inputMode="decimal"
                      size={6}
                      defaultValue={v[field] ?? ''}
                      aria-label={`${label} ${text}`}
                      autoComplete="off"
                      {...fieldAria(id(field), errors[field])}
                    />
                    <FieldError id={id(field)} message={errors[field]} />
                  </td>
                ))}
                <td>
                  <Form method="post" id={formId} className="inline-form">
                    <input type="hidden" name="intent" value="route" />
                    <input type="hidden" name="category" value={code} />
                    <button type="submit" className="small-button" disabled={busy} aria-label={`保存 ${label} 的分派`}>
                      保存
                    </button>
                  </Form>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <p className="hint">时限以小时计，可填小数（如 0.5 表示 30 分钟），须大于 0、不超过 720 小时（30 天）。保存后只影响之后新建的工单。</p>

      <h2>问题子标签</h2>
      <p className="hint">子标签用于细分问题并在报表中排行。停用后不再供选择，已有工单保留原标签。</p>
      {categories.map(({ code, label }) => {
        const tags = subtags.filter((s) => s.category === code);
        const addErrors = failed?.form === 'subtag' && failed.key === code ? failed.errors : {};
        const addValue = failed?.form === 'subtag' && failed.key === code ? (failed.values.label ?? '') : '';
        const addId = `subtag-${code}-label`;
        const justAdded = result?.ok && result.form === 'subtag' && result.key === code;
        return (
          <section key={code} aria-labelledby={`subtags-${code}`} style={{ marginBottom: '1.25rem' }}>
            <h3 id={`subtags-${code}`} style={{ margin: '0 0 0.4rem', fontSize: '1rem' }}>
              {label} <span className="count">{tags.filter((t) => t.active).length}</span>
            </h3>
            {tags.length === 0 ? (
              <p className="empty">还没有子标签。</p>
            ) : (
              <ul className="plain-list">
                {tags.map((t) => (
                  <li key={t.id}>
                    <Form method="post" className="inline-form">
                      <input type="hidden" name="intent" value="toggle" />
                      <input type="hidden" name="id" value={String(t.id)} />
                      <input type="hidden" name="active" value={t.active ? 'false' : 'true'} />
                      <span className={t.active ? undefined : 'muted'}>{t.label}</span>
                      {t.active ? <span className="tag on">启用</span> : <span className="tag">停用</span>}
                      {t.ticketCount > 0 && <span className="muted">（{t.ticketCount} 个工单）</span>}
                      <button
                        type="submit"
                        className="small-button"
                        disabled={busy}
                        aria-label={`${t.active ? '停用' : '启用'}子标签 ${label}：${t.label}`}
                      >
                        {t.active ? '停用' : '启用'}
                      </button>
                    </Form>
                  </li>
                ))}
              </ul>
            )}
            <Form method="post" className="inline-form" key={justAdded ? `added-${result.message}` : 'add'} noValidate>
              <input type="hidden" name="intent" value="subtag" />
              <input type="hidden" name="category" value={code} />
              <input
                name="label"
                defaultValue={addValue}
                maxLength={30}
                placeholder="新子标签（最多 30 字）"
                aria-label={`${label} 新子标签`}
                autoComplete="off"
                autoFocus={Boolean(justAdded)}
                {...fieldAria(addId, addErrors.label)}
              />
              <button type="submit" className="small-button" disabled={busy}>
                添加
              </button>
            </Form>
            <FieldError id={addId} message={addErrors.label} />
          </section>
        );
      })}
    </div>
  );
}
