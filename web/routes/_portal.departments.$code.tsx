import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { orRespond, requireUser } from '../auth.server.js';
import { DischargeTable } from '../components/DischargeTable.js';
import { FeedbackInfoList } from '../components/FeedbackInfoList.js';
import { formatTime } from '../components/task-format.js';
import { isActiveTicket, TICKET_STATUS_LABELS, ticketCategoryLabel } from '../../workflows/feedback-ticket/labels.js';

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.departmentName ?? '科室'} · 随访管理平台` }];

/** One department's discharges; users of other departments get 403 from the service layer. */
export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const code = params.code!;
  const items = await orRespond(context.services.discharges.listForDepartment(user, code, { meta: context.meta }));
  const [department, alerts, tickets, information] = await Promise.all([
    context.services.directory.department(code),
    context.services.alerts.forDepartment(user, code, 50, context.meta),
    context.services.tickets.list(user, { departmentCode: code, limit: 50 }, context.meta),
    context.services.feedbackInfo.list(user, { departmentCode: code, unreadOnly: true, limit: 20 }),
  ]);
  const openTickets = tickets.filter((t) => isActiveTicket(t.status));
  const canReadInformation = user.role === 'admin' || ((user.role === 'dept_head' || user.role === 'dept_staff') && user.departmentCode === code);
  return { departmentName: department?.name ?? `未知科室 ${code}`, items, alerts, openTickets, information, canReadInformation, back: `/departments/${encodeURIComponent(code)}` };
}

export default function DepartmentPage() {
  const { departmentName, items, alerts, openTickets, information, canReadInformation, back } = useLoaderData<typeof loader>();
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
      <section aria-label="待处理工单" data-testid="department-tickets">
        <h2>
          待处理工单 <span className="count">{openTickets.length}</span> <Link to="/tickets">查看全部工单 →</Link>
        </h2>
        {openTickets.length === 0 ? (
          <p className="empty">没有待处理的工单</p>
        ) : (
          <table className="grid">
            <thead>
              <tr>
                <th>工单号</th>
                <th>类别</th>
                <th>患者</th>
                <th>状态</th>
                <th>处理时限</th>
              </tr>
            </thead>
            <tbody>
              {openTickets.slice(0, 10).map((t) => (
                <tr key={t.id}>
                  <td>
                    <Link to={`/tickets/${t.id}`} className="mono">
                      {t.number}
                    </Link>
                    {t.urgent && <span className="badge urgent">紧急</span>}
                  </td>
                  <td>{ticketCategoryLabel(t.category)}</td>
                  <td>{t.patientName}</td>
                  <td>{TICKET_STATUS_LABELS[t.status]}</td>
                  <td className={t.slaBreached ? 'sla-overdue' : undefined}>
                    {formatTime(t.slaDueAt)}
                    {t.slaBreached && ' · 已超时'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {information.length > 0 && <FeedbackInfoList items={information} canRead={canReadInformation} back={back} />}
      <h1>
        {departmentName} · 出院患者 <span className="count">{items.length}</span>
      </h1>
      <DischargeTable items={items} />
    </>
  );
}
