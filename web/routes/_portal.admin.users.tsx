/**
 * /admin/users — staff accounts: who has which role in which department, and per account edit,
 * reset to a one-time password (shown here once) and disable/enable. Accounts are never deleted.
 * Keys: `/` filter, `n` new user, `i` import a staff list.
 */
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigate, useNavigation } from '@remix-run/react';
import { useRef, useState } from 'react';
import { ROLE_LABELS } from '../../domain/access.js';
import { isServiceError } from '../../services/errors.js';
import { orRespond, requireUser } from '../auth.server.js';
import { useHotkeys } from '../components/useHotkeys.js';

export const meta: MetaFunction = () => [{ title: '用户管理 · 随访管理平台' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context, ['admin']);
  const created = new URL(request.url).searchParams.get('created');
  return { users: await orRespond(context.services.users.list(user)), me: user.id, created };
}

type Outcome = { ok: true; message: string; oneTimePassword?: string; username?: string } | { ok: false; message: string };

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireUser(request, context, ['admin']);
  const form = await request.formData();
  const id = String(form.get('id') ?? '');
  const intent = String(form.get('intent') ?? '');
  const { users } = context.services;
  try {
    if (intent === 'reset') {
      const { user: target, oneTimePassword } = await users.resetPassword(user, id, context.meta);
      return data<Outcome>({ ok: true, username: target.username, oneTimePassword, message: `已为 ${target.displayName}（${target.username}）生成一次性密码` });
    }
    if (intent === 'disable' || intent === 'enable') {
      const target = await users.setActive(user, id, intent === 'enable', context.meta);
      return data<Outcome>({ ok: true, message: `已${intent === 'enable' ? '启用' : '停用'} ${target.displayName}（${target.username}）${intent === 'disable' ? '，其登录已全部失效' : ''}` });
    }
    return data<Outcome>({ ok: false, message: '未知操作' }, { status: 400 });
  } catch (err) {
    if (isServiceError(err) && err.status !== 403) return data<Outcome>({ ok: false, message: err.message }, { status: err.status });
    throw err;
  }
}

export default function Users() {
  const { users, me, created } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const navigate = useNavigate();
  const [filter, setFilter] = useState('');
  const filterRef = useRef<HTMLInputElement>(null);
  useHotkeys({
    '/': () => filterRef.current?.focus(),
    n: () => navigate('/admin/users/new'),
    i: () => navigate('/admin/users/import'),
  });
  const q = filter.trim().toLowerCase();
  const shown = q
    ? users.filter((u) => [u.username, u.displayName, u.departmentName ?? '', ROLE_LABELS[u.role]].some((s) => s.toLowerCase().includes(q)))
    : users;
  return (
    <>
      <div className="page-head">
        <h1>用户管理 <span className="count">{users.filter((u) => u.active).length} 人在用</span></h1>
        <div className="page-links">
          <Link to="/admin/users/new" className="button-link" aria-keyshortcuts="n">
            新建用户（<kbd>N</kbd>）
          </Link>
          <Link to="/admin/users/import" className="button-link" aria-keyshortcuts="i">
            批量导入（<kbd>I</kbd>）
          </Link>
        </div>
      </div>
      {created && (
        <p className="notice" role="status">
          已创建用户 {created}，首次登录时须修改初始密码。
        </p>
      )}
      {result?.ok && (
        <p className="notice" role="status">
          {result.message}
          {result.oneTimePassword && (
            <>
              ：<code className="mono one-time-password">{result.oneTimePassword}</code>（只显示这一次，请当面告知本人；下次登录须修改密码）
            </>
          )}
        </p>
      )}
      {result && !result.ok && (
        <p className="error-summary" role="alert">
          {result.message}
        </p>
      )}
      <div className="toolbar">
        <label>
          筛选{' '}
          <input ref={filterRef} type="search" value={filter} onChange={(e) => setFilter(e.target.value)} placeholder="用户名、姓名、科室或角色（/）" aria-keyshortcuts="/" style={{ width: "20rem" }} />
        </label>
        <span className="hint">显示 {shown.length} / {users.length}</span>
      </div>
      <table className="grid">
        <thead>
          <tr>
            <th>用户名</th>
            <th>姓名</th>
            <th>角色</th>
            <th>科室</th>
            <th>电话 / 分机</th>
            <th>状态</th>
            <th>操作</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((u) => (
            <tr key={u.id} className={u.active ? undefined : 'muted'}>
              <td className="mono">{u.username}</td>
              <td>{u.displayName}</td>
              <td>{ROLE_LABELS[u.role]}</td>
              <td>{u.departmentName ?? '—'}</td>
              <td>{[u.phone, u.extension && `分机 ${u.extension}`].filter(Boolean).join(' · ') || '—'}</td>
              <td>
                {!u.active ? '已停用' : u.locked ? '已锁定' : u.mustChangePassword ? '待改密码' : '正常'}
              </td>
              <td>
                <div className="inline-form">
                  <Link to={`/admin/users/${u.id}`} aria-label={`编辑 ${u.displayName}`}>
                    编辑
                  </Link>
                  <Form method="post" className="inline-form">
                    <input type="hidden" name="id" value={u.id} />
                    <button type="submit" name="intent" value="reset" className="small-button" disabled={navigation.state !== 'idle' || !u.active} aria-label={`重置 ${u.displayName} 的密码`}>
                      重置密码
                    </button>
                    {u.id !== me && (
                      <button
                        type="submit"
                        name="intent"
                        value={u.active ? 'disable' : 'enable'}
                        className={u.active ? 'small-button danger-button' : 'small-button'}
                        disabled={navigation.state !== 'idle'}
                        aria-label={`${u.active ? '停用' : '启用'} ${u.displayName}`}
                      >
                        {u.active ? '停用' : '启用'}
                      </button>
                    )}
                  </Form>
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="kbd-legend">快捷键：<kbd>/</kbd> 筛选 · <kbd>N</kbd> 新建用户 · <kbd>I</kbd> 批量导入 · <kbd>Tab</kbd> 在操作按钮间移动</p>
    </>
  );
}
