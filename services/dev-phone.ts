/**
 * The 模拟手机 developer page's data: what the provider simulators hold per phone or WeChat user
 * (both directions), with the patient it belongs to, and replies sent as that patient. Exists only
 * while `npm start` runs the simulators (SIMULATOR_URL); otherwise every call says not found.
 */
import type { Sql } from '../db/client.js';
import type { SimMessage } from '../scripts/simulators/providers.js';
import type { SimCall } from '../scripts/simulators/twilio-voice.js';
import { notFound, ServiceError } from './errors.js';

export interface PhoneThread {
  address: string;
  patientName: string | null;
  messages: SimMessage[];
}

export function createDevPhoneService({ sql, simulatorUrl }: { sql: Sql; simulatorUrl: string | undefined }) {
  function base(): string {
    if (!simulatorUrl) throw notFound('模拟器未运行(仅 npm start 开发模式提供)');
    return simulatorUrl;
  }
  return {
    enabled: () => simulatorUrl !== undefined,

    /** Conversations, newest activity first. */
    async threads(): Promise<PhoneThread[]> {
      const { messages } = (await (await fetch(`${base()}/sim/messages`)).json()) as { messages: SimMessage[] };
      const byAddress = new Map<string, SimMessage[]>();
      for (const m of messages) byAddress.set(m.address, [...(byAddress.get(m.address) ?? []), m]);
      const addresses = [...byAddress.keys()];
      const names = await sql<{ phone: string | null; wechat_openid: string | null; name: string }[]>`
        SELECT phone, wechat_openid, name FROM patients
        WHERE phone = ANY(${addresses.map((a) => a.replace(/^\+86/, ''))}) OR wechat_openid = ANY(${addresses})`;
      // Staff phones get their notifications (escalations, red flags) here too.
      const staff = await sql<{ phone: string | null; wechat_openid: string | null; name: string }[]>`
        SELECT phone, wechat_openid, display_name || '(员工)' AS name FROM users
        WHERE phone = ANY(${addresses.map((a) => a.replace(/^\+86/, ''))}) OR wechat_openid = ANY(${addresses})`;
      const nameOf = (a: string) =>
        [...names, ...staff].find((n) => n.wechat_openid === a || n.phone === a.replace(/^\+86/, ''))?.name ?? null;
      return addresses
        .map((address) => ({ address, patientName: nameOf(address), messages: byAddress.get(address)! }))
        .sort((a, b) => b.messages.at(-1)!.at.localeCompare(a.messages.at(-1)!.at));
    },

    /** Calls the Twilio Voice simulator placed (newest first), with the patient each rang, if known. */
    async calls(): Promise<(SimCall & { patientName: string | null })[]> {
      const { calls } = (await (await fetch(`${base()}/sim/calls`)).json()) as { calls: SimCall[] };
      const numbers = calls.map((c) => c.to.replace(/^\+86/, ''));
      const names = await sql<{ phone: string; name: string }[]>`SELECT phone, name FROM patients WHERE phone = ANY(${numbers})`;
      return calls
        .map((c) => ({ ...c, patientName: names.find((n) => n.phone === c.to.replace(/^\+86/, ''))?.name ?? null }))
        .reverse();
    },

    /** Acts on a ringing or ongoing call as the phone's owner: pick up, reject, press keys, hang up. */
    async callAction(sid: string, action: string, digits = ''): Promise<boolean> {
      if (!['answer', 'reject', 'press', 'hangup'].includes(action)) throw new ServiceError(400, 'invalid_input', 'action: 未知的操作');
      const res = await fetch(`${base()}/sim/calls/${encodeURIComponent(sid)}/${action}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ digits }),
      });
      return res.ok;
    },

    /** The patient answers by SMS, as their phone would. */
    async reply(from: string, body: string): Promise<void> {
      if (!from || !body.trim()) throw new ServiceError(400, 'invalid_input', 'body: 请输入回复内容');
      await fetch(`${base()}/sim/sms/reply`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ from, body: body.trim() }) });
    },
  };
}
