/**
 * /admin/rules — follow-up rules (随访规则): department (+ optional scenario) → greeting and
 * touchpoints. A rule is read when a follow-up is planned, so a change affects only follow-ups
 * planned afterwards.
 */
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { useEffect, useRef } from 'react';
import { TEMPLATE_PLACEHOLDERS } from '../../domain/message-template.js';
import { CHANNELS, CHANNEL_LABELS, type TouchpointSpec } from '../../domain/follow-up-plan.js';
import { isServiceError, type FieldProblem } from '../../services/errors.js';
import type { Rule, ScenarioKind } from '../../services/plans.js';
import { orRespond, requireUser } from '../auth.server.js';
import { FieldError, fieldAria } from '../components/FieldError.js';

export const meta: MetaFunction = () => [{ title: '随访规则 · 随访管理平台' }];

const SCENARIO_LABELS: Record<ScenarioKind, string> = { diagnosis_prefix: '诊断编码前缀', procedure_keyword: '手术关键词' };
const MAX_TOUCHPOINTS = 10;
const SPARE_ROWS = 2;

type Values = Record<string, string>;

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context, ['admin']);
  const url = new URL(request.url);
  const id = url.searchParams.get('id');
  const [rules, templates, departments] = await Promise.all([
    orRespond(context.services.plans.rules(user)),
    orRespond(context.services.plans.templates(user)),
    context.services.directory.departments(),
  ]);
  const rule = id ? (rules.find((r) => r.id === id) ?? (await orRespond(context.services.plans.rule(user, id)))) : null;
  const secondOffsetsAllowed = context.services.plans.secondOffsetsAllowed;
  return { rules, templates, departments, rule, secondOffsetsAllowed, creating: !id && url.searchParams.has('new'), saved: url.searchParams.has('saved') };
}

const hours = (seconds: number) => String(Math.round((seconds / 3600) * 100) / 100);

function valuesOf(rule: Rule): Values {
  const values: Values = {
    id: rule.id,
    departmentCode: rule.departmentCode ?? '',
    name: rule.name,
    scenarioKind: rule.scenarioKind ?? '',
    scenarioValue: rule.scenarioValue ?? '',
    greetingText: rule.greetingText,
    active: rule.active ? 'on' : '',
  };
  rule.touchpoints.forEach((tp, i) => {
    const seconds = tp.offsetSeconds !== undefined && tp.offsetSeconds !== null;
    values[`t${i}.amount`] = String(seconds ? tp.offsetSeconds : tp.offsetDays);
    values[`t${i}.unit`] = seconds ? 'seconds' : 'days';
    values[`t${i}.templateCode`] = tp.templateCode;
    values[`t${i}.channel`] = tp.channel;
    values[`t${i}.maxAttempts`] = String(tp.maxAttempts);
    values[`t${i}.retryHours`] = hours(tp.retryAfterSeconds);
  });
  return values;
}

/** An integer as typed, or the text itself so the service reports it. */
const intOrText = (text: string) => (/^\s*\d+\s*$/.test(text) ? Number(text) : text.trim() === '' ? undefined : text);

function rowIndexes(values: Values): number[] {
  const indexes = new Set<number>();
  for (const key of Object.keys(values)) {
    const m = /^t(\d+)\./.exec(key);
    if (m) indexes.add(Number(m[1]));
  }
  return [...indexes].sort((a, b) => a - b);
}

/** Touchpoints from the posted rows (rows without time and template skipped), and the row of each. */
function touchpointsFromForm(values: Values): { touchpoints: Record<string, unknown>[]; rows: number[] } {
  const rows = rowIndexes(values).filter((i) => (values[`t${i}.amount`] ?? '').trim() !== '' || (values[`t${i}.templateCode`] ?? '') !== '');
  const touchpoints = rows.map((i) => {
    const v = (k: string) => values[`t${i}.${k}`] ?? '';
    const amount = intOrText(v('amount'));
    const retry = v('retryHours').trim();
    const retryHours = retry === '' ? Number.NaN : Number(retry);
    return {
      ...(v('unit') === 'seconds' ? { offsetSeconds: amount } : { offsetDays: amount }),
      templateCode: v('templateCode'),
      channel: v('channel'),
      maxAttempts: intOrText(v('maxAttempts')),
      retryAfterSeconds: Number.isFinite(retryHours) ? Math.round(retryHours * 3600) : retry,
    };
  });
  return { touchpoints, rows };
}

