/**
 * /admin/templates — question templates (问卷模板). Saving never changes a version: it creates the
 * next one, so follow-ups already planned keep the questions they were planned with.
 */
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { useEffect, useRef } from 'react';
import { MAX_CORE_QUESTIONS, type Question, type QuestionType, type RedFlagRule } from '../../domain/questions.js';
import { isServiceError, type FieldProblem } from '../../services/errors.js';
import type { TemplateVersion } from '../../services/plans.js';
import { orRespond, requireUser } from '../auth.server.js';
import { FieldError, fieldAria } from '../components/FieldError.js';

export const meta: MetaFunction = () => [{ title: '问卷模板 · 随访管理平台' }];

const TYPE_LABELS: Record<QuestionType, string> = { rating: '评分 1–5', yes_no: '是否', choice: '单选', text: '简答' };
const OP_LABELS: Record<RedFlagRule['op'], string> = { eq: '等于', gte: '大于等于 (≥)', lte: '小于等于 (≤)', in: '属于其中之一' };
const QUESTION_ID_RE = /^[a-z][a-z0-9_]{0,31}$/;

/** Form values by input name (q0.text, q0.type …), as posted or as derived from a version. */
type Values = Record<string, string>;

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context, ['admin']);
  const url = new URL(request.url);
  const code = url.searchParams.get('code');
  const [templates, departments, detail] = await Promise.all([
    orRespond(context.services.plans.templates(user)),
    context.services.directory.departments(),
    code ? orRespond(context.services.plans.template(user, code)) : null,
  ]);
  const saved = Number(url.searchParams.get('saved')) || null;
  return { templates, departments, detail, creating: !code && url.searchParams.has('new'), saved };
}

function flagValueText(rule: RedFlagRule | undefined): string {
  if (!rule) return '';
  if (Array.isArray(rule.value)) return rule.value.join('，');
  if (typeof rule.value === 'boolean') return rule.value ? '是' : '否';
  return String(rule.value);
}

function valuesOf(version: TemplateVersion): Values {
  const values: Values = { mode: 'existing', code: version.code, name: version.name, departmentCode: version.departmentCode ?? '' };
  version.questions.forEach((q, i) => {
    values[`q${i}.id`] = q.id;
    values[`q${i}.text`] = q.text;
    values[`q${i}.type`] = q.type;
    values[`q${i}.options`] = (q.options ?? []).join('，');
    values[`q${i}.flagOp`] = q.redFlag?.op ?? '';
    values[`q${i}.flagValue`] = flagValueText(q.redFlag);
    values[`q${i}.required`] = q.required === undefined ? '' : String(q.required);
  });
  return values;
}

const splitList = (text: string) =>
  text
    .split(/[,，、;；]/)
    .map((s) => s.trim())
    .filter((s) => s !== '');

/** The red-flag value typed for a question of this type; left as typed when it cannot be read (the service explains). */
function parseFlagValue(type: string, op: string, raw: string): unknown {
  const text = raw.trim();
  if (op === 'in') return splitList(text);
  if (type === 'rating') return /^\d+$/.test(text) ? Number(text) : text;
  if (type === 'yes_no') {
    if (['是', 'true', 'yes', '有'].includes(text.toLowerCase())) return true;
    if (['否', 'false', 'no', '无'].includes(text.toLowerCase())) return false;
  }
  return text;
}

/** Questions from the posted rows (blank rows skipped), and the row of each question. */
function questionsFromForm(values: Values): { questions: Record<string, unknown>[]; rows: number[] } {
  const indexes = new Set<number>();
  for (const key of Object.keys(values)) {
    const m = /^q(\d+)\./.exec(key);
    if (m) indexes.add(Number(m[1]));
  }
  const rows = [...indexes].sort((a, b) => a - b).filter((i) => {
    const v = (k: string) => (values[`q${i}.${k}`] ?? '').trim();
    return v('text') !== '' || v('options') !== '' || v('flagOp') !== '';
  });
  const taken = new Set(rows.map((i) => values[`q${i}.id`] ?? '').filter((id) => QUESTION_ID_RE.test(id)));
  let next = 1;
  const questions = rows.map((i) => {
    const v = (k: string) => values[`q${i}.${k}`] ?? '';
    let id = v('id');
    if (!QUESTION_ID_RE.test(id)) {
      while (taken.has(`q${next}`)) next++;
      id = `q${next}`;
      taken.add(id);
    }
    const type = v('type');
    const q: Record<string, unknown> = { id, text: v('text').trim(), type };
    if (type === 'choice' || v('options').trim() !== '') q.options = splitList(v('options'));
    if (v('flagOp') !== '') q.redFlag = { op: v('flagOp'), value: parseFlagValue(type, v('flagOp'), v('flagValue')) };
    if (v('required') === 'true' || v('required') === 'false') q.required = v('required') === 'true';
    return q;
  });
  return { questions, rows };
}

