import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { orRespond, requireUser } from '../auth.server.js';
import { DischargeTable } from '../components/DischargeTable.js';

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.departmentName ?? '科室'} · 随访管理平台` }];

/** One department's discharges; users of other departments get 403 from the service layer. */
export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const code = params.code!;
  const items = await orRespond(context.services.discharges.listForDepartment(user, code, { meta: context.meta }));
  const [department, alerts] = await Promise.all([
    context.services.directory.department(code),
    context.services.alerts.forDepartment(user, code, 50, context.meta),
  ]);
  return { departmentName: department?.name ?? `未知科室 ${code}`, items, alerts };
}

export default function DepartmentPage() {
  const { departmentName, items, alerts } = useLoaderData<typeof loader>();
  const open = alerts.filter((a) => !a.acknowledgedAt);
  return (
    <>
      {open.length > 0 && (
        <section className="alerts" aria-label="红旗预警">
          <h2>红旗预警 <span className="count">{open.length}</span></h2>
          <ul>
            {open.map((a) => (
              <li key={a.id} className="alert">
                <strong>{a.patientName}</strong> · {a.questions.join('、')} ·{' '}
                {new Date(a.createdAt).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai' })}
                {a.taskId && (
                  <>
                    {' '}
                    · <Link to={`/tasks/${a.taskId}`}>查看随访</Link>
                  </>
                )}
              </li>
            ))}
          </ul>
        </section>
      )}
      <h1>
        {departmentName} · 出院患者 <span className="count">{items.length}</span>
      </h1>
      <DischargeTable items={items} />
    </>
  );
}