/** Service problem fields (touchpoints.1.channel) as form input names (t2.channel when blank row 1 was skipped). */
function errorsByInput(problems: FieldProblem[], rows: number[]): Record<string, string> {
  const errors: Record<string, string> = {};
  const add = (key: string, message: string) => {
    errors[key] = errors[key] ? `${errors[key]}；${message}` : message;
  };
  for (const p of problems) {
    const m = /^touchpoints\.(\d+)(?:\.(\w+))?/.exec(p.field);
    if (!m) {
      add(p.field, p.message);
      continue;
    }
    const row = rows[Number(m[1])] ?? Number(m[1]);
    switch (m[2]) {
      case 'templateCode':
      case 'channel':
      case 'maxAttempts':
        add(`t${row}.${m[2]}`, p.message);
        break;
      case 'retryAfterSeconds':
        add(`t${row}.retryHours`, '重试间隔须在 1 秒到 720 小时（30 天）之间');
        break;
      default: // the timing (offsetDays, offsetSeconds, or the touchpoint as a whole)
        add(`t${row}.amount`, p.message);
    }
  }
  return errors;
}

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireUser(request, context, ['admin']);
  const form = await request.formData();
  const values: Values = {};
  for (const [key, value] of form) if (typeof value === 'string') values[key] = value;
  const { touchpoints, rows } = touchpointsFromForm(values);
  try {
    const saved = await context.services.plans.saveRule(
      user,
      {
        id: values.id || null,
        departmentCode: values.departmentCode || null,
        name: values.name ?? '',
        scenarioKind: (values.scenarioKind || null) as ScenarioKind | null,
        scenarioValue: values.scenarioValue || null,
        greetingText: values.greetingText ?? '',
        touchpoints,
        active: values.active === 'on',
      },
      context.meta,
    );
    return redirect(`/admin/rules?id=${saved.id}&saved=1`);
  } catch (err) {
    if (isServiceError(err) && err.code === 'invalid_input') {
      const problems = (err.details?.problems ?? []) as FieldProblem[];
      return data({ values, errors: errorsByInput(problems, rows) }, { status: 400 });
    }
    if (isServiceError(err)) throw new Response(err.message, { status: err.status });
    throw err;
  }
}

function describeTiming(tp: TouchpointSpec): string {
  return tp.offsetSeconds !== undefined && tp.offsetSeconds !== null ? `出院后 ${tp.offsetSeconds} 秒` : `第 ${tp.offsetDays} 天`;
}

