import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { useLoaderData } from '@remix-run/react';
import { orRespond, requireUser } from '../auth.server.js';
import { DischargeTable } from '../components/DischargeTable.js';

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.departmentName ?? '科室'} · 随访管理平台` }];

/** One department's discharges; users of other departments get 403 from the service layer. */
export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const code = params.code!;
  const items = await orRespond(context.services.discharges.listForDepartment(user, code));
  const department = await context.services.directory.department(code);
  return { departmentName: department?.name ?? `未知科室 ${code}`, items };
}

export default function DepartmentPage() {
  const { departmentName, items } = useLoaderData<typeof loader>();
  return (
    <>
      <h1>
        {departmentName} · 出院患者 <span className="count">{items.length}</span>
      </h1>
      <DischargeTable items={items} />
    </>
  );
}
