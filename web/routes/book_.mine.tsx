/**
 * /book/mine — "我的预约": the patient (no sign-in, zh-CN, 360 px) identifies once — mobile + SMS
 * code, or their WeChat identity when they came from the Official Account — sees their
 * appointments, and may cancel one until walk-in registration opens on the day, confirming on the
 * page without another code while the verification lasts (PATIENT_VERIFIED_MINUTES). A paid
 * booking is refunded through the payment adapter and the number goes back to booking. Rules live
 * in services/outpatient-booking.ts (verify, mine, cancel) and services/patient-identity.ts.
 */
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { REFUND_STATE_LABELS } from '../../domain/payment-refund.js';
import { SmsCodeRow } from '../components/PatientIdentityFields.js';
import { isServiceError } from '../../services/errors.js';
import { patientGate, verifiedPatient } from '../patient-identity.server.js';

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
  | { stage: 'confirm'; number: string; summary: string }
  | { stage: 'cancelled'; number: string; refund: string | null }
  | { stage: 'error'; mobile?: string; error: string };

export async function loader({ request, context }: LoaderFunctionArgs) {
  const booking = context.services.outpatientBooking;
  if (!booking) return { available: false as const, me: null, wechatNotice: null, items: [] as Item[] };
  const { verified, shown: me, wechatNotice } = await patientGate(request, context);
  const items: Item[] = verified
    ? (await booking.mine(verified)).map((r) => ({
        number: r.number,
        shortCode: r.short_code,
        status: r.status,
        expertName: r.expert_name,
        departmentName: r.department_name,
        startsAt: r.slot_starts_at.toISOString(),
        cancellable: r.cancellable,
        refund: r.refund ? REFUND_STATE_LABELS[r.refund] : null,
      }))
    : [];
  return { available: true as const, me, wechatNotice, items };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const booking = context.services.outpatientBooking;
  if (!booking) throw new Response('在线预约暂未开通', { status: 404 });
  const identity = context.services.patientIdentity;
  const form = await request.formData();
  const v = (k: string) => (typeof form.get(k) === 'string' ? String(form.get(k)).trim() : '');
  const mobile = v('mobile');
  try {
    switch (v('intent')) {
      case 'send_code':
        await booking.sendCode(mobile);
        return data<Result>({ stage: 'code_sent', mobile });
      case 'list': {
        // One code: the patient stays verified for a while (view and cancel without another).
        const who = await booking.verify(mobile, v('code'));
        return redirect('/book/mine', { headers: { 'Set-Cookie': identity.verifiedCookie(who) } });
      }
      case 'confirm':
        return data<Result>({ stage: 'confirm', number: v('number'), summary: v('summary') });
      case 'cancel': {
        const who = verifiedPatient(request, context);
        if (!who) return data<Result>({ stage: 'error', error: `验证已过期(${identity.verifiedMinutes} 分钟),请重新获取验证码` }, { status: 401 });
        const done = await booking.cancel(v('number'), { mobile: who.mobile, code: '', verified: who, reason: '患者在"我的预约"取消' });
        return data<Result>({ stage: 'cancelled', number: done.number, refund: done.refund?.label ?? null });
      }
      case 'forget':
        return redirect('/book/mine', { headers: { 'Set-Cookie': identity.clearedCookie() } });
      default:
        throw new Response('未知操作', { status: 400 });
    }
  } catch (err) {
    if (!isServiceError(err)) throw err;
    const problems = (err.details?.problems ?? []) as { message: string }[];
    const error = problems.length ? problems.map((p) => p.message).join(';') : err.message;
    return data<Result>({ stage: 'error', mobile, error }, { status: err.status });
  }
}

function CodeForm({ mobile, busy }: { mobile: string; busy: boolean }) {
  return (
    <Form method="post" className="booking-form" noValidate>
      <label>
        手机号
        <input name="mobile" inputMode="tel" defaultValue={mobile} autoComplete="tel" />
      </label>
      <SmsCodeRow busy={busy} />
      <button type="submit" name="intent" value="list" disabled={busy} className="primary-wide">
        查看我的预约
      </button>
    </Form>
  );
}

export default function MyAppointments() {
  const view = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as Result | undefined;
  const busy = useNavigation().state !== 'idle';

  if (!view.available) {
    return (
      <main className="patient-page booking">
        <h1>我的预约</h1>
        <p>在线预约暂未开通,请到医院挂号窗口办理。</p>
      </main>
    );
  }
  const me = view.me;

  return (
    <main className="patient-page booking">
      <h1>我的预约</h1>
      {result?.stage === 'error' && (
        <div className="alert alert-danger" role="alert" data-testid="mine-error">
          {result.error}
        </div>
      )}
      {result?.stage === 'cancelled' && (
        <div className="notice" role="status" data-testid="cancelled">
          <p>
            预约 {result.number} 已取消{result.refund ? `,预缴费将原路退回（${result.refund}）` : ''}。
          </p>
        </div>
      )}
      {me && result?.stage === 'confirm' ? (
        <>
          <p className="patient-lead" data-testid="cancel-target">
            取消预约 {result.number}
            {result.summary ? (
              <>
                <br />
                {result.summary}
              </>
            ) : null}
          </p>
          <p className="notice" role="status">
            确认后预约即取消,已支付的预缴费将原路退回。
          </p>
          <Form method="post" className="mine-actions">
            <input type="hidden" name="number" value={result.number} />
            <button type="submit" name="intent" value="cancel" className="primary-wide" disabled={busy}>
              确认取消
            </button>
          </Form>
          <p>
            <Link to="/book/mine">不取消,返回我的预约</Link>
          </p>
        </>
      ) : me ? (
        <>
          <p className="patient-lead" data-testid="verified-as">
            {me.profile ? `${me.profile.nameMasked} · ` : ''}手机号 {me.mobileMasked} 的预约
            {me.via === 'wechat' ? '(已通过微信验证)' : ''}
          </p>
          {view.items.length === 0 && <p className="empty">没有预约记录</p>}
          <ul className="appointment-cards" data-testid="my-appointments">
            {view.items.map((a) => {
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
                      <input type="hidden" name="number" value={a.number} />
                      <input type="hidden" name="summary" value={summary} />
                      <button type="submit" name="intent" value="confirm" className="secondary" disabled={busy}>
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
          <Form method="post">
            <button type="submit" name="intent" value="forget" className="link-button" disabled={busy}>
              退出(更换手机号)
            </button>
          </Form>
        </>
      ) : (
        <>
          <p className="patient-lead">输入预约时填写的手机号,用短信验证码查看和取消预约。</p>
          {view.wechatNotice && (
            <p className="notice" role="status" data-testid="wechat-notice">
              {view.wechatNotice}
            </p>
          )}
          {result?.stage === 'code_sent' && (
            <p className="notice" role="status">
              验证码已发送到 {result.mobile}
            </p>
          )}
          <CodeForm mobile={result && 'mobile' in result ? (result.mobile ?? '') : ''} busy={busy} />
        </>
      )}
      <p>
        <Link to="/book">预约挂号</Link>
      </p>
    </main>
  );
}