export default function Rules() {
  const { rules, templates, departments, rule, secondOffsetsAllowed, creating, saved } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const formRef = useRef<HTMLFormElement>(null);
  const editing = rule !== null || creating;
  const values: Values = result?.values ?? (rule ? valuesOf(rule) : { active: 'on' });
  const errors: Record<string, string> = result?.errors ?? {};
  const errorCount = Object.keys(errors).length;
  const knownInputs = new Set(['departmentCode', 'name', 'scenarioKind', 'scenarioValue', 'greetingText', 'active', 'touchpoints']);
  const unplaced = Object.entries(errors).filter(([k]) => !knownInputs.has(k) && !/^t\d+\./.test(k));
  const templateNames = new Map(templates.map((t) => [t.code, t.name]));
  const lastRow = Math.max(-1, ...rowIndexes(values));
  const rowCount = Math.min(MAX_TOUCHPOINTS, Math.max(3, lastRow + 1 + SPARE_ROWS));
  const activeDefaults = rules.filter((r) => r.departmentCode === null && r.active).length;

  useEffect(() => {
    if (result?.errors) formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [result]);

  const v = (name: string, fallback = '') => values[name] ?? fallback;

  return (
    <>
      <h1>随访规则</h1>
      <p className="hint" style={{ marginBottom: '1rem' }}>
        出院患者按所在科室（可再按诊断编码前缀或手术关键词细分）选用规则；科室没有规则或尚未分配科室时使用全院默认规则。
        <strong>修改规则只影响之后安排的随访</strong>，已经安排的随访保持原来的时间、渠道和问卷版本。
      </p>
      {saved && rule && (
        <p className="notice" role="status">
          已保存规则“{rule.name}”。新出院的患者将按此规则安排随访。
        </p>
      )}
      {activeDefaults === 0 && (
        <p className="error-summary" role="alert">
          当前没有启用的全院默认规则：未分配科室或科室没有规则的出院患者将不会安排随访。
        </p>
      )}
      <div className="toolbar">
        <Link to="/admin/rules?new=1" className="button-link">
          新建规则
        </Link>
      </div>

      {editing && (
        <Form method="post" className="admin-form" ref={formRef} key={rule ? `${rule.id}@${rule.updatedAt}` : 'new'} noValidate>
          <h2>{rule ? `编辑随访规则：${rule.name}` : '新建随访规则'}</h2>
          {errorCount > 0 && (
            <div className="error-summary" role="alert">
              有 {errorCount} 处需要修改，已定位到第一处。
              {unplaced.length > 0 && (
                <ul>
                  {unplaced.map(([k, m]) => (
                    <li key={k}>{m}</li>
                  ))}
                </ul>
              )}
            </div>
          )}
          {rule && <input type="hidden" name="id" value={rule.id} />}
          <div className="fields">
            <label>
              科室
              <select name="departmentCode" defaultValue={v('departmentCode')} autoFocus {...fieldAria('departmentCode', errors['departmentCode'])}>
                <option value="">全院默认（未分配科室及无规则科室）</option>
                {departments
                  .filter((d) => d.kind === 'clinical')
                  .map((d) => (
                    <option key={d.code} value={d.code}>
                      {d.name}
                    </option>
                  ))}
              </select>
              <FieldError id="departmentCode" message={errors.departmentCode} />
            </label>
            <label>
              规则名称
              <input name="name" defaultValue={v('name')} autoComplete="off" {...fieldAria('name', errors['name'])} />
              <FieldError id="name" message={errors.name} />
            </label>
          </div>
          <div className="fields">
            <label>
              适用场景
              <select name="scenarioKind" defaultValue={v('scenarioKind')} {...fieldAria('scenarioKind', errors['scenarioKind'])}>
                <option value="">科室通用（不区分场景）</option>
                {(Object.keys(SCENARIO_LABELS) as ScenarioKind[]).map((k) => (
                  <option key={k} value={k}>
                    {SCENARIO_LABELS[k]}
                  </option>
                ))}
              </select>
              <FieldError id="scenarioKind" message={errors.scenarioKind} />
            </label>
            <label>
              场景值
              <input
                name="scenarioValue"
                defaultValue={v('scenarioValue')}
                autoComplete="off"
                placeholder="如诊断编码前缀 S72，或手术关键词 髋关节置换"
                {...fieldAria('scenarioValue', errors['scenarioValue'])}
              />
              <FieldError id="scenarioValue" message={errors.scenarioValue} />
            </label>
          </div>
          <label>
            出院问候语（出院当天发送，含注意事项）
            <textarea name="greetingText" defaultValue={v('greetingText')} rows={3} {...fieldAria('greetingText', errors['greetingText'])} />
            <small className="hint">
              可用占位符(发送时按患者本次住院填写):{Object.entries(TEMPLATE_PLACEHOLDERS).map(([k, label]) => `{${k}} ${label}`).join(' · ')}
            </small>
            <FieldError id="greetingText" message={errors.greetingText} />
          </label>
          <label className="check">
            <input type="checkbox" name="active" defaultChecked={v('active') === 'on'} />
            启用
          </label>

          <div>
            <h3 style={{ margin: '0 0 0.4rem', fontSize: '1rem' }}>随访节点</h3>
            <p className="hint">
              时间按“出院后第 N 天”（当天 9:00 到期）；“秒”仅用于测试和演示。时间和模板都空着的行不会保存。
            </p>
            <FieldError id="touchpoints" message={errors.touchpoints} />
          </div>
          <table className="grid">
            <thead>
              <tr>
                <th>#</th>
                <th>时间</th>
                <th>模板</th>
                <th>渠道</th>
                <th>最多尝试次数</th>
                <th>重试间隔(小时)</th>
              </tr>
            </thead>
            <tbody>
              {Array.from({ length: rowCount }, (_, i) => {
                const n = (k: string) => `t${i}.${k}`;
                const label = `第 ${i + 1} 个节点`;
                const code = v(n('templateCode'));
                return (
                  <tr key={i}>
                    <td>{i + 1}</td>
                    <td>
                      <div className="timing">
                        <span aria-hidden="true">第</span>
                        <input
                          name={n('amount')}
                          inputMode="numeric"
                          defaultValue={v(n('amount'))}
                          aria-label={`${label} 时间`}
                          autoComplete="off"
                          {...fieldAria(n('amount'), errors[n('amount')])}
                        />
                        <select name={n('unit')} defaultValue={v(n('unit'), 'days')} aria-label={`${label} 时间单位`}>
                          <option value="days">天</option>
                          {(secondOffsetsAllowed || v(n('unit')) === 'seconds') && <option value="seconds">秒（测试/演示）</option>}
                        </select>
                      </div>
                      <FieldError id={n('amount')} message={errors[n('amount')]} />
                    </td>
                    <td>
                      <select name={n('templateCode')} defaultValue={code} aria-label={`${label} 模板`} {...fieldAria(n('templateCode'), errors[n('templateCode')])}>
                        <option value="">选择模板…</option>
                        {code !== '' && !templateNames.has(code) && <option value={code}>{code}（不存在）</option>}
                        {templates.map((t) => (
                          <option key={t.code} value={t.code}>
                            {t.name}（{t.code}）
                          </option>
                        ))}
                      </select>
                      <FieldError id={n('templateCode')} message={errors[n('templateCode')]} />
                    </td>
                    <td>
                      <select name={n('channel')} defaultValue={v(n('channel'), 'phone')} aria-label={`${label} 渠道`} {...fieldAria(n('channel'), errors[n('channel')])}>
                        {CHANNELS.map((c) => (
                          <option key={c} value={c}>
                            {CHANNEL_LABELS[c]}
                          </option>
                        ))}
                      </select>
                      <FieldError id={n('channel')} message={errors[n('channel')]} />
                    </td>
                    <td>
                      <input
                        name={n('maxAttempts')}
                        inputMode="numeric"
                        defaultValue={v(n('maxAttempts'), '3')}
                        aria-label={`${label} 最多尝试次数`}
                        autoComplete="off"
                        {...fieldAria(n('maxAttempts'), errors[n('maxAttempts')])}
                      />
                      <FieldError id={n('maxAttempts')} message={errors[n('maxAttempts')]} />
                    </td>
                    <td>
                      <input
                        name={n('retryHours')}
                        inputMode="decimal"
                        defaultValue={v(n('retryHours'), '24')}
                        aria-label={`${label} 重试间隔(小时)`}
                        autoComplete="off"
                        {...fieldAria(n('retryHours'), errors[n('retryHours')])}
                      />
                      <FieldError id={n('retryHours')} message={errors[n('retryHours')]} />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <div className="actions">
            <button type="submit" disabled={navigation.state === 'submitting'}>
              {navigation.state === 'submitting' ? '保存中…' : '保存规则'}
            </button>
            <Link to="/admin/rules">取消</Link>
            <span className="hint">保存后只影响之后安排的随访。</span>
          </div>
        </Form>
      )}

      <h2>
        全部规则 <span className="count">{rules.length}</span>
      </h2>
      <table className="grid">
        <thead>
          <tr>
            <th>科室</th>
            <th>名称</th>
            <th>场景</th>
            <th>随访节点</th>
            <th>状态</th>
            <th>更新时间</th>
            <th>操作</th>
          </tr>
        </thead>
        <tbody>
          {rules.map((r) => (
            <tr key={r.id}>
              <td>{r.departmentCode ? (r.departmentName ?? r.departmentCode) : <strong>全院默认</strong>}</td>
              <td>{r.name}</td>
              <td>{r.scenarioKind ? `${SCENARIO_LABELS[r.scenarioKind]}：${r.scenarioValue ?? ''}` : <span className="muted">通用</span>}</td>
              <td>
                {r.touchpoints.map((tp, i) => (
                  <div key={i}>
                    {describeTiming(tp)} · {CHANNEL_LABELS[tp.channel] ?? tp.channel} · {templateNames.get(tp.templateCode) ?? tp.templateCode}
                    <span className="muted"> · 最多 {tp.maxAttempts} 次</span>
                  </div>
                ))}
              </td>
              <td>{r.active ? <span className="tag on">启用</span> : <span className="tag">停用</span>}</td>
              <td>{new Date(r.updatedAt).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai' })}</td>
              <td>
                <Link to={`/admin/rules?id=${r.id}`} aria-label={`编辑规则 ${r.name}`}>
                  编辑
                </Link>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {rules.length === 0 && <p className="empty">还没有随访规则。</p>}
    </>
  );
}
