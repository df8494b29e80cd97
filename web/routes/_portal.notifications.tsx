import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, Link, useLoaderData } from '@remix-run/react';
import { orRespond, requireUser } from '../auth.server.js';

export const meta: MetaFunction = () => [{ title: '通知 · 随访管理平台' }];

/** The user's notifications: ticket notices (new, transferred, escalated, reopened), the department's red-flag alerts and its prepayment refunds that need a person (退款异常,需人工处理). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context, ['dept_head', 'dept_staff', 'manager', 'admin']);
  return { items: await context.services.notifications.list(user), phone: await orRespond(context.services.notifications.phoneSettings(user)) };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireUser(request, context, ['dept_head', 'dept_staff', 'manager', 'admin']);
  const form = await request.formData();
  const id = String(form.get('id') ?? '');
  if (form.get('intent') === 'phone_settings') {
    await orRespond(context.services.notifications.setPhoneSettings(user, { sms: form.get('sms') === 'on', wechat: form.get('wechat') === 'on' }, context.meta));
    return { ok: true };
  }
  if (form.get('intent') === 'acknowledge') await orRespond(context.services.notifications.acknowledgeAlert(user, id, context.meta));
  else await orRespond(context.services.notifications.markRead(user, id));
  return { ok: true };
}

const time = (iso: string) => new Date(iso).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false });

export default function Notifications() {
  const { items, phone } = useLoaderData<typeof loader>();
  return (
    <section>
      <h1>通知</h1>
      {items.length === 0 ? (
        <p className="empty">暂无通知</p>
      ) : (
        <ul className="notifications" data-testid="notifications">
          {items.map((n) => (
            <li key={`${n.kind}-${n.id}`} className={n.doneAt ? 'done' : n.kind !== 'notice' ? 'open urgent' : 'open'}>
              <span className="when">{time(n.createdAt)}</span>
              <span className="what">
                {n.body}
                {n.ticketId && (
                  <>
                    {' '}
                    <Link to={`/tickets/${n.ticketId}`}>查看工单</Link>
                  </>
                )}
                {n.taskId && (
                  <>
                    {' '}
                    <Link to={`/tasks/${n.taskId}`}>查看任务</Link>
                  </>
                )}
              </span>
              {n.doneAt ? (
                <span className="state">{n.kind !== 'notice' ? '已确认' : '已读'}</span>
              ) : (
                <Form method="post">
                  <input type="hidden" name="id" value={n.id} />
                  <button type="submit" name="intent" value={n.kind !== 'notice' ? 'acknowledge' : 'read'}>
                    {n.kind === 'red_flag' ? '确认预警' : n.kind === 'refund' ? '确认已处理' : '标为已读'}
                  </button>
                </Form>
              )}
            </li>
          ))}
        </ul>
      )}
      <Form method="post" className="notify-settings" aria-label="手机提醒设置">
        <h2>手机提醒</h2>
        <p className="hint">
          红旗预警随时发送到手机;超时督办等通知在免打扰时段(默认 21:00–08:00)之后发送。通知列表始终保留全部通知。
        </p>
        <label className="check">
          <input type="checkbox" name="sms" defaultChecked={phone.sms} /> 短信提醒{phone.hasPhone ? '' : '(未登记手机号,请联系管理员)'}
        </label>
        <label className="check">
          <input type="checkbox" name="wechat" defaultChecked={phone.wechat} /> 微信提醒{phone.wechatBound ? '' : '(未绑定微信)'}
        </label>
        <button type="submit" name="intent" value="phone_settings">
          保存
        </button>
      </Form>
    </section>
  );
}
