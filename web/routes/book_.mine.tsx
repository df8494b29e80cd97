/**
 * /book/mine — "我的预约": the patient (no sign-in, zh-CN, 360 px) identifies with mobile + SMS
 * code, sees their appointments, and may cancel one until walk-in registration opens on the day.
 * Cancelling is confirmed with a fresh SMS code (a code is used once); a paid booking is refunded
 * through the payment adapter and the number goes back to booking. Rules live in
 * services/outpatient-booking.ts (mine, cancel).
 */
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { isServiceError } from '../../services/errors.js';
import { REFUND_STATE_LABELS } from '../../domain/payment-refund.js';

export const meta: MetaFunction = () => [{ title: '我的预约' }, { name: 'viewport', content: 'width=device-width, initial-scale=1' }];

const when = (iso: string) =>
  new Date(iso).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', month: 'numeric', day: 'numeric', weekday: 'short', hour: '2-digit', minute: '2-digit', hour12: false });

const STATUS: Record<string, string> = {
  pending_payment: '待支付',
  booked: '已预约',
  checked_in: '已签到',
  seen: '已就诊',
  cancelled: '已取消',
  no_show: '未就诊(爽约)',
};

interface Item {
  number: string;
  shortCode: string;
  status: string;
  expertName: string;
  departmentName: string;
  startsAt: string;
  cancellable: boolean;
  /** The prepayment refund: 退款处理中 / 已退款, null when none is due. */
  refund: string | null;
}

type Result =
  | { stage: 'code_sent'; mobile: string }
  | { stage: 'list'; mobile: string; items: Item[] }
  | { stage: 'confirm'; mobile: string; number: string; summary: string }
  | { stage: 'cancelled'; mobile: string; number: string; refund: string | null }
  | { stage: 'error'; mobile: string; error: string; number?: string; summary?: string };

export function loader({ context }: LoaderFunctionArgs) {
  return { available: Boolean(context.services.outpatientBooking) };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const booking = context.services.outpatientBooking;
  if (!booking) throw new Response('在线预约暂未开通', { status: 404 });
  const form = await request.formData();
  const v = (k: string) => (typeof form.get(k) === 'string' ? String(form.get(k)).trim() : '');
  const mobile = v('mobile');
  try {
    switch (v('intent')) {
      case 'send_code':
        await booking.sendCode(mobile);
        return data<Result>({ stage: 'code_sent', mobile });
      case 'list': {
        const rows = await booking.mine(mobile, v('code'));
        const now = Date.now();
        const items: Item[] = rows.map((r) => ({
          number: r.number,
          shortCode: r.short_code,
          status: r.status,
          expertName: r.expert_name,
          departmentName: r.department_name,
          startsAt: r.slot_starts_at.toISOString(),
          cancellable: r.status === 'booked' && r.registration_opens_at.getTime() > now,
          refund: r.refund ? REFUND_STATE_LABELS[r.refund] : null,
        }));
        return data<Result>({ stage: 'list', mobile, items });
      }
      case 'send_cancel_code':
        await booking.sendCode(mobile);
        return data<Result>({ stage: 'confirm', mobile, number: v('number'), summary: v('summary') });
      case 'cancel': {
        const done = await booking.cancel(v('number'), { mobile, code: v('code'), reason: '患者在"我的预约"取消' });
        return data<Result>({ stage: 'cancelled', mobile, number: done.number, refund: done.refund?.label ?? null });
      }
      default:
        throw new Response('未知操作', { status: 400 });
    }
  } catch (err) {
    if (!isServiceError(err)) throw err;
    const problems = (err.details?.problems ?? []) as { message: string }[];
    const error = problems.length ? problems.map((p) => p.message).join(';') : err.message;
    return data<Result>({ stage: 'error', mobile, error, ...(v('number') ? { number: v('number'), summary: v('summary') } : {}) }, { status: err.status });
  }
}

