import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { useLoaderData } from '@remix-run/react';
import { orRespond } from '../auth.server.js';
import { useAutoRefresh } from '../components/list-hooks.js';

export const meta: MetaFunction = () => [{ title: '候诊查询' }];

/** The patient's queue page (/queue/:number?code=…): no sign-in; the service returns nothing personal. */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const code = new URL(request.url).searchParams.get('code') ?? '';
  return orRespond(context.services.clinicQueue.patientView(params.number ?? '', code));
}

/** Refresh interval of the page's data. */
const REFRESH_MS = 3_000;

const big: React.CSSProperties = { fontSize: '3.2rem', fontWeight: 700, margin: '0.2rem 0 1.2rem', letterSpacing: '0.04em' };
const label: React.CSSProperties = { fontSize: '1.4rem', color: '#555', margin: 0 };

export default function QueuePage() {
  const view = useLoaderData<typeof loader>();
  useAutoRefresh(REFRESH_MS);

  return (
    <main style={{ maxWidth: 560, margin: '0 auto', padding: '1.5rem', textAlign: 'center', fontSize: '1.3rem' }}>
      <h1 style={{ fontSize: '1.6rem' }}>
        {view.departmentName} · {view.expertName}
      </h1>
      <p style={label}>当前就诊号</p>
      <p style={big} data-testid="current-number">
        {view.currentNumber ?? '尚未开始'}
      </p>
      <p style={label}>您的号码</p>
      <p style={{ ...big, fontSize: '2.4rem' }} data-testid="my-number">
        {view.number}
      </p>
      <div data-testid="my-status" style={{ fontSize: '1.8rem', fontWeight: 600 }}>
        {view.state === 'waiting' && view.ahead !== null && (
          <>
            <p style={{ margin: '0.4rem 0' }}>
              前面还有 <span data-testid="ahead">{view.ahead}</span> 人
            </p>
            <p style={{ margin: '0.4rem 0' }}>
              预计 <span data-testid="estimated">{view.estimatedTime}</span> 就诊
            </p>
          </>
        )}
        {view.state === 'called' && <p>请您到诊室就诊</p>}
        {view.state === 'seen' && <p>您已就诊</p>}
        {view.state === 'not_checked_in' && <p>请先签到,签到后进入候诊队列</p>}
        {view.state === 'closed' && <p>该号码已失效</p>}
      </div>
      <p style={{ color: '#888', fontSize: '0.95rem', marginTop: '2rem' }}>本页每 3 秒自动刷新</p>
    </main>
  );
}
