/**
 * /admin/users/new and /admin/users/:id — one account's form: username and initial password when
 * new (the owner must change it at first sign-in), name, role, department, and the agent's phone
 * or extension, and the phone click-to-call rings first (坐席电话). Errors stand next to their field and keep what was typed.
 */
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { useEffect, useRef } from 'react';
import { ROLE_LABELS, ROLES } from '../../domain/access.js';
import { orRespond, requireUser } from '../auth.server.js';
import { formFailure, formValues } from '../components/admin/form-problems.js';
import { FieldError, fieldAria } from '../components/FieldError.js';

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.user ? `编辑 ${data.user.displayName}` : '新建用户'} · 随访管理平台` }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const admin = await requireUser(request, context, ['admin']);
  const id = params.id ?? '';
  const [user, departments] = await Promise.all([
    id === 'new' ? Promise.resolve(null) : orRespond(context.services.users.get(admin, id)),
    context.services.directory.departments(),
  ]);
  return { user, departments, minLength: context.services.env.PASSWORD_MIN_LENGTH };
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const admin = await requireUser(request, context, ['admin']);
  const values = formValues(await request.formData());
  const profile = {
    displayName: values.displayName ?? '',
    role: values.role ?? '',
    departmentCode: values.departmentCode || null,
    phone: values.phone ?? '',
    extension: values.extension ?? '',
    callPhone: values.callPhone ?? '',
  };
  try {
    if (params.id === 'new') {
      const created = await context.services.users.create(admin, { ...profile, username: values.username ?? '', password: values.password ?? '' }, context.meta);
      return redirect(`/admin/users?created=${encodeURIComponent(created.username)}`);
    }
    await context.services.users.update(admin, params.id ?? '', profile, context.meta);
    return redirect('/admin/users');
  } catch (err) {
    const { failure, status } = formFailure(err, values);
    return data(failure, { status });
  }
}

export default function UserForm() {
  const { user, departments, minLength } = useLoaderData<typeof loader>();
  const failure = useActionData<typeof action>();
  const navigation = useNavigation();
  const formRef = useRef<HTMLFormElement>(null);
  const v = failure?.values ?? {
    username: user?.username ?? '',
    displayName: user?.displayName ?? '',
    role: user?.role ?? 'agent',
    departmentCode: user?.departmentCode ?? '',
    phone: user?.phone ?? '',
    extension: user?.extension ?? '',
    callPhone: user?.callPhone ?? '',
  };
  const e = failure?.errors ?? {};
  useEffect(() => {
    if (failure) formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [failure]);
  const isNew = user === null;
  return (
    <>
      <h1>{isNew ? '新建用户' : `编辑用户 · ${user.displayName}`}</h1>
      <Form method="post" className="admin-form" ref={formRef} key={failure ? 'failed' : 'fresh'} noValidate>
        {failure && (
          <p className="error-summary" role="alert">
            {failure.message}
          </p>
        )}
        <div className="fields">
          {isNew ? (
            <label>
              用户名（登录名）
              <input name="username" defaultValue={v.username} autoComplete="off" autoFocus {...fieldAria('username', e.username)} />
              <FieldError id="username" message={e.username} />
            </label>
          ) : (
            <p>
              用户名 <span className="mono">{user.username}</span>
            </p>
          )}
          <label>
            姓名
            <input name="displayName" defaultValue={v.displayName} autoFocus={!isNew} {...fieldAria('displayName', e.displayName)} />
            <FieldError id="displayName" message={e.displayName} />
          </label>
        </div>
        <div className="fields">
          <label>
            角色
            <select name="role" defaultValue={v.role} {...fieldAria('role', e.role)}>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {ROLE_LABELS[r]}
                </option>
              ))}
            </select>
            <FieldError id="role" message={e.role} />
          </label>
          <label>
            科室
            <select name="departmentCode" defaultValue={v.departmentCode} {...fieldAria('departmentCode', e.departmentCode)}>
              <option value="">（无，管理层与管理员）</option>
              {departments.map((d) => (
                <option key={d.code} value={d.code}>
                  {d.name}
                </option>
              ))}
            </select>
            <FieldError id="departmentCode" message={e.departmentCode} />
          </label>
        </div>
        <div className="fields">
          <label>
            电话（客服外呼用）
            <input name="phone" defaultValue={v.phone} inputMode="tel" {...fieldAria('phone', e.phone)} />
            <FieldError id="phone" message={e.phone} />
          </label>
          <label>
            分机
            <input name="extension" defaultValue={v.extension} inputMode="numeric" {...fieldAria('extension', e.extension)} />
            <FieldError id="extension" message={e.extension} />
          </label>
        </div>
        <label>
          坐席电话（一键拨号时先呼叫此号）
          <input name="callPhone" defaultValue={v.callPhone} inputMode="tel" autoComplete="off" {...fieldAria('callPhone', e.callPhone)} />
          <span className="hint">手机号、带区号的座机号或 2–8 位分机号；点“拨打”时先响这部电话，接起后再呼叫患者，患者号码不会显示。</span>
          <FieldError id="callPhone" message={e.callPhone} />
        </label>
        {isNew && (
          <label>
            初始密码
            <input name="password" type="password" autoComplete="new-password" {...fieldAria('password', e.password)} />
            <span className="hint">至少 {minLength} 位，含小写字母、大写字母、数字、符号中的三类；本人首次登录时须修改。</span>
            <FieldError id="password" message={e.password} />
          </label>
        )}
        <div className="actions">
          <button type="submit" disabled={navigation.state !== 'idle'}>
            {navigation.state !== 'idle' ? '保存中…' : isNew ? '创建用户' : '保存'}
          </button>
          <Link to="/admin/users">返回用户列表</Link>
        </div>
      </Form>
    </>
  );
}
