import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, useActionData, useNavigation, useSearchParams } from '@remix-run/react';
import { isServiceError } from '../../services/errors.js';
import { readSessionToken, sessionCookie } from '../../services/session-cookie.js';
import { homeOf } from '../auth.server.js';
import '../load-context.js';

export const meta: MetaFunction = () => [{ title: '登录 · 随访管理平台' }];

/** Only same-site paths are followed after sign-in (no open redirect). */
function safeNext(next: FormDataEntryValue | string | null): string | null {
  return typeof next === 'string' && next.startsWith('/') && !next.startsWith('//') ? next : null;
}

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await context.services.auth.userFromToken(readSessionToken(request.headers.get('cookie')));
  if (user) throw redirect(await homeOf(context, user));
  return null;
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await request.formData();
  try {
    const { token, user, expiresAt } = await context.services.auth.login(
      { username: form.get('username') ?? '', password: form.get('password') ?? '' },
      context.meta,
    );
    return redirect(safeNext(form.get('next')) ?? (await homeOf(context, user)), {
      headers: { 'Set-Cookie': sessionCookie(token, expiresAt, context.services.env.NODE_ENV === 'production') },
    });
  } catch (err) {
    if (isServiceError(err)) {
      return data({ error: err.message, username: String(form.get('username') ?? '') }, { status: err.status });
    }
    throw err;
  }
}

export default function Login() {
  const result = useActionData<typeof action>();
  const [params] = useSearchParams();
  const navigation = useNavigation();
  return (
    <main className="login">
      <Form method="post" className="card login-card">
        <h1>随访管理平台</h1>
        <p className="muted">出院随访 · 投诉闭环 · 门诊预约</p>
        <input type="hidden" name="next" value={params.get('next') ?? ''} />
        <label>
          用户名
          <input name="username" autoComplete="username" defaultValue={result?.username} autoFocus required />
        </label>
        <label>
          密码
          <input name="password" type="password" autoComplete="current-password" required />
        </label>
        {result?.error && (
          <p className="form-error" role="alert">
            {result.error}
          </p>
        )}
        <button type="submit" disabled={navigation.state !== 'idle'}>
          {navigation.state !== 'idle' ? '登录中…' : '登录'}
        </button>
      </Form>
    </main>
  );
}
