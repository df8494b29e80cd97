import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { useLoaderData } from '@remix-run/react';
import { orRespond, requireUser } from '../auth.server.js';
import { DischargeTable } from '../components/DischargeTable.js';

export const meta: MetaFunction = () => [{ title: '出院患者 · 随访管理平台' }];

/** Discharges of the department the agent covers (shown in place of 今日任务, see _portal.agent.tsx). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context, ['agent']);
  const { services } = context;
  const departmentCode = user.departmentCode!;
  const [department, items] = await Promise.all([
    services.directory.department(departmentCode),
    orRespond(services.discharges.listForDepartment(user, departmentCode, { meta: context.meta })),
  ]);
  return { departmentName: department?.name ?? departmentCode, items };
}

export default function AgentDischarges() {
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
