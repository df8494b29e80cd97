/**
 * /admin/mappings — HIS department codes → departments (科室映射). Discharges whose HIS code maps
 * to no department wait in 未分配科室; mapping the code moves them, and their open follow-up
 * tasks, to the department.
 */
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { useEffect, useRef } from 'react';
import { isServiceError, type FieldProblem } from '../../services/errors.js';
import { orRespond, requireUser } from '../auth.server.js';
import { FieldError, fieldAria } from '../components/FieldError.js';

export const meta: MetaFunction = () => [{ title: '科室映射 · 随访管理平台' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context, ['admin']);
  const url = new URL(request.url);
  const [unmapped, mappings, departments] = await Promise.all([
    orRespond(context.services.plans.unmappedCodes(user)),
    orRespond(context.services.plans.mappings(user)),
    context.services.directory.departments(),
  ]);
  const edit = url.searchParams.get('hisCode');
  return { unmapped, mappings, departments, edit: edit ? (mappings.find((m) => m.hisCode === edit) ?? null) : null };
}

type Outcome =
  | { ok: true; message: string }
  | { ok: false; form: 'row' | 'edit' | 'delete'; hisCode: string; errors: Record<string, string>; values: Record<string, string> };

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireUser(request, context, ['admin']);
  const form = await request.formData();
  const values: Record<string, string> = {};
  for (const [key, value] of form) if (typeof value === 'string') values[key] = value;
  const hisCode = (values.hisCode ?? '').trim();
  const which = values.form === 'row' ? 'row' : values.intent === 'delete' ? 'delete' : 'edit';
  try {
    if (values.intent === 'delete') {
      await context.services.plans.deleteMapping(user, hisCode, context.meta);
      return data<Outcome>({ ok: true, message: `已删除 HIS 科室代码 ${hisCode} 的映射。已移入科室的记录保持不变；之后以此代码发来的出院将进入未分配科室。` });
    }
    const r = await context.services.plans.saveMapping(
      user,
      { hisCode, departmentCode: values.departmentCode ?? '', note: values.note || null },
      context.meta,
    );
    const department = (await context.services.directory.department(r.departmentCode))?.name ?? r.departmentCode;
    const moved =
      r.encountersMoved + r.tasksMoved > 0
        ? `移入 ${r.encountersMoved} 个就诊、${r.tasksMoved} 个待随访任务${r.tasksMoved > 0 ? `（${r.tasksAssigned} 个已分配给该科室客服）` : ''}${r.alertsMoved > 0 ? `、${r.alertsMoved} 条预警` : ''}。`
        : '没有需要移动的未分配记录。';
    return data<Outcome>({ ok: true, message: `已将 HIS 科室代码 ${r.hisCode} 映射到 ${department}：${moved}` });
  } catch (err) {
    if (isServiceError(err) && (err.code === 'invalid_input' || err.status === 404)) {
      const problems: FieldProblem[] =
        err.code === 'invalid_input' ? ((err.details?.problems ?? []) as FieldProblem[]) : [{ field: 'hisCode', message: err.message }];
      const errors: Record<string, string> = {};
      for (const p of problems) errors[p.field] = errors[p.field] ? `${errors[p.field]}；${p.message}` : p.message;
      return data<Outcome>({ ok: false, form: which, hisCode, errors, values }, { status: err.status === 404 ? 404 : 400 });
    }
    if (isServiceError(err)) throw new Response(err.message, { status: err.status });
    throw err;
  }
}

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai' }) : '—');

