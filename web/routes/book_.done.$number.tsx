/**
 * /book/done/<number>?code=… — where the payment page returns the patient: the booking's state
 * (paid and booked, or still waiting for the payment notification) and the queue link with the
 * short code. No sign-in; the number and code together open it, as the queue page.
 */
import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { orRespond } from '../auth.server.js';
import { useAutoRefresh } from '../components/list-hooks.js';

export const meta: MetaFunction = () => [{ title: '预约结果' }];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const code = (new URL(request.url).searchParams.get('code') ?? '').trim().toUpperCase();
  const view = await orRespond(context.services.clinicQueue.patientView(params.number ?? '', code));
  return { ...view, code };
}

export default function BookingDone() {
  const view = useLoaderData<typeof loader>();
  const paid = view.state !== 'closed' && view.state !== 'unpaid';
  useAutoRefresh(3_000);
  return (
    <main className="patient-page booking">
      <h1 data-testid="booking-result">{view.state === 'closed' ? '预约未成功' : view.state === 'unpaid' ? '等待支付结果…' : '预约成功'}</h1>
      <p className="patient-lead">
        {view.departmentName} · {view.expertName}
      </p>
      <p>
        预约号 <strong className="mono">{view.number}</strong>
        <br />
        查询码 <strong className="mono" data-testid="short-code">{view.code}</strong>
      </p>
      {paid ? (
        <p>
          就诊当天到院签到后,可随时查看排队进度:
          <br />
          <Link to={`/queue/${encodeURIComponent(view.number)}?code=${encodeURIComponent(view.code)}`} data-testid="queue-link">
            查看候诊进度
          </Link>
        </p>
      ) : view.state === 'unpaid' ? (
        <p>正在确认支付,请稍候(页面自动刷新)。</p>
      ) : (
        <p>未在时限内完成支付或已取消,号源已释放。</p>
      )}
    </main>
  );
}
