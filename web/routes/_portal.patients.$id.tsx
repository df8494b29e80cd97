import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { useLoaderData } from '@remix-run/react';
import { orRespond, requireUser } from '../auth.server.js';

export const meta: MetaFunction = () => [{ title: '患者信息 · 随访管理平台' }];

/** Patient record (masked); every view is audited by the service. */
export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const patient = await orRespond(context.services.patients.view(user, params.id!, context.meta));
  const supervisor = user.role === 'admin' || user.role === 'manager';
  const { TEMPORAL_UI_URL, TEMPORAL_NAMESPACE } = context.services.env;
  return { patient, workflowsUrl: supervisor ? `${TEMPORAL_UI_URL}/namespaces/${encodeURIComponent(TEMPORAL_NAMESPACE)}/workflows` : null };
}

const SEX: Record<string, string> = { M: '男', F: '女', O: '其他', U: '未知' };

export default function PatientPage() {
  const { patient, workflowsUrl } = useLoaderData<typeof loader>();
  return (
    <>
      <h1>{patient.name}</h1>
      <dl className="facts">
        <dt>病案号</dt>
        <dd className="mono">{patient.hisPatientId}</dd>
        <dt>性别</dt>
        <dd>{SEX[patient.sex ?? 'U']}</dd>
        <dt>出生日期</dt>
        <dd>{patient.birthDate ?? '—'}</dd>
        <dt>电话</dt>
        <dd className="mono">{patient.phoneMasked || '—'}</dd>
        <dt>地址</dt>
        <dd>{patient.addressMasked || '—'}</dd>
      </dl>
      <h2>就诊记录</h2>
      <table className="grid">
        <thead>
          <tr>
            <th>就诊号</th>
            <th>科室</th>
            <th>诊断</th>
            <th>手术/操作</th>
            <th>主治医生</th>
            <th>出院时间</th>
            {workflowsUrl && <th>流程</th>}
          </tr>
        </thead>
        <tbody>
          {patient.encounters.map((e) => (
            <tr key={e.encounterId}>
              <td className="mono">{e.encounterId}</td>
              <td>{e.departmentCode ?? '未分配'}</td>
              <td>{e.diagnosis ?? '—'}</td>
              <td>{e.procedure ?? '—'}</td>
              <td>{e.attendingDoctor ?? '—'}</td>
              <td>{e.dischargedAt ? new Date(e.dischargedAt).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai' }) : '在院'}</td>
              {workflowsUrl && (
                <td>
                  <a href={`${workflowsUrl}/${encodeURIComponent(e.workflowId)}`} target="_blank" rel="noreferrer">
                    Temporal
                  </a>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