export default function Mappings() {
  const { unmapped, mappings, departments, edit } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const busy = navigation.state === 'submitting';
  const pageRef = useRef<HTMLDivElement>(null);
  const clinical = departments.filter((d) => d.kind === 'clinical');
  const names = new Map(departments.map((d) => [d.code, d.name]));
  const failed = result && !result.ok ? result : null;
  const editErrors = failed?.form === 'edit' ? failed.errors : {};
  const editValues = failed?.form === 'edit' ? failed.values : edit ? { hisCode: edit.hisCode, departmentCode: edit.departmentCode, note: edit.note ?? '' } : {};

  useEffect(() => {
    if (failed) pageRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [failed]);

  return (
    <div ref={pageRef}>
      <h1>科室映射</h1>
      <p className="hint" style={{ marginBottom: '1rem' }}>
        HIS 发来的科室代码没有对应科室时，出院记录进入“未分配科室”，按全院默认规则随访，任务在未分配队列中等待。
        映射后，这些就诊和其中待随访的任务会移到所选科室并分配给该科室客服；之后以此代码发来的出院直接进入该科室。
        修改已有映射不会移动已经分配到科室的记录。
      </p>
      {result?.ok && (
        <p className="notice" role="status">
          {result.message}
        </p>
      )}
      {failed && failed.form === 'delete' && (
        <p className="error-summary" role="alert">
          {Object.values(failed.errors).join('；')}
        </p>
      )}

      <h2>
        未分配科室 <span className="count">{unmapped.length}</span>
      </h2>
      {unmapped.length === 0 ? (
        <p className="empty">没有未分配科室的出院记录。</p>
      ) : (
        <table className="grid">
          <thead>
            <tr>
              <th>HIS 科室代码</th>
              <th>就诊</th>
              <th>待随访任务</th>
              <th>最近出院</th>
              <th>映射到</th>
            </tr>
          </thead>
          <tbody>
            {unmapped.map((u, i) => {
              const rowError = failed?.form === 'row' && failed.hisCode === u.hisCode ? Object.values(failed.errors).join('；') : undefined;
              const id = `map-${i}`;
              return (
                <tr key={u.hisCode}>
                  <td className="mono">{u.hisCode}</td>
                  <td>{u.encounters}</td>
                  <td>{u.openTasks}</td>
                  <td>{when(u.lastDischargedAt)}</td>
                  <td>
                    <Form method="post" className="inline-form">
                      <input type="hidden" name="form" value="row" />
                      <input type="hidden" name="intent" value="save" />
                      <input type="hidden" name="hisCode" value={u.hisCode} />
                      <select
                        name="departmentCode"
                        defaultValue={u.mappedTo ?? ''}
                        aria-label={`将 ${u.hisCode} 映射到`}
                        autoFocus={i === 0 && !edit}
                        {...fieldAria(id, rowError)}
                      >
                        <option value="">选择科室…</option>
                        {clinical.map((d) => (
                          <option key={d.code} value={d.code}>
                            {d.name}
                          </option>
                        ))}
                      </select>
                      <button type="submit" className="small-button" disabled={busy}>
                        映射
                      </button>
                    </Form>
                    {u.mappedTo && <p className="hint">已有映射到 {names.get(u.mappedTo) ?? u.mappedTo}，这些记录在映射前到达：再次映射即可移入。</p>}
                    <FieldError id={id} message={rowError} />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}

      <Form method="post" className="admin-form" style={{ marginTop: '1.5rem' }} key={edit?.hisCode ?? 'new'} noValidate>
        <h2>{edit ? `修改映射 ${edit.hisCode}` : '新增映射'}</h2>
        <input type="hidden" name="form" value="edit" />
        <input type="hidden" name="intent" value="save" />
        <div className="fields">
          <label>
            HIS 科室代码
            <input
              name="hisCode"
              className="mono"
              defaultValue={editValues.hisCode ?? ''}
              readOnly={Boolean(edit)}
              autoFocus={edit ? false : unmapped.length === 0}
              autoComplete="off"
              {...fieldAria('hisCode', editErrors.hisCode)}
            />
            <FieldError id="hisCode" message={editErrors.hisCode} />
          </label>
          <label>
            科室
            <select name="departmentCode" defaultValue={editValues.departmentCode ?? ''} autoFocus={Boolean(edit)} {...fieldAria('departmentCode', editErrors.departmentCode)}>
              <option value="">选择科室…</option>
              {clinical.map((d) => (
                <option key={d.code} value={d.code}>
                  {d.name}
                </option>
              ))}
            </select>
            <FieldError id="departmentCode" message={editErrors.departmentCode} />
          </label>
          <label>
            备注
            <input name="note" defaultValue={editValues.note ?? ''} autoComplete="off" placeholder="如 PV1-3 病区代码" {...fieldAria('note', editErrors.note)} />
            <FieldError id="note" message={editErrors.note} />
          </label>
        </div>
        <div className="actions">
          <button type="submit" disabled={busy}>
            保存映射
          </button>
          {edit && <Link to="/admin/mappings">取消</Link>}
        </div>
      </Form>

      <h2>
        已有映射 <span className="count">{mappings.length}</span>
      </h2>
      {mappings.length === 0 ? (
        <p className="empty">还没有映射。与科室代码相同的 HIS 代码无需映射。</p>
      ) : (
        <table className="grid">
          <thead>
            <tr>
              <th>HIS 科室代码</th>
              <th>科室</th>
              <th>备注</th>
              <th>就诊</th>
              <th>更新时间</th>
              <th>操作</th>
            </tr>
          </thead>
          <tbody>
            {mappings.map((m) => (
              <tr key={m.hisCode}>
                <td className="mono">{m.hisCode}</td>
                <td>{m.departmentName}</td>
                <td>{m.note ?? '—'}</td>
                <td>{m.encounters}</td>
                <td>{when(m.updatedAt)}</td>
                <td>
                  <div className="inline-form">
                    <Link to={`/admin/mappings?hisCode=${encodeURIComponent(m.hisCode)}`} aria-label={`修改 ${m.hisCode} 的映射`}>
                      修改
                    </Link>
                    <Form
                      method="post"
                      className="inline-form"
                      onSubmit={(event) => {
                        if (!window.confirm(`删除 ${m.hisCode} → ${m.departmentName} 的映射？已移入科室的记录不会移回。`)) event.preventDefault();
                      }}
                    >
                      <input type="hidden" name="intent" value="delete" />
                      <input type="hidden" name="hisCode" value={m.hisCode} />
                      <button type="submit" className="small-button danger-button" disabled={busy} aria-label={`删除 ${m.hisCode} 的映射`}>
                        删除
                      </button>
                    </Form>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
