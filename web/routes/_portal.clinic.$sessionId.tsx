import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, useActionData, useLoaderData, useNavigation, useSearchParams, useSubmit } from '@remix-run/react';
import QRCode from 'qrcode';
import { isServiceError } from '../../services/errors.js';
import { orRespond, requireUser } from '../auth.server.js';
import { useHotkeys } from '../components/useHotkeys.js';
import { useAutoRefresh } from '../components/list-hooks.js';

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.expertName ?? '门诊'} 叫号 · 随访管理平台` }];

const RULE_LABELS: Record<string, string> = { late_called: '过号优先', appointment: '预约', walk_in: '现场', after_slot_end: '迟到(末尾)' };

/** The clinic's queue (/clinic/:sessionId): staff of the session's department or admin. */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const board = await orRespond(context.services.clinicQueue.board(user, params.sessionId ?? '', new Date(), context.meta));
  // A walk-in patient scans the queue link from the screen (or the printed slip) instead of typing it.
  const url = new URL(request.url);
  const walkIn = url.searchParams.get('walkin');
  const code = url.searchParams.get('code');
  const queueUrl = walkIn && code ? `${url.origin}/queue/${encodeURIComponent(walkIn)}?code=${encodeURIComponent(code)}` : null;
  const queueQr = queueUrl ? await QRCode.toString(queueUrl, { type: 'svg', margin: 1, width: 160 }) : null;
  return { ...board, queueUrl, queueQr };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const user = await requireUser(request, context);
  const sessionId = params.sessionId ?? '';
  const form = await request.formData();
  const intent = form.get('intent');
  const queue = context.services.clinicQueue;
  try {
    if (intent === 'call_next') {
      const called = await queue.callNext(user, sessionId, context.meta);
      return redirect(`/clinic/${sessionId}?called=${encodeURIComponent(called.number)}`);
    }
    if (intent === 'pass') {
      const passed = await queue.markPassed(user, sessionId, context.meta);
      return redirect(`/clinic/${sessionId}?passed=${encodeURIComponent(passed.number)}`);
    }
    if (intent === 'return_passed') {
      const back = await queue.returnPassed(user, sessionId, String(form.get('number') ?? ''), context.meta);
      return redirect(`/clinic/${sessionId}?back=${encodeURIComponent(back.number)}`);
    }
    if (intent === 'end_session') {
      const ended = await context.services.registrationDesk.endSession(user, sessionId, context.meta);
      return redirect(`/clinic/${sessionId}?ended=${ended.noShows.length}`);
    }
    if (intent === 'walk_in') {
      const walkIn = await queue.registerWalkIn(user, sessionId);
      return redirect(`/clinic/${sessionId}?walkin=${encodeURIComponent(walkIn.number)}&code=${encodeURIComponent(walkIn.shortCode)}`);
    }
    return data({ error: '未知的操作' }, { status: 400 });
  } catch (err) {
    if (isServiceError(err)) {
      if (err.status === 403 || err.status === 404) throw new Response(err.message, { status: err.status });
      return data({ error: err.message }, { status: err.status });
    }
    throw err;
  }
}

export default function ClinicQueue() {
  const board = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const [search] = useSearchParams();
  const navigation = useNavigation();
  const submit = useSubmit();
  // Patients check in elsewhere: refresh the list while on screen.
  useAutoRefresh(5_000);
  const busy = navigation.state !== 'idle';
  useHotkeys({ n: () => (busy ? false : submit({ intent: 'call_next' }, { method: 'post' })) });

  const called = search.get('called');
  const passed = search.get('passed');
  const back = search.get('back');
  const ended = search.get('ended');
  const walkIn = search.get('walkin');
  const code = search.get('code');

  return (
    <div className="clinic-page">
      <div className="page-head">
        <h1>
          {board.expertName} 叫号<span className="count"> {board.departmentName}</span>
          <span className="count"> 候诊 {board.entries.length} 人</span>
        </h1>
      </div>
      <p>
        当前就诊号:<strong data-testid="current-number">{board.currentNumber ?? '—'}</strong>
      </p>
      {result && 'error' in result && (
        <div className="alert alert-danger" role="alert" data-testid="conflict">
          {result.error}
        </div>
      )}
      {called && !result && (
        <div className="alert alert-success" role="status">
          已叫号 {called}
        </div>
      )}
      {passed && !result && (
        <div className="alert alert-success" role="status">
          {passed} 过号,患者到达后签到即排在下一位
        </div>
      )}
      {ended !== null && !result && (
        <div className="alert alert-success" role="status" data-testid="session-ended">
          已结束出诊,{ended} 个未签到的预约记为爽约
        </div>
      )}
      {back && !result && (
        <div className="alert alert-success" role="status">
          {back} 已返回,排在下一位
        </div>
      )}
      {walkIn && code && !result && (
        <div className="alert alert-success walk-in-slip" role="status" data-testid="walk-in">
          {board.queueQr && <div className="qr" data-testid="queue-qr" aria-label="候诊查询二维码" dangerouslySetInnerHTML={{ __html: board.queueQr }} />}
          <div>
            现场挂号 <strong className="mono">{walkIn}</strong>,查询码 <strong className="mono">{code}</strong>
            <br />
            请患者用手机扫码查看候诊进度:<span className="mono">{board.queueUrl}</span>
          </div>
        </div>
      )}
      <div className="summary">
        <Form method="post" style={{ display: 'inline' }}>
          <button type="submit" name="intent" value="call_next" disabled={busy}>
            叫下一位
          </button>
        </Form>{' '}
        <Form method="post" style={{ display: 'inline' }}>
          <button type="submit" name="intent" value="pass" className="small-button" disabled={busy || !board.currentNumber}>
            患者不在(过号)
          </button>
        </Form>{' '}
        <Form method="post" style={{ display: 'inline' }}>
          <input name="number" aria-label="过号患者号码" placeholder="过号号码" size={12} autoComplete="off" />
          <button type="submit" name="intent" value="return_passed" className="small-button" disabled={busy}>
            过号患者到达
          </button>
        </Form>{' '}
        <Form method="post" style={{ display: 'inline' }} onSubmit={(e) => (window.confirm('结束出诊?未签到的预约将记为爽约。') ? undefined : e.preventDefault())}>
          <button type="submit" name="intent" value="end_session" className="small-button" disabled={busy}>
            结束出诊
          </button>
        </Form>{' '}
        <Form method="post" style={{ display: 'inline' }}>
          <button type="submit" name="intent" value="walk_in" className="small-button" disabled={busy}>
            挂号(现场)
          </button>
        </Form>
      </div>
      {board.entries.length === 0 ? (
        <p className="empty">暂无候诊患者</p>
      ) : (
        <table className="grid" data-testid="queue-table">
          <thead>
            <tr>
              <th>顺序</th>
              <th>号码</th>
              <th>类型</th>
              <th>时段</th>
              <th>到达</th>
            </tr>
          </thead>
          <tbody>
            {board.entries.map((e) => (
              <tr key={e.number} data-number={e.number}>
                <td>{e.position}</td>
                <td className="mono">{e.number}</td>
                <td>{RULE_LABELS[e.rule] ?? e.rule}</td>
                <td>{e.slotIndex + 1}</td>
                <td>{new Date(e.arrivedAt).toLocaleTimeString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false })}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p className="kbd-legend">
        <kbd>n</kbd> 叫下一位
      </p>
    </div>
  );
}