/** Service problem fields (questions.2.options) as form input names (q3.options when blank row 2 was skipped). */
function errorsByInput(problems: FieldProblem[], rows: number[]): Record<string, string> {
  const errors: Record<string, string> = {};
  const add = (key: string, message: string) => {
    errors[key] = errors[key] ? `${errors[key]}；${message}` : message;
  };
  for (const p of problems) {
    const m = /^questions\.(\d+)(?:\.(\w+))?/.exec(p.field);
    if (!m) {
      add(p.field, p.message);
      continue;
    }
    const row = rows[Number(m[1])] ?? Number(m[1]);
    const input = { type: 'type', options: 'options', redFlag: 'flagValue' }[m[2] ?? ''] ?? 'text';
    add(`q${row}.${input}`, p.message);
  }
  return errors;
}

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireUser(request, context, ['admin']);
  const form = await request.formData();
  const values: Values = {};
  for (const [key, value] of form) if (typeof value === 'string') values[key] = value;
  const { questions, rows } = questionsFromForm(values);
  const code = (values.code ?? '').trim();
  try {
    if (values.mode !== 'existing' && code !== '') {
      const existing = (await context.services.plans.templates(user)).find((t) => t.code === code);
      if (existing) {
        return data(
          { values, errors: { code: `模板代码“${code}”已被“${existing.name}”使用：请在列表中点“编辑”修改它，或换一个代码` } as Record<string, string> },
          { status: 400 },
        );
      }
    }
    const saved = await context.services.plans.saveTemplate(
      user,
      { code, name: values.name ?? '', departmentCode: values.departmentCode || null, questions },
      context.meta,
    );
    return redirect(`/admin/templates?code=${encodeURIComponent(saved.code)}&saved=${saved.version}`);
  } catch (err) {
    if (isServiceError(err) && err.code === 'invalid_input') {
      const problems = (err.details?.problems ?? []) as FieldProblem[];
      return data({ values, errors: errorsByInput(problems, rows) }, { status: 400 });
    }
    if (isServiceError(err)) throw new Response(err.message, { status: err.status });
    throw err;
  }
}

function describeFlag(q: Question): string | null {
  if (!q.redFlag) return null;
  return `预警：${OP_LABELS[q.redFlag.op]} ${flagValueText(q.redFlag)}`;
}

