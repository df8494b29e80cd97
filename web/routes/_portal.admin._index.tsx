import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { ROLE_LABELS } from '../../domain/access.js';
import { orRespond, requireUser } from '../auth.server.js';

export const meta: MetaFunction = () => [{ title: '用户与科室 · 随访管理平台' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context, ['admin']);
  const [staff, departments] = await Promise.all([
    orRespond(context.services.directory.staff(user)),
    context.services.directory.departments(),
  ]);
  return { staff, departments };
}

export default function Admin() {
  const { staff, departments } = useLoaderData<typeof loader>();
  const names = new Map(departments.map((d) => [d.code, d.name]));
  return (
    <>
      <div className="page-head">
        <h1>用户</h1>
        <div className="page-links">
          <Link to="/admin/users">管理用户</Link>
          <Link to="/admin/departments">管理科室</Link>
        </div>
      </div>
      <table className="grid">
        <thead>
          <tr>
            <th>用户名</th>
            <th>姓名</th>
            <th>角色</th>
            <th>科室</th>
            <th>状态</th>
          </tr>
        </thead>
        <tbody>
          {staff.map((s) => (
            <tr key={s.id}>
              <td className="mono">{s.username}</td>
              <td>{s.displayName}</td>
              <td>{ROLE_LABELS[s.role]}</td>
              <td>{s.departmentCode ? (names.get(s.departmentCode) ?? s.departmentCode) : '—'}</td>
              <td>{!s.active ? '停用' : s.locked ? '已锁定' : '正常'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>科室</h2>
      <table className="grid">
        <thead>
          <tr>
            <th>代码</th>
            <th>名称</th>
            <th>类型</th>
          </tr>
        </thead>
        <tbody>
          {departments.map((d) => (
            <tr key={d.code}>
              <td className="mono">{d.code}</td>
              <td>{d.name}</td>
              <td>{d.kind === 'clinical' ? '临床科室' : '职能科室'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
