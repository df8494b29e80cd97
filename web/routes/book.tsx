/**
 * /book — the patient books an outpatient appointment on their phone (no sign-in, zh-CN, 360 px):
 * date → department → expert → slot (numbers left and the slot's time window) → name, ID number,
 * mobile and the SMS code (or, verified a moment ago or through WeChat, no code: the WeChat
 * patient's own record, masked; web/patient-identity.server.ts) → the payment page (WeChat Pay; the local simulator in development) →
 * /book/done/<number> with the queue link. A blacklisted patient is told why, until when, and that
 * walk-in registration stays open. Rules live in services/outpatient-booking.ts.
 */
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { isServiceError } from '../../services/errors.js';
import { PatientIdentityFields, SmsCodeRow } from '../components/PatientIdentityFields.js';
import { patientGate, verifiedPatient } from '../patient-identity.server.js';

export const meta: MetaFunction = () => [{ title: '预约挂号' }, { name: 'viewport', content: 'width=device-width, initial-scale=1' }];

const time = (iso: string) => new Date(iso).toLocaleTimeString('zh-CN', { timeZone: 'Asia/Shanghai', hour: '2-digit', minute: '2-digit', hour12: false });
const WEEKDAYS = ['日', '一', '二', '三', '四', '五', '六'];

/** The next 7 Shanghai dates from tomorrow. */
function upcomingDates(now: Date): { value: string; label: string }[] {
  return Array.from({ length: 7 }, (_, i) => {
    const d = new Date(now.getTime() + 8 * 3600_000 + (i + 1) * 86400_000);
    const value = d.toISOString().slice(0, 10);
    return { value, label: `${d.getUTCMonth() + 1}月${d.getUTCDate()}日 周${WEEKDAYS[d.getUTCDay()]}` };
  });
}

export async function loader({ request, context }: LoaderFunctionArgs) {
  const booking = context.services.outpatientBooking;
  const url = new URL(request.url);
  const dates = upcomingDates(new Date());
  const date = url.searchParams.get('date') ?? dates[0]!.value;
  if (!booking) return { available: false as const, dates, date, sessions: [], dept: null, session: null, slot: null, me: null, wechatNotice: null };
  const { shown: me, wechatNotice } = await patientGate(request, context);
  const sessions = await booking.sessions(date).catch(() => []);
  const dept = url.searchParams.get('dept');
  const session = sessions.find((s) => s.sessionId === url.searchParams.get('session')) ?? null;
  const slotParam = url.searchParams.get('slot');
  const slot = session && slotParam !== null ? (session.slots.find((s) => s.slotIndex === Number(slotParam)) ?? null) : null;
  return { available: true as const, dates, date, sessions, dept, session, slot, me, wechatNotice };
}

type ActionResult = { codeSent?: boolean; error?: string; blacklistedUntil?: string; fields?: Record<string, string>; values: Record<string, string> };

export async function action({ request, context }: ActionFunctionArgs) {
  const booking = context.services.outpatientBooking;
  if (!booking) throw new Response('在线预约暂未开通', { status: 404 });
  const form = await request.formData();
  const values: Record<string, string> = {};
  for (const [k, v] of form) if (typeof v === 'string') values[k] = v;
  const identity = context.services.patientIdentity;
  const who = verifiedPatient(request, context);
  try {
    if (values.intent === 'forget') return data<ActionResult>({ values: {} }, { headers: { 'Set-Cookie': identity.clearedCookie() } });
    if (values.intent === 'send_code') {
      await booking.sendCode(values.mobile);
      return data<ActionResult>({ codeSent: true, values });
    }
    const mobile = values.mobile ?? who?.mobile;
    const held = await booking.book({ sessionId: values.sessionId, slotIndex: values.slotIndex, name: values.name, idNumber: values.idNumber, mobile, code: values.code }, { verified: who });
    // Proven by the SMS code just now: the patient's other pages (我的预约) need no second code for a while.
    const headers: HeadersInit = who ? {} : { 'Set-Cookie': identity.verifiedCookie({ mobile: (mobile ?? '').replace(/[\s-]/g, ''), patientId: null, via: 'sms' }) };
    return redirect(held.payUrl, { headers });
  } catch (err) {
    if (!isServiceError(err)) throw err;
    const fields: Record<string, string> = {};
    for (const p of (err.details?.problems ?? []) as { field: string; message: string }[]) fields[p.field] = p.message;
    const until = typeof err.details?.blacklistedUntil === 'string' ? err.details.blacklistedUntil : undefined;
    return data<ActionResult>({ error: err.message, fields, values, ...(until ? { blacklistedUntil: until } : {}) }, { status: err.status });
  }
}

