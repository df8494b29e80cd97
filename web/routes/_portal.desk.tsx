/**
 * /desk — 挂号窗口 (registration desk), for the staff who run their department's outpatient
 * sessions (department head/staff; admin for all): pick the day's session, check a patient in by
 * appointment number or ID card (the queue rules place them: early → their slot, late → end of
 * the last slot, passed → next), and book for a patient at the window or on the phone with the
 * same rules as /book, without the SMS code; the held number then waits for the prepayment (the
 * payment link is shown for the patient's phone). Rules: services/registration-desk.ts.
 */
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { isServiceError } from '../../services/errors.js';
import { requireUser } from '../auth.server.js';
import { PatientIdentityFields } from '../components/PatientIdentityFields.js';

export const meta: MetaFunction = () => [{ title: '挂号窗口 · 随访管理平台' }];

const DESK_ROLES = ['dept_head', 'dept_staff', 'admin'] as const;
const time = (iso: string) => new Date(iso).toLocaleTimeString('zh-CN', { timeZone: 'Asia/Shanghai', hour: '2-digit', minute: '2-digit', hour12: false });
const RULE_LABELS: Record<string, string> = { late_called: '过号优先', appointment: '按预约时段', walk_in: '现场', after_slot_end: '迟到(排至末尾)' };

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context, DESK_ROLES);
  const url = new URL(request.url);
  const view = await context.services.registrationDesk.sessions(user, url.searchParams.get('date') ?? '');
  const session = view.sessions.find((s) => s.id === url.searchParams.get('session')) ?? (view.sessions.length === 1 ? view.sessions[0]! : null);
  return { ...view, session };
}

type Result =
  | { kind: 'checked_in'; number: string; queueNote: string | null; rule: string | null; position: number | null }
  | { kind: 'booked'; number: string; shortCode: string; payUrl: string; holdExpiresAt: string; amountFen: number }
  | { kind: 'error'; intent: string; error: string; fields: Record<string, string>; values: Record<string, string> };

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireUser(request, context, DESK_ROLES);
  const form = await request.formData();
  const values: Record<string, string> = {};
  for (const [k, v] of form) if (typeof v === 'string') values[k] = v.trim();
  const desk = context.services.registrationDesk;
  try {
    if (values.intent === 'check_in') {
      const done = await desk.checkIn(user, values.sessionId ?? '', { lookup: values.lookup ?? '' }, context.meta);
      return data<Result>({ kind: 'checked_in', ...done });
    }
    if (values.intent === 'book') {
      const held = await desk.book(user, { sessionId: values.sessionId, slotIndex: values.slotIndex, name: values.name, idNumber: values.idNumber, mobile: values.mobile }, context.meta);
      return data<Result>({ kind: 'booked', number: held.number, shortCode: held.shortCode, payUrl: held.payUrl, holdExpiresAt: held.holdExpiresAt, amountFen: held.amountFen });
    }
    throw new Response('未知操作', { status: 400 });
  } catch (err) {
    if (!isServiceError(err)) throw err;
    const fields: Record<string, string> = {};
    for (const p of (err.details?.problems ?? []) as { field: string; message: string }[]) fields[p.field] = p.message;
    return data<Result>({ kind: 'error', intent: values.intent ?? '', error: err.message, fields, values }, { status: err.status });
  }
}

export default function Desk() {
  const view = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as Result | undefined;
  const busy = useNavigation().state !== 'idle';
  const failed = result?.kind === 'error' ? result : null;
  const values = failed?.intent === 'book' ? failed.values : {};
  const fields = failed?.fields ?? {};

  return (
    <section className="desk">
      <h1>挂号窗口</h1>
      <Form method="get" className="toolbar">
        <label>
          日期 <input type="date" name="date" defaultValue={view.date} />
        </label>
        <button type="submit">查看</button>
      </Form>
      {view.sessions.length === 0 ? (
        <p className="empty">当天没有本科室的门诊</p>
      ) : (
        <ul className="desk-sessions" data-testid="desk-sessions">
          {view.sessions.map((s) => (
            <li key={s.id}>
              <Link to={`/desk?date=${view.date}&session=${s.id}`} aria-current={view.session?.id === s.id ? 'true' : undefined}>
                {s.departmentName} · {s.expertName} · {time(s.startsAt)}–{time(s.endsAt)} · 余 {s.slots.reduce((a, sl) => a + sl.left, 0)} 个号
              </Link>
            </li>
          ))}
        </ul>
      )}

      {failed && (
        <div className="alert alert-danger" role="alert" data-testid="desk-error">
          {failed.error}
        </div>
      )}
      {result?.kind === 'checked_in' && (
        <div className="notice" role="status" data-testid="desk-checked-in">
          {result.number} 已签到{result.position ? `,当前第 ${result.position} 位` : ''}
          {result.rule ? `(${RULE_LABELS[result.rule] ?? result.rule})` : ''}
          {result.queueNote ? ` · ${result.queueNote}` : ''}
        </div>
      )}
      {result?.kind === 'booked' && (
        <div className="notice" role="status" data-testid="desk-booked">
          <p>
            已为患者保留 <strong>{result.number}</strong>(查询码 {result.shortCode}),请在 {time(result.holdExpiresAt)} 前完成预缴费 ¥{(result.amountFen / 100).toFixed(2)},逾期号源自动释放。
          </p>
          <p>
            支付链接(发给患者手机):<a href={result.payUrl}>{result.payUrl}</a>
          </p>
        </div>
      )}

      {view.session && (
        <div className="desk-panels">
          {/* Keyed by the last result: a done check-in or booking clears its form. */}
          <Form method="post" className="card desk-card" key={`c-${result?.kind === 'checked_in' ? result.number : ''}`}>
            <h2>签到</h2>
            <input type="hidden" name="sessionId" value={view.session.id} />
            <label>
              预约号或身份证号
              <input name="lookup" autoComplete="off" required defaultValue={failed?.intent === 'check_in' ? (failed.values.lookup ?? '') : ''} />
            </label>
            <button type="submit" name="intent" value="check_in" disabled={busy}>
              签到
            </button>
            <p className="hint">早到排入其预约时段;时段结束后才到排至最后一个时段末尾;过号的患者返回后下一位就诊。</p>
          </Form>

          <Form method="post" className="card desk-card" key={`b-${result?.kind === 'booked' ? result.number : ''}`}>
            <h2>窗口预约</h2>
            {!view.bookingOffered && <p className="notice">预约缴费通道未配置,暂不能在窗口预约。</p>}
            <input type="hidden" name="sessionId" value={view.session.id} />
            <label>
              时段
              <select name="slotIndex" defaultValue={values.slotIndex ?? ''}>
                {view.session.slots.map((sl) => (
                  <option key={sl.slotIndex} value={sl.slotIndex} disabled={sl.left === 0}>
                    {time(sl.startsAt)}–{time(sl.endsAt)} · {sl.left > 0 ? `余 ${sl.left} 个号` : '已约满'}
                  </option>
                ))}
              </select>
            </label>
            <PatientIdentityFields values={values} fields={fields} />
            <button type="submit" name="intent" value="book" disabled={busy || !view.bookingOffered}>
              预约并生成缴费链接
            </button>
          </Form>
        </div>
      )}
    </section>
  );
}