export default function Templates() {
  const { templates, departments, detail, creating, saved } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const formRef = useRef<HTMLFormElement>(null);
  const latest = detail?.versions[0] ?? null;
  const editing = latest !== null || creating;
  const values: Values = result?.values ?? (latest ? valuesOf(latest) : { mode: 'new' });
  const errors: Record<string, string> = result?.errors ?? {};
  const errorCount = Object.keys(errors).length;
  const knownInputs = new Set(['code', 'name', 'departmentCode', 'questions']);
  const unplaced = Object.entries(errors).filter(([k]) => !knownInputs.has(k) && !/^q\d+\./.test(k));
  const names = new Map(departments.map((d) => [d.code, d.name]));

  useEffect(() => {
    if (result?.errors) formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [result]);

  const v = (name: string, fallback = '') => values[name] ?? fallback;
  const isExisting = v('mode') === 'existing';

  return (
    <>
      <h1>问卷模板</h1>
      <p className="hint" style={{ marginBottom: '1rem' }}>
        每个模板最多 {MAX_CORE_QUESTIONS} 个问题。保存会生成新版本：已经安排的随访继续使用原版本的问题，之后安排的随访使用最新版本。
      </p>
      {saved && latest && (
        <p className="notice" role="status">
          已保存为“{latest.name}”第 {saved} 版。
        </p>
      )}
      <div className="toolbar">
        <Link to="/admin/templates?new=1" className="button-link">
          新建模板
        </Link>
      </div>

      {editing && (
        <Form method="post" className="admin-form" ref={formRef} key={latest ? `${latest.code}@${latest.version}` : 'new'} noValidate>
          <h2>{isExisting ? `编辑模板 ${v('code')}（保存为第 ${(latest?.version ?? 0) + 1} 版）` : '新建问卷模板'}</h2>
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
          <input type="hidden" name="mode" value={isExisting ? 'existing' : 'new'} />
          <div className="fields">
            {isExisting ? (
              <input type="hidden" name="code" value={v('code')} />
            ) : (
              <label>
                模板代码
                <input name="code" defaultValue={v('code')} autoFocus autoComplete="off" className="mono" placeholder="如 ortho_post_op" {...fieldAria('code', errors['code'])} />
                <FieldError id="code" message={errors.code} />
              </label>
            )}
            <label>
              模板名称
              <input name="name" defaultValue={v('name')} autoFocus={isExisting} autoComplete="off" {...fieldAria('name', errors['name'])} />
              <FieldError id="name" message={errors.name} />
            </label>
            <label>
              所属科室
              <select name="departmentCode" defaultValue={v('departmentCode')} {...fieldAria('departmentCode', errors['departmentCode'])}>
                <option value="">全院通用</option>
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
          </div>
          <FieldError id="questions" message={errors.questions} />
          <p className="hint">
            空白的问题行不会保存。选项用逗号分隔（仅单选题）。预警值：评分题填 1–5，是否题填“是”或“否”，单选题填一个选项（“属于其中之一”可填多个，逗号分隔）。
          </p>
          {Array.from({ length: MAX_CORE_QUESTIONS }, (_, i) => {
            const n = (k: string) => `q${i}.${k}`;
            return (
              <fieldset key={i} className="question-row">
                <legend>第 {i + 1} 题</legend>
                <input type="hidden" name={n('id')} value={v(n('id'))} />
                <input type="hidden" name={n('required')} value={v(n('required'))} />
                <div className="fields">
                  <label style={{ flexBasis: '100%' }}>
                    问题
                    <input name={n('text')} defaultValue={v(n('text'))} autoComplete="off" {...fieldAria(n('text'), errors[n('text')])} />
                    <FieldError id={n('text')} message={errors[n('text')]} />
                  </label>
                  <label>
                    题型
                    <select name={n('type')} defaultValue={v(n('type'), 'rating')} {...fieldAria(n('type'), errors[n('type')])}>
                      {(Object.keys(TYPE_LABELS) as QuestionType[]).map((t) => (
                        <option key={t} value={t}>
                          {TYPE_LABELS[t]}
                        </option>
                      ))}
                    </select>
                    <FieldError id={n('type')} message={errors[n('type')]} />
                  </label>
                  <label>
                    选项（单选题，逗号分隔）
                    <input name={n('options')} defaultValue={v(n('options'))} autoComplete="off" {...fieldAria(n('options'), errors[n('options')])} />
                    <FieldError id={n('options')} message={errors[n('options')]} />
                  </label>
                  <label>
                    预警条件
                    <select name={n('flagOp')} defaultValue={v(n('flagOp'))} {...fieldAria(n('flagValue'), errors[n('flagValue')])}>
                      <option value="">不预警</option>
                      {(Object.keys(OP_LABELS) as RedFlagRule['op'][]).map((op) => (
                        <option key={op} value={op}>
                          {OP_LABELS[op]}
                        </option>
                      ))}
                    </select>
                  </label>
                  <label>
                    预警值
                    <input name={n('flagValue')} defaultValue={v(n('flagValue'))} autoComplete="off" {...fieldAria(n('flagValue'), errors[n('flagValue')])} />
                    <FieldError id={n('flagValue')} message={errors[n('flagValue')]} />
                  </label>
                </div>
              </fieldset>
            );
          })}
          <div className="actions">
            <button type="submit" disabled={navigation.state === 'submitting'}>
              {navigation.state === 'submitting' ? '保存中…' : isExisting ? '保存为新版本' : '创建模板'}
            </button>
            <Link to="/admin/templates">取消</Link>
          </div>
        </Form>
      )}

      {detail && (
        <section className="versions">
          <h2>
            {detail.code} 的版本 <span className="count">{detail.versions.length}</span>
          </h2>
          {detail.versions.map((ver, i) => (
            <details key={ver.id} open={i === 0}>
              <summary>
                第 {ver.version} 版 · {ver.name} · {ver.questions.length} 题 · {new Date(ver.createdAt).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai' })}
                {ver.createdBy ? ` · ${ver.createdBy}` : ''}
                {i === 0 && <span className="tag on"> 最新</span>}
              </summary>
              <ol>
                {ver.questions.map((q) => (
                  <li key={q.id}>
                    {q.text} <span className="tag">{TYPE_LABELS[q.type]}</span>
                    {q.options && q.options.length > 0 && <span className="muted"> （{q.options.join(' / ')}）</span>}
                    {describeFlag(q) && <span className="flag"> {describeFlag(q)}</span>}
                  </li>
                ))}
              </ol>
            </details>
          ))}
        </section>
      )}

      <h2>
        全部模板 <span className="count">{templates.length}</span>
      </h2>
      <table className="grid">
        <thead>
          <tr>
            <th>代码</th>
            <th>名称</th>
            <th>科室</th>
            <th>最新版本</th>
            <th>问题数</th>
            <th>更新时间</th>
            <th>操作</th>
          </tr>
        </thead>
        <tbody>
          {templates.map((t) => (
            <tr key={t.code}>
              <td className="mono">{t.code}</td>
              <td>{t.name}</td>
              <td>{t.departmentCode ? (t.departmentName ?? names.get(t.departmentCode) ?? t.departmentCode) : '全院通用'}</td>
              <td>
                第 {t.version} 版{t.versions > 1 ? <span className="muted">（共 {t.versions} 版）</span> : null}
              </td>
              <td>{t.questionCount}</td>
              <td>{new Date(t.updatedAt).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai' })}</td>
              <td>
                <Link to={`/admin/templates?code=${encodeURIComponent(t.code)}`} aria-label={`编辑模板 ${t.name}`}>
                  编辑
                </Link>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {templates.length === 0 && <p className="empty">还没有问卷模板。</p>}
    </>
  );
}