export default function Book() {
  const view = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as ActionResult | undefined;
  const busy = useNavigation().state !== 'idle';
  const q = (extra: Record<string, string>) => `/book?${new URLSearchParams({ date: view.date, ...extra }).toString()}`;

  if (!view.available) {
    return (
      <main className="patient-page booking">
        <h1>预约挂号</h1>
        <p>在线预约暂未开通,请到医院挂号窗口或拨打预约电话。</p>
      </main>
    );
  }
  const departments = [...new Map(view.sessions.map((s) => [s.departmentCode, s.departmentName])).entries()];
  const experts = view.sessions.filter((s) => s.departmentCode === view.dept);
  const values = result?.values ?? {};
  const fields = result?.fields ?? {};

  return (
    <main className="patient-page booking">
      <h1>预约挂号</h1>
      <p className="my-link">
        <Link to="/book/mine">我的预约</Link>
      </p>
      {view.session && view.slot ? (
        <>
          <p className="patient-lead" data-testid="chosen">
            {view.session.departmentName} · {view.session.expertName}
            {view.session.expertTitle ? `(${view.session.expertTitle})` : ''}
            <br />
            {view.session.date} {time(view.slot.startsAt)}–{time(view.slot.endsAt)} · 预缴费 ¥{(view.session.prepayFen / 100).toFixed(2)}
          </p>
          {result?.error && (
            <div className="alert alert-danger" role="alert" data-testid="booking-error">
              {result.error}
              {result.blacklistedUntil && <p>您仍可在开诊当天到挂号窗口现场挂号。</p>}
            </div>
          )}
          {view.wechatNotice && !view.me && (
            <p className="notice" role="status" data-testid="wechat-notice">
              {view.wechatNotice}
            </p>
          )}
          {result?.codeSent && (
            <p className="notice" role="status">
              验证码已发送到 {values.mobile}
            </p>
          )}
          <Form method="post" className="booking-form" noValidate>
            <input type="hidden" name="sessionId" value={view.session.sessionId} />
            <input type="hidden" name="slotIndex" value={view.slot.slotIndex} />
            {view.me?.profile ? (
              <div className="verified-identity" data-testid="verified-identity">
                <p>就诊人 {view.me.profile.nameMasked}</p>
                <p>身份证号 {view.me.profile.idNumberMasked}</p>
                <p>手机号 {view.me.profile.mobileMasked}</p>
                <p className="hint">{view.me.via === 'wechat' ? '已通过微信验证身份,无需短信验证码' : '已验证身份'}</p>
              </div>
            ) : (
              <PatientIdentityFields values={values} fields={fields} ownDetails {...(view.me ? { verifiedMobile: view.me.mobileMasked } : {})} />
            )}
            {!view.me && (
              <SmsCodeRow busy={busy} />
            )}
            <button type="submit" name="intent" value="book" disabled={busy} className="primary-wide">
              提交并支付
            </button>
          </Form>
          {view.me && (
            <Form method="post" className="forget-identity">
              <button type="submit" name="intent" value="forget" className="link-button" disabled={busy}>
                不是本人?更换就诊人
              </button>
            </Form>
          )}
          <p>
            <Link to={q({ dept: view.session.departmentCode, session: view.session.sessionId })}>重新选择时段</Link>
          </p>
        </>
      ) : view.session ? (
        <>
          <p className="patient-lead">
            {view.session.departmentName} · {view.session.expertName} · {view.session.date}
          </p>
          {!view.session.open && <p className="notice">该门诊预约已截止(现场挂号已开始),请到窗口现场挂号。</p>}
          <ul className="choice-list" data-testid="slots">
            {view.session.slots.map((sl) => (
              <li key={sl.slotIndex}>
                {view.session!.open && sl.left > 0 ? (
                  <Link to={q({ dept: view.session!.departmentCode, session: view.session!.sessionId, slot: String(sl.slotIndex) })}>
                    <span>
                      {time(sl.startsAt)}–{time(sl.endsAt)}
                    </span>
                    <span className="left">余 {sl.left} 个号</span>
                  </Link>
                ) : (
                  <span className="disabled">
                    <span>
                      {time(sl.startsAt)}–{time(sl.endsAt)}
                    </span>
                    <span className="left">{sl.left > 0 ? '已截止' : '已约满'}</span>
                  </span>
                )}
              </li>
            ))}
          </ul>
          <Link to={q({ dept: view.session.departmentCode })}>返回选择专家</Link>
        </>
      ) : (
        <>
          <nav className="date-chips" aria-label="就诊日期">
            {view.dates.map((d) => (
              <Link key={d.value} to={`/book?date=${d.value}`} aria-current={d.value === view.date ? 'true' : undefined}>
                {d.label}
              </Link>
            ))}
          </nav>
          {view.dept ? (
            <>
              <h2>选择专家</h2>
              <ul className="choice-list" data-testid="experts">
                {experts.map((s) => (
                  <li key={s.sessionId}>
                    <Link to={q({ dept: s.departmentCode, session: s.sessionId })}>
                      <span>
                        {s.expertName}
                        {s.expertTitle ? ` · ${s.expertTitle}` : ''}
                      </span>
                      <span className="left">
                        {time(s.startsAt)}–{time(s.endsAt)} · 余 {s.slots.reduce((a, sl) => a + sl.left, 0)} 个号
                      </span>
                    </Link>
                  </li>
                ))}
              </ul>
              <Link to={`/book?date=${view.date}`}>返回选择科室</Link>
            </>
          ) : (
            <>
              <h2>选择科室</h2>
              {departments.length === 0 && <p className="empty">当天没有可预约的门诊</p>}
              <ul className="choice-list" data-testid="departments">
                {departments.map(([code, name]) => (
                  <li key={code}>
                    <Link to={q({ dept: code })}>{name}</Link>
                  </li>
                ))}
              </ul>
            </>
          )}
        </>
      )}
    </main>
  );
}