function CodeForm({ mobile, busy, number, summary, submitLabel }: { mobile: string; busy: boolean; number?: string; summary?: string; submitLabel: string }) {
  const cancelling = Boolean(number);
  return (
    <Form method="post" className="booking-form" noValidate>
      {number && <input type="hidden" name="number" value={number} />}
      {summary && <input type="hidden" name="summary" value={summary} />}
      <label>
        手机号
        <input name="mobile" inputMode="tel" defaultValue={mobile} autoComplete="tel" readOnly={cancelling} />
      </label>
      <div className="code-row">
        <label>
          短信验证码
          <input name="code" inputMode="numeric" maxLength={6} autoComplete="one-time-code" />
        </label>
        <button type="submit" name="intent" value={cancelling ? 'send_cancel_code' : 'send_code'} className="secondary" disabled={busy}>
          获取验证码
        </button>
      </div>
      <button type="submit" name="intent" value={cancelling ? 'cancel' : 'list'} disabled={busy} className="primary-wide">
        {submitLabel}
      </button>
    </Form>
  );
}

export default function MyAppointments() {
  const { available } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as Result | undefined;
  const busy = useNavigation().state !== 'idle';

  if (!available) {
    return (
      <main className="patient-page booking">
        <h1>我的预约</h1>
        <p>在线预约暂未开通,请到医院挂号窗口办理。</p>
      </main>
    );
  }
  const mobile = result?.mobile ?? '';
  const confirming = result && (result.stage === 'confirm' || (result.stage === 'error' && result.number)) ? (result as { number: string; summary?: string }) : null;

  return (
    <main className="patient-page booking">
      <h1>我的预约</h1>
      {result?.stage === 'error' && (
        <div className="alert alert-danger" role="alert" data-testid="mine-error">
          {result.error}
        </div>
      )}
      {result?.stage === 'list' ? (
        <>
          <p className="patient-lead">手机号 {mobile} 的预约</p>
          {result.items.length === 0 && <p className="empty">没有预约记录</p>}
          <ul className="appointment-cards" data-testid="my-appointments">
            {result.items.map((a) => {
              const summary = `${a.departmentName} · ${a.expertName} · ${when(a.startsAt)}`;
              return (
                <li key={a.number} className="appointment-card">
                  <div className="appointment-head">
                    <strong>{a.number}</strong>
                    <span className={`status status-${a.status}`}>{STATUS[a.status] ?? a.status}</span>
                  </div>
                  <div>
                    {a.departmentName} · {a.expertName}
                  </div>
                  <div>{when(a.startsAt)}</div>
                  {a.refund && <div className="refund-state" data-testid="refund-state">预缴费:{a.refund}</div>}
                  {(a.status === 'booked' || a.status === 'checked_in') && (
                    <Link to={`/book/done/${encodeURIComponent(a.number)}?code=${encodeURIComponent(a.shortCode)}`}>查看排队</Link>
                  )}
                  {a.cancellable ? (
                    <Form method="post">
                      <input type="hidden" name="mobile" value={mobile} />
                      <input type="hidden" name="number" value={a.number} />
                      <input type="hidden" name="summary" value={summary} />
                      <button type="submit" name="intent" value="send_cancel_code" className="secondary" disabled={busy}>
                        取消预约
                      </button>
                    </Form>
                  ) : a.status === 'booked' ? (
                    <p className="hint">现场挂号已开始,不能在线取消</p>
                  ) : null}
                </li>
              );
            })}
          </ul>
        </>
      ) : confirming ? (
        <>
          <p className="patient-lead" data-testid="cancel-target">
            取消预约 {confirming.number}
            {confirming.summary ? (
              <>
                <br />
                {confirming.summary}
              </>
            ) : null}
          </p>
          {result?.stage === 'confirm' && (
            <p className="notice" role="status">
              验证码已发送到 {mobile},输入后确认取消;已支付的预缴费将原路退回。
            </p>
          )}
          <CodeForm mobile={mobile} busy={busy} number={confirming.number} {...(confirming.summary ? { summary: confirming.summary } : {})} submitLabel="确认取消" />
        </>
      ) : result?.stage === 'cancelled' ? (
        <div className="notice" role="status" data-testid="cancelled">
          <p>预约 {result.number} 已取消{result.refund ? `,预缴费将原路退回（${result.refund}）` : ''}。</p>
          <p>
            <Link to="/book/mine">重新查看我的预约</Link>
          </p>
        </div>
      ) : (
        <>
          <p className="patient-lead">输入预约时填写的手机号,用短信验证码查看和取消预约。</p>
          {result?.stage === 'code_sent' && (
            <p className="notice" role="status">
              验证码已发送到 {mobile}
            </p>
          )}
          <CodeForm mobile={mobile} busy={busy} submitLabel="查看我的预约" />
        </>
      )}
      <p>
        <Link to="/book">预约挂号</Link>
      </p>
    </main>
  );
}
