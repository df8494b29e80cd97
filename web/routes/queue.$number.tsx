import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { useLoaderData } from '@remix-run/react';
import { orRespond } from '../auth.server.js';
import { useAutoRefresh } from '../components/list-hooks.js';

export const meta: MetaFunction = () => [{ title: '候诊查询' }];

/** The patient's queue page (/queue/:number?code=…): no sign-in; the service returns nothing personal. */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const code = new URL(request.url).searchParams.get('code') ?? '';
  const view = await orRespond(context.services.clinicQueue.patientView(params.number ?? '', code));
  return { ...view, code: code.trim().toUpperCase() };
}

/** Refresh interval of the page's data. */
const REFRESH_MS = 3_000;

// Numbers are up to 14 characters: the size follows the screen so they fit on a 360 px phone.
const big: React.CSSProperties = { fontSize: 'clamp(1.5rem, 8.5vw, 3.2rem)', fontWeight: 700, margin: '0.2rem 0 1.2rem', overflowWrap: 'anywhere' };
const label: React.CSSProperties = { fontSize: '1.4rem', color: '#555', margin: 0 };

export default function QueuePage() {
  const view = useLoaderData<typeof loader>();
  useAutoRefresh(REFRESH_MS);

  return (
    <main style={{ maxWidth: 560, margin: '0 auto', padding: '1rem', textAlign: 'center', fontSize: '1.2rem' }}>
      <h1 style={{ fontSize: '1.6rem' }}>
        {view.departmentName} · {view.expertName}
      </h1>
      <p style={label}>当前就诊号</p>
      <p style={big} data-testid="current-number">
        {view.currentNumber ?? '尚未开始'}
      </p>
      <p style={label}>您的号码</p>
      <p style={{ ...big, fontSize: 'clamp(1.3rem, 7vw, 2.4rem)' }} data-testid="my-number">
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
      {view.state === 'not_checked_in' && (
        <section data-testid="check-in-help" style={{ textAlign: 'left', fontSize: '1.05rem', lineHeight: 1.6, background: '#f4f6fa', borderRadius: 8, padding: '0.8rem 1rem', marginTop: '1rem' }}>
          <h2 style={{ fontSize: '1.15rem', margin: '0 0 0.4rem' }}>如何签到</h2>
          <ol style={{ margin: 0, paddingLeft: '1.3rem' }}>
            <li>就诊当天到{view.departmentName}候诊区的分诊台(或自助机)。</li>
            <li>
              出示本页的号码 <strong>{view.number}</strong> 和查询码 <strong>{view.code}</strong>。
            </li>
            <li>签到后本页显示前面还有几人和预计就诊时间;迟到的号码排到本时段末尾。</li>
          </ol>
        </section>
      )}
      <p style={{ color: '#888', fontSize: '0.95rem', marginTop: '2rem' }}>本页每 3 秒自动刷新</p>
    </main>
  );
}
