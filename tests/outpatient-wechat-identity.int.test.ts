/**
 * The patient's identity on /book and /book/mine, over HTTP against the whole origin (portal and
 * API) on the real Temporal server and Postgres, with the WeChat simulator's web authorization:
 * a bound openid books without an SMS code (its own record, masked on the page); an invalid code
 * (40029) or a reused one (40163) ends in the SMS path with the reason shown; an unbound openid
 * gets the SMS path; ordinary browsers never see WeChat; one SMS code lets the patient view and
 * cancel (the verified cookie), and the REST cancel keeps its mobile + code contract.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWechatPayAdapter } from '../activities/payments/wechat-pay.js';
import { startWechatPaySimulator, type WechatPaySimulator } from '../scripts/simulators/wechat-pay.js';
import type { Simulators } from '../scripts/simulators/providers.js';
import { WECHAT_OUTCOME_TEXT } from '../services/patient-identity.js';
import { appointmentWorkflowId, getAppointmentStateQuery } from '../workflows/appointment/contracts.js';
import { PUBLIC_BASE_URL, startChannelStack } from './support/channels.js';
import { waitFor } from './support/follow-up-fixtures.js';
import { createTestOrg, type TestOrg } from './support/org.js';
import { uniq, type TestStack } from './support/stack.js';

const WECHAT_UA = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN';
const fixture = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/providers/wechat/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;

let stack: TestStack;
let sims: Simulators;
let pay: WechatPaySimulator;
let org: TestOrg;
let session: { id: string; date: string };

/** A browser's cookies on the portal's origin. */
class Jar {
  readonly cookies = new Map<string, string>();
  take(res: Response) {
    for (const c of res.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(';');
      const [name, ...value] = pair!.split('=');
      const expired = attrs.some((a) => /^\s*max-age=0$/i.test(a));
      if (expired) this.cookies.delete(name!.trim());
      else this.cookies.set(name!.trim(), value.join('='));
    }
    return res;
  }
  get header() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

async function get(jar: Jar, path: string, ua?: string) {
  return jar.take(await stack.app.request(path, { headers: { cookie: jar.header, ...(ua ? { 'user-agent': ua } : {}) }, redirect: 'manual' }));
}
async function post(jar: Jar, path: string, body: unknown) {
  return jar.take(await stack.app.request(path, { method: 'POST', headers: { cookie: jar.header, 'content-type': 'application/json' }, body: JSON.stringify(body) }));
}
async function postForm(jar: Jar, path: string, fields: Record<string, string>) {
  return jar.take(await stack.app.request(path, { method: 'POST', headers: { cookie: jar.header, 'content-type': 'application/x-www-form-urlencoded', host: 'localhost', origin: 'http://localhost' }, body: new URLSearchParams(fields).toString(), redirect: 'manual' }));
}

/** Opens `path` inside WeChat as `openid` up to the page WeChat's authorization returns to. */
async function openInWechat(jar: Jar, path: string, openid: string, tamper?: (callback: URL) => void): Promise<{ callback: URL; back: Response }> {
  const first = await get(jar, path, WECHAT_UA);
  expect(first.status).toBe(302);
  const authorize = first.headers.get('location')!;
  expect(authorize.startsWith(`${sims.url}/wechat-open/connect/oauth2/authorize?`)).toBe(true);
  expect(authorize.endsWith('#wechat_redirect')).toBe(true);
  const q = new URL(authorize).searchParams;
  expect(Object.fromEntries(q)).toMatchObject({ appid: stack.env.WECHAT_APP_ID, redirect_uri: `${PUBLIC_BASE_URL}/book/wechat`, response_type: 'code', scope: 'snsapi_base' });
  expect(q.get('state')).toMatch(/^[\w-]{16}$/);
  expect(authorize).not.toContain(openid);
  const fromWechat = await sims.authorize(authorize, openid);
  expect(fromWechat.status).toBe(302);
  const callback = new URL(fromWechat.headers.get('location')!);
  expect(`${callback.origin}${callback.pathname}`).toBe(`${PUBLIC_BASE_URL}/book/wechat`);
  expect(callback.searchParams.get('state')).toBe(q.get('state'));
  tamper?.(callback);
  const back = await get(jar, `${callback.pathname}${callback.search}`, WECHAT_UA);
  expect(back.status).toBe(302);
  return { callback, back };
}

async function smsCode(mobile: string): Promise<string> {
  const before = sims.messages.length;
  expect((await post(new Jar(), '/api/outpatient/sms-codes', { mobile })).status).toBe(201);
  const msg = await waitFor(async () => sims.messages.slice(before).find((m) => m.address === `+86${mobile}` && m.body.includes('验证码')), 20_000, 'SMS code');
  return /(\d{6})/.exec(msg.body)![1]!;
}

/**
 * Paid → booked as the appointment's workflow sees it (its row says booked a moment before its
 * state does, and a cancel Update in between is refused as unpaid).
 */
const bookedInWorkflow = (number: string) =>
  waitFor(async () => (await stack.temporal.workflow.getHandle(appointmentWorkflowId(number)).query(getAppointmentStateQuery)).status === 'booked', 20_000, 'booked');

let seq = 0;
const newMobile = () => `158${`${Date.now()}${seq++}`.slice(-8)}`;
const newIdNumber = () => `${`3301061990${String(Date.now()).slice(-7)}${seq++}`.slice(0, 17)}X`;

async function boundPatient(openid: string) {
  const p = { name: '钱微信', mobile: newMobile(), idNumber: newIdNumber() };
  const [row] = await stack.sql<{ id: string }[]>`
    INSERT INTO patients (his_patient_id, name, phone, id_number, wechat_openid, wechat_bound_at)
    VALUES (${`WX-${uniq()}`}, ${p.name}, ${p.mobile}, ${p.idNumber}, ${openid}, now()) RETURNING id`;
  return { ...p, id: row!.id };
}

const slotPage = () => `/book?date=${session.date}&dept=${encodeURIComponent(org.deptA)}&session=${session.id}&slot=0`;

beforeAll(async () => {
  ({ stack, sims } = await startChannelStack({
    web: true,
    outpatient: async (channels, deliver) => {
      pay = await startWechatPaySimulator({ deliver });
      return { payments: createWechatPayAdapter(pay.adapterConfig), channels, codeIntervalSeconds: 0 };
    },
  }));
  org = await createTestOrg(stack.sql);
  const [s] = await stack.sql<{ id: string; session_date: string }[]>`
    WITH d AS (SELECT (now() AT TIME ZONE 'Asia/Shanghai')::date + 2 AS day)
    INSERT INTO clinic_sessions (expert_name, department_code, session_date, registration_opens_at, starts_at, ends_at, slot_minutes, prepay_fen)
    SELECT ${`微信专家-${uniq()}`}, ${org.deptA}, day, (day + time '07:00') AT TIME ZONE 'Asia/Shanghai',
           (day + time '08:00') AT TIME ZONE 'Asia/Shanghai', (day + time '10:00') AT TIME ZONE 'Asia/Shanghai', 60, 2000
    FROM d RETURNING id, session_date::text`;
  session = { id: s!.id, date: s!.session_date };
  for (const i of [0, 1]) {
    await stack.sql`
      INSERT INTO clinic_slots (session_id, slot_index, starts_at, ends_at, appointment_quota)
      SELECT id, ${i}, starts_at + make_interval(hours => ${i}::int), starts_at + make_interval(hours => ${i + 1}::int), 20 FROM clinic_sessions WHERE id = ${session.id}`;
  }
});
afterAll(async () => {
  await pay?.stop();
  await stack?.stop();
});

describe('WeChat identity on the booking pages', () => {
  it('a bound openid is identified without an SMS code: masked record on the page, books, sees and cancels', async () => {
    const openid = `oWX${uniq()}${uniq()}`;
    const patient = await boundPatient(openid);
    const jar = new Jar();
    const codesBefore = sims.messages.filter((m) => m.body.includes('验证码')).length;
    const { back } = await openInWechat(jar, slotPage(), openid);
    expect(back.headers.get('location')).toBe(slotPage());
    expect(jar.cookies.get('sf_wx')).toBe('bound');
    expect(jar.cookies.get('sf_patient')).toBeTruthy();
    expect(jar.cookies.has('sf_wx_state')).toBe(false);
    // The identity is sealed: neither the mobile nor the openid is readable in the cookie or the URL.
    expect(jar.header).not.toContain(patient.mobile);
    expect(back.headers.get('location')).not.toContain('code=');

    const page = await get(jar, slotPage(), WECHAT_UA);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('data-testid="verified-identity"');
    expect(html).toContain('钱**');
    expect(html).toContain(`${patient.idNumber.slice(0, 3)}${'*'.repeat(11)}${patient.idNumber.slice(-4)}`);
    expect(html).toContain(`${patient.mobile.slice(0, 3)}****${patient.mobile.slice(-4)}`);
    expect(html).not.toContain(patient.mobile);
    expect(html).not.toContain(patient.idNumber);
    expect(html).toContain('无需短信验证码');
    expect(html).not.toContain('name="code"');

    // The REST API takes the verified session: no code, and the identity is the bound record's.
    const booked = await post(jar, '/api/outpatient/appointments', { sessionId: session.id, slotIndex: 0 });
    expect(booked.status).toBe(201);
    const { appointment: held } = (await booked.json()) as { appointment: { number: string; outTradeNo: string } };
    const [a] = await stack.sql<{ patient_id: string }[]>`SELECT patient_id FROM appointments WHERE number = ${held.number}`;
    expect(a!.patient_id).toBe(patient.id);
    // Another browser without the session still needs the code.
    expect(await (await post(new Jar(), '/api/outpatient/appointments', { sessionId: session.id, slotIndex: 1, ...patient })).json()).toMatchObject({ error: 'bad_code' });

    const mine = await (await get(jar, '/book/mine', WECHAT_UA)).text();
    expect(mine).toContain(held.number);
    expect(mine).toContain('已通过微信验证');
    // Unpaid: the clear reason stays; paid: cancelled with the session alone.
    expect(await (await post(jar, `/api/outpatient/appointments/${held.number}/cancel`, {})).json()).toMatchObject({ error: 'unpaid' });
    expect(await pay.pay(held.outTradeNo)).toBe(204);
    await bookedInWorkflow(held.number);
    const cancelled = await post(jar, `/api/outpatient/appointments/${held.number}/cancel`, {});
    expect({ status: cancelled.status, body: (await cancelled.json()) as unknown }).toMatchObject({ status: 200, body: { appointment: { number: held.number, status: 'cancelled' } } });
    expect(sims.messages.filter((m) => m.body.includes('验证码'))).toHaveLength(codesBefore);
  });

  it('an invalid or reused code ends in the SMS path with the reason; the simulator answers as WeChat does', async () => {
    const openid = `oWX${uniq()}${uniq()}`;
    await boundPatient(openid);
    const jar = new Jar();
    let used = '';
    await openInWechat(jar, slotPage(), openid, (callback) => {
      used = callback.searchParams.get('code')!;
      callback.searchParams.set('code', 'not-a-code-wechat-gave');
    });
    expect(jar.cookies.get('sf_wx')).toBe('failed');
    expect(jar.cookies.has('sf_patient')).toBe(false);
    // No loop: the page now shows the SMS fields and says why.
    const page = await get(jar, slotPage(), WECHAT_UA);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(WECHAT_OUTCOME_TEXT.failed);
    expect(html).toContain('name="code"');

    // WeChat's own answers: 40029 for an unknown code (the published shape), 40163 for a used one, the published fields on success.
    const exchange = (code: string) =>
      fetch(`${stack.env.WECHAT_API_BASE_URL}/sns/oauth2/access_token?${new URLSearchParams({ appid: stack.env.WECHAT_APP_ID!, secret: stack.env.WECHAT_APP_SECRET!, code, grant_type: 'authorization_code' })}`).then(
        (r) => r.json() as Promise<Record<string, unknown>>,
      );
    const invalid = await exchange('not-a-code-wechat-gave');
    const published = fixture('sns-oauth2-invalid-code.json');
    expect(Object.keys(invalid).sort()).toEqual(Object.keys(published).sort());
    expect(invalid.errcode).toBe(published.errcode);
    expect(String(invalid.errmsg)).toMatch(/^invalid code, rid: /);
    const good = await exchange(used);
    const sample = fixture('sns-oauth2-access-token-response.json');
    for (const [k, v] of Object.entries(good)) expect([k, typeof sample[k]]).toEqual([k, typeof v]);
    expect(good).toMatchObject({ openid, scope: 'snsapi_base', expires_in: 7200 });
    expect(await exchange(used)).toMatchObject({ errcode: 40163 });

    // A second phone whose code was already used (a refreshed callback URL) also falls back.
    const again = new Jar();
    await openInWechat(again, '/book/mine', openid, (callback) => callback.searchParams.set('code', used));
    expect(again.cookies.get('sf_wx')).toBe('failed');
    expect(await (await get(again, '/book/mine', WECHAT_UA)).text()).toContain(WECHAT_OUTCOME_TEXT.failed);
  });

  it('an unbound openid gets the SMS path; ordinary browsers never go to WeChat; ?from=wechat does', async () => {
    const jar = new Jar();
    const { back } = await openInWechat(jar, '/book/mine', `oNEW${uniq()}${uniq()}`);
    expect(back.headers.get('location')).toBe('/book/mine');
    expect(jar.cookies.get('sf_wx')).toBe('unbound');
    expect(jar.cookies.has('sf_patient')).toBe(false);
    const html = await (await get(jar, '/book/mine', WECHAT_UA)).text();
    expect(html).toContain(WECHAT_OUTCOME_TEXT.unbound);
    expect(html).toContain('name="code"');

    const browser = await get(new Jar(), slotPage(), 'Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0 Safari/537.36');
    expect(browser.status).toBe(200);
    const menuLink = await get(new Jar(), '/book?from=wechat');
    expect(menuLink.status).toBe(302);
    expect(menuLink.headers.get('location')).toContain('/wechat-open/connect/oauth2/authorize?');
    // The 模拟手机 page's link: the simulator remembers the phone's WeChat account, its authorize page answers as it.
    const as = await fetch(`${sims.url}/sim/wechat/as?openid=oDEV${uniq()}&next=${encodeURIComponent(`${PUBLIC_BASE_URL}/book?from=wechat`)}`, { redirect: 'manual' });
    expect(as.status).toBe(302);
    expect(as.headers.get('location')).toBe(`${PUBLIC_BASE_URL}/book?from=wechat`);
    const simCookie = as.headers.getSetCookie()[0]!.split(';')[0]!;
    const authorized = await fetch(menuLink.headers.get('location')!, { headers: { cookie: simCookie }, redirect: 'manual' });
    const devCode = new URL(authorized.headers.get('location')!).searchParams.get('code')!;
    const devAnswer = (await (
      await fetch(`${stack.env.WECHAT_API_BASE_URL}/sns/oauth2/access_token?${new URLSearchParams({ appid: stack.env.WECHAT_APP_ID!, secret: stack.env.WECHAT_APP_SECRET!, code: devCode, grant_type: 'authorization_code' })}`)
    ).json()) as { openid: string };
    expect(`sim_wechat_openid=${devAnswer.openid}`).toBe(simCookie);
    // A state that is not this browser's is refused (no identity from someone else's callback).
    const stranger = new Jar();
    expect((await get(stranger, '/book/wechat?code=x&state=y')).headers.get('location')).toBe('/book');
    expect(stranger.cookies.get('sf_wx')).toBe('failed');
  });
});

describe('one verification per while', () => {
  it('one SMS code: the patient lists and cancels without a second; the REST contract (mobile + code) stays', async () => {
    const mobile = newMobile();
    const patient = { name: '孙一次', idNumber: newIdNumber(), mobile };
    const first = await post(new Jar(), '/api/outpatient/appointments', { sessionId: session.id, slotIndex: 1, ...patient, code: await smsCode(mobile) });
    expect(first.status).toBe(201);
    const { appointment: held } = (await first.json()) as { appointment: { number: string; outTradeNo: string } };
    expect(await pay.pay(held.outTradeNo)).toBe(204);
    await bookedInWorkflow(held.number);

    // 我的预约: one code, then the list and the cancel ride on the verified cookie.
    const jar = new Jar();
    const listed = await postForm(jar, '/book/mine', { intent: 'list', mobile, code: await smsCode(mobile) });
    expect(listed.status).toBe(302);
    expect(jar.cookies.get('sf_patient')).toBeTruthy();
    const codes = sims.messages.filter((m) => m.address === `+86${mobile}` && m.body.includes('验证码')).length;
    expect(await (await get(jar, '/book/mine')).text()).toContain(held.number);

    // Someone else's verified session: not theirs (clear 403).
    const other = new Jar();
    const otherMobile = newMobile();
    expect((await postForm(other, '/book/mine', { intent: 'list', mobile: otherMobile, code: await smsCode(otherMobile) })).status).toBe(302);
    const notYours = await post(other, `/api/outpatient/appointments/${held.number}/cancel`, {});
    expect(notYours.status).toBe(403);
    expect(await notYours.json()).toMatchObject({ error: 'not_yours' });
    // The session is bound to its mobile: naming another mobile needs that mobile's code.
    expect(await (await post(other, `/api/outpatient/appointments/${held.number}/cancel`, { mobile })).json()).toMatchObject({ error: 'bad_code' });
    // A forged cookie is no session.
    const forged = new Jar();
    forged.cookies.set('sf_patient', jar.cookies.get('sf_patient')!.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')));
    expect(await (await post(forged, `/api/outpatient/appointments/${held.number}/cancel`, {})).json()).toMatchObject({ error: 'invalid_input' });

    const cancel = await postForm(jar, '/book/mine', { intent: 'cancel', number: held.number });
    expect(cancel.status).toBe(200);
    expect((await cancel.text()).replace(/<!-- -->/g, '')).toContain(`预约 ${held.number} 已取消,预缴费将原路退回`);
    expect(sims.messages.filter((m) => m.address === `+86${mobile}` && m.body.includes('验证码'))).toHaveLength(codes);
    const [a] = await stack.sql<{ status: string }[]>`SELECT status FROM appointments WHERE number = ${held.number}`;
    expect(a!.status).toBe('cancelled');

    // Signing out of 我的预约 forgets the session.
    expect((await postForm(jar, '/book/mine', { intent: 'forget' })).status).toBe(302);
    expect(jar.cookies.has('sf_patient')).toBe(false);
    expect(await (await get(jar, '/book/mine')).text()).toContain('name="code"');
  });
});
