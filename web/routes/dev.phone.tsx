import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, useLoaderData } from '@remix-run/react';
import { orRespond } from '../auth.server.js';
import { SimCalls } from '../components/dev/SimCalls.js';

export const meta: MetaFunction = () => [{ title: '模拟手机 · 开发' }];

/** Developer page (only while npm start runs the provider simulators): each patient's messages, and replying as the patient. */
export async function loader({ context }: LoaderFunctionArgs) {
  const [threads, calls] = await Promise.all([orRespond(context.services.devPhone.threads()), orRespond(context.services.devPhone.calls())]);
  // A WeChat follower opens 预约挂号 from the Official Account's menu: the simulator's authorize page then answers as them.
  const { SIMULATOR_URL, PUBLIC_BASE_URL } = context.services.env;
  const wechatBooking = SIMULATOR_URL ? `${SIMULATOR_URL.replace(/\/$/, '')}/sim/wechat/as?next=${encodeURIComponent(`${PUBLIC_BASE_URL.replace(/\/$/, '')}/book?from=wechat`)}&openid=` : null;
  return { threads, calls, wechatBooking };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await request.formData();
  // Calls: pick up, reject, press a key, hang up (components/dev/SimCalls.tsx).
  if (form.get('sid')) {
    await orRespond(context.services.devPhone.callAction(String(form.get('sid')), String(form.get('call') ?? ''), String(form.get('digits') ?? '')));
    return { ok: true };
  }
  // A quick-reply button carries its text as `quick`; otherwise the typed reply.
  const body = String(form.get('quick') ?? form.get('body') ?? '');
  await orRespond(context.services.devPhone.reply(String(form.get('from') ?? ''), body));
  return { ok: true };
}

export default function DevPhone() {
  const { threads, calls, wechatBooking } = useLoaderData<typeof loader>();
  return (
    <main className="dev-phone">
      <h1>模拟手机</h1>
      <p className="hint">开发用:本地模拟器(Twilio / 阿里云短信 / 微信)收到的消息。点开链接即以患者身份填写问卷;回复数字 1–5 作答或评价,回复“退订”退订。</p>
      <h2>电话</h2>
      <SimCalls calls={calls} />
      <h2>消息</h2>
      {threads.length === 0 && <p className="empty">还没有消息。出院患者的关怀短信和问卷链接会出现在这里。</p>}
      {threads.map((t) => (
        <section key={t.address} className="phone" aria-label={`${t.patientName ?? '未知'} ${t.address}`}>
          <h2>
            {t.patientName ?? '未知号码'} <small>{t.address}</small>
          </h2>
          <ol>
            {t.messages.map((m) => (
              <li key={`${m.direction}-${m.id}`} className={m.direction}>
                <span className="via">{m.provider === 'wechat' ? '微信' : '短信'}</span> {m.body}
                {m.link && (
                  <>
                    {' '}
                    <a href={m.link} target="_blank" rel="noreferrer">
                      打开链接
                    </a>
                  </>
                )}
                <small> {m.status}</small>
              </li>
            ))}
          </ol>
          {!t.address.startsWith('+') && wechatBooking && (
            <p>
              <a href={`${wechatBooking}${encodeURIComponent(t.address)}`} target="_blank" rel="noreferrer">
                以该微信用户打开预约挂号
              </a>
            </p>
          )}
          {t.address.startsWith('+') && (
            <Form method="post" className="reply">
              <input type="hidden" name="from" value={t.address} />
              <input name="body" aria-label="回复内容" placeholder="以患者身份回复" />
              <button type="submit">发送</button>
              {['1', '3', '5', '退订'].map((quick) => (
                <button key={quick} type="submit" name="quick" value={quick}>
                  {quick}
                </button>
              ))}
            </Form>
          )}
        </section>
      ))}
    </main>
  );
}
