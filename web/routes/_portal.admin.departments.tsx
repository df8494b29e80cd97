/**
 * /admin/departments — clinical and functional departments: code, name, kind, head, whether
 * discharges start a follow-up (a pilot enables a few and widens later), and the HIS codes mapped
 * to each (edited on /admin/mappings). `?edit=<code>` puts one department in the form.
 */
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation, useSearchParams } from '@remix-run/react';
import { useEffect, useRef } from 'react';
import { orRespond, requireUser } from '../auth.server.js';
import { formFailure, formValues } from '../components/admin/form-problems.js';
import { FieldError, fieldAria } from '../components/FieldError.js';

export const meta: MetaFunction = () => [{ title: '科室管理 · 随访管理平台' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const admin = await requireUser(request, context, ['admin']);
  const [departments, users] = await Promise.all([orRespond(context.services.directory.departmentDetails(admin)), orRespond(context.services.users.list(admin))]);
  const staff = users.filter((u) => u.active && u.departmentCode).map((u) => ({ id: u.id, displayName: u.displayName, departmentCode: u.departmentCode! }));
  return { departments, staff };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const admin = await requireUser(request, context, ['admin']);
  const values = formValues(await request.formData());
  const create = values.mode !== 'edit';
  try {
    const saved = await context.services.directory.saveDepartment(
      admin,
      { code: values.code ?? '', name: values.name ?? '', kind: values.kind ?? '', headUserId: values.headUserId || null, followUpEnabled: values.followUpEnabled === 'on' },
      context.meta,
      { create },
    );
    return redirect(`/admin/departments?saved=${encodeURIComponent(saved.code)}`);
  } catch (err) {
    const { failure, status } = formFailure(err, values);
    return data(failure, { status });
  }
}

export default function Departments() {
  const { departments, staff } = useLoaderData<typeof loader>();
  const failure = useActionData<typeof action>();
  const navigation = useNavigation();
  const [params] = useSearchParams();
  const formRef = useRef<HTMLFormElement>(null);
  const editing = departments.find((d) => d.code === (failure?.values.mode === 'edit' ? failure.values.code : params.get('edit')));
  const saved = departments.find((d) => d.code === params.get('saved'));
  const v = failure?.values ?? {
    code: editing?.code ?? '',
    name: editing?.name ?? '',
    kind: editing?.kind ?? 'clinical',
    headUserId: editing?.headUserId ?? '',
    followUpEnabled: editing && !editing.followUpEnabled ? '' : 'on',
  };
  const e = failure?.errors ?? {};
  useEffect(() => {
    if (failure) formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [failure]);
  const heads = staff.filter((s) => s.departmentCode === (editing?.code ?? v.code));
  return (
    <>
      <h1>科室管理</h1>
      {saved && !failure && (
        <p className="notice" role="status">
          已保存 {saved.name}。
        </p>
      )}
      <Form method="post" className="admin-form" ref={formRef} key={`${editing?.code ?? 'new'}-${failure ? 'failed' : 'fresh'}`} noValidate>
        <h2>{editing ? `编辑 · ${editing.name}` : '新建科室'}</h2>
        {failure && (
          <p className="error-summary" role="alert">
            {failure.message}
          </p>
        )}
        <input type="hidden" name="mode" value={editing ? 'edit' : 'create'} />
        <div className="fields">
          <label>
            科室代码
            {editing ? (
              <>
                <input type="hidden" name="code" value={editing.code} />
                <span className="mono"> {editing.code}</span>
              </>
            ) : (
              <input name="code" defaultValue={v.code} autoComplete="off" {...fieldAria('code', e.code)} />
            )}
            <FieldError id="code" message={e.code} />
          </label>
          <label>
            科室名称
            <input name="name" defaultValue={v.name} {...fieldAria('name', e.name)} />
            <FieldError id="name" message={e.name} />
          </label>
          <label>
            类型
            <select name="kind" defaultValue={v.kind} {...fieldAria('kind', e.kind)}>
              <option value="clinical">临床科室</option>
              <option value="functional">职能科室</option>
            </select>
            <FieldError id="kind" message={e.kind} />
          </label>
          <label>
            科室主任
            <select name="headUserId" defaultValue={v.headUserId} disabled={!editing} {...fieldAria('headUserId', e.headUserId)}>
              <option value="">{editing ? '（未指定）' : '（建科室后在本科室人员中指定）'}</option>
              {heads.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.displayName}
                </option>
              ))}
            </select>
            <FieldError id="headUserId" message={e.headUserId} />
          </label>
        </div>
        <label className="check">
          <input type="checkbox" name="followUpEnabled" defaultChecked={v.followUpEnabled === 'on'} />
          启用出院随访（停用时出院信息照常保存，但不发起随访）
        </label>
        <div className="actions">
          <button type="submit" disabled={navigation.state !== 'idle'}>
            {editing ? '保存' : '新建科室'}
          </button>
          {editing && <Link to="/admin/departments">取消编辑</Link>}
        </div>
      </Form>
      <table className="grid">
        <thead>
          <tr>
            <th>代码</th>
            <th>名称</th>
            <th>类型</th>
            <th>科室主任</th>
            <th>随访</th>
            <th>HIS 科室代码</th>
            <th>在职人员</th>
            <th>操作</th>
          </tr>
        </thead>
        <tbody>
          {departments.map((d) => (
            <tr key={d.code}>
              <td className="mono">{d.code}</td>
              <td>{d.name}</td>
              <td>{d.kind === 'clinical' ? '临床科室' : '职能科室'}</td>
              <td>{d.headName ?? '—'}</td>
              <td>{d.followUpEnabled ? '已启用' : <span className="muted">未启用</span>}</td>
              <td className="mono small">{d.hisCodes.length ? d.hisCodes.join('、') : <Link to="/admin/mappings">去映射</Link>}</td>
              <td>{d.staffCount}</td>
              <td>
                <Link to={`/admin/departments?edit=${encodeURIComponent(d.code)}`} aria-label={`编辑 ${d.name}`}>
                  编辑
                </Link>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
