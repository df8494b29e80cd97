/**
 * /account/password — change one's own password. Everyone lands here after signing in with a
 * one-time password or an expired one, and can do nothing else until it is changed.
 */
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { useEffect, useRef } from 'react';
import { homePath } from '../../domain/access.js';
import { requireUser } from '../auth.server.js';
import { formFailure, formValues } from '../components/admin/form-problems.js';
import { FieldError, fieldAria } from '../components/FieldError.js';

export const meta: MetaFunction = () => [{ title: '修改密码 · 随访管理平台' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const { PASSWORD_MIN_LENGTH, PASSWORD_HISTORY } = context.services.env;
  return { forced: user.mustChangePassword === true, minLength: PASSWORD_MIN_LENGTH, history: PASSWORD_HISTORY };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireUser(request, context);
  const values = formValues(await request.formData());
  try {
    if (values.newPassword !== values.confirmPassword) {
      return data({ ok: false as const, errors: { confirmPassword: '两次输入的新密码不一致' }, message: '两次输入的新密码不一致', values: {} }, { status: 400 });
    }
    await context.services.users.changePassword(user, { currentPassword: values.currentPassword ?? '', newPassword: values.newPassword ?? '' }, context.meta);
    return redirect(`${homePath(user.role)}?passwordChanged=1`);
  } catch (err) {
    // Passwords are never sent back into the form.
    const { failure, status } = formFailure(err, {});
    return data(failure, { status });
  }
}

export default function ChangePassword() {
  const { forced, minLength, history } = useLoaderData<typeof loader>();
  const failure = useActionData<typeof action>();
  const navigation = useNavigation();
  const formRef = useRef<HTMLFormElement>(null);
  const e: Record<string, string | undefined> = failure?.errors ?? {};
  useEffect(() => {
    if (failure) formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [failure]);
  return (
    <>
      <h1>修改密码</h1>
      {forced && (
        <p className="notice" role="status">
          您正在使用一次性密码或密码已过期，请先设置新密码再继续使用。
        </p>
      )}
      <Form method="post" className="admin-form" ref={formRef} style={{ maxWidth: '28rem' }} noValidate>
        <label>
          当前密码
          <input name="currentPassword" type="password" autoComplete="current-password" autoFocus {...fieldAria('currentPassword', e.currentPassword)} />
          <FieldError id="currentPassword" message={e.currentPassword} />
        </label>
        {/* The rules are described by, not part of, the field's name. */}
        <div>
          <label htmlFor="newPassword">新密码</label>
          <input
            id="newPassword"
            name="newPassword"
            type="password"
            autoComplete="new-password"
            {...fieldAria('newPassword', e.newPassword)}
            aria-describedby={e.newPassword ? 'newPassword-hint newPassword-error' : 'newPassword-hint'}
          />
          <p className="hint" id="newPassword-hint">
            至少 {minLength} 位，含小写字母、大写字母、数字、符号中的三类，不含用户名，不能与最近 {history} 次的密码相同。
          </p>
          <FieldError id="newPassword" message={e.newPassword} />
        </div>
        <label>
          再次输入新密码
          <input name="confirmPassword" type="password" autoComplete="new-password" {...fieldAria('confirmPassword', e.confirmPassword)} />
          <FieldError id="confirmPassword" message={e.confirmPassword} />
        </label>
        <div className="actions">
          <button type="submit" disabled={navigation.state !== 'idle'}>
            {navigation.state !== 'idle' ? '保存中…' : '保存新密码'}
          </button>
        </div>
      </Form>
    </>
  );
}
