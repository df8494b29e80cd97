import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { orRespond, requireUser } from '../auth.server.js';

export const meta: MetaFunction = () => [{ title: '全院概览 · 随访管理平台' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context, ['manager', 'admin']);
  const [departments, counts] = await Promise.all([
    context.services.directory.departments(),
    orRespond(context.services.discharges.countsByDepartment(user)),
  ]);
  const names = new Map(departments.map((d) => [d.code, d.name]));
  return { rows: counts.map((c) => ({ ...c, name: c.departmentCode ? (names.get(c.departmentCode) ?? c.departmentCode) : '未分配科室' })) };
}

export default function Management() {
  const { rows } = useLoaderData<typeof loader>();
  return (
    <>
      <h1>全院概览</h1>
      <table className="grid">
        <thead>
          <tr>
            <th>科室</th>
            <th>近 30 天出院</th>
            <th>累计出院</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.departmentCode ?? 'unassigned'}>
              <td>{r.departmentCode ? <Link to={`/departments/${encodeURIComponent(r.departmentCode)}`}>{r.name}</Link> : r.name}</td>
              <td>{r.last30Days}</td>
              <td>{r.total}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
