/**
 * Production wiring of outpatient booking: the WECHAT_PAY_* settings (PEM files, as `npm start`
 * writes them for the local WeChat Pay simulator) give the server a working WeChat Pay adapter,
 * and the API then mounts /api/outpatient; without them it is not mounted. No database or
 * Temporal is touched: the routes checked answer before either is needed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outpatientFromEnv, paymentsFromEnv } from '../activities/payments/settings.js';
import { createApi } from '../api/app.js';
import { loadEnv } from '../config/env.js';
import { createSql } from '../db/client.js';
import { startWechatPaySimulator, type WechatPaySimulator } from '../scripts/simulators/wechat-pay.js';
import { wechatPaySimulatorEnv } from '../scripts/simulators/wechat-pay-env.js';
import { createServices } from '../services/index.js';

let pay: WechatPaySimulator;
let dir: string;
let payEnv: Record<string, string>;
const sql = createSql('postgres://nobody:nothing@127.0.0.1:1/none');
const connection = Connection.lazy({ address: '127.0.0.1:1' });
const temporal = new Client({ connection });

beforeAll(async () => {
  pay = await startWechatPaySimulator();
  dir = mkdtempSync(join(tmpdir(), 'wxpay-'));
  payEnv = wechatPaySimulatorEnv(pay, dir);
});
afterAll(async () => {
  await pay?.stop();
  rmSync(dir, { recursive: true, force: true });
  await sql.end({ timeout: 1 });
});

const api = (source: Record<string, string>) => {
  const env = loadEnv({ NODE_ENV: 'test', ...source });
  return createApi(createServices({ sql, temporal, env, ...outpatientFromEnv(env) }));
};

describe('outpatient booking wiring from the environment', () => {
  it('builds a WeChat Pay adapter from the settings that signs requests the simulator accepts', async () => {
    const adapter = paymentsFromEnv(loadEnv({ NODE_ENV: 'test', ...payEnv }));
    expect(adapter).not.toBeNull();
    const created = await adapter!.createPayment({
      outTradeNo: `T${Date.now()}`,
      amountFen: 2500,
      description: '挂号预约',
      notifyUrl: 'http://localhost:3000/api/outpatient/payments/wechat/notify',
      expiresAt: new Date(Date.now() + 600_000),
    });
    expect(created.payUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/pay\?prepay_id=wx/);
    // The notification the simulator signs with the platform key verifies against the configured public key.
    const order = [...pay.orders.values()][0]!;
    const { headers, body } = pay.notification(order);
    expect(adapter!.verifyNotification(headers, body).outTradeNo).toBe(order.outTradeNo);
  });

  it('mounts /api/outpatient when WeChat Pay is configured (a forged notification is refused), not otherwise', async () => {
    const forged = { method: 'POST', headers: { 'Content-Type': 'application/json', 'Wechatpay-Timestamp': String(Math.floor(Date.now() / 1000)), 'Wechatpay-Nonce': 'n', 'Wechatpay-Serial': payEnv.WECHAT_PAY_PLATFORM_SERIAL!, 'Wechatpay-Signature': 'AAAA' }, body: '{}' };
    const on = await api(payEnv).request('/outpatient/payments/wechat/notify', forged);
    expect(on.status).toBe(401);
    expect(await on.json()).toMatchObject({ code: 'FAIL' });
    const off = await api({}).request('/outpatient/payments/wechat/notify', forged);
    // Without it the path falls to the signed-in staff API, which asks for a session instead.
    expect(await off.json()).not.toMatchObject({ code: 'FAIL' });
  });

  it('refuses a partly configured merchant at start-up', () => {
    expect(() => paymentsFromEnv(loadEnv({ NODE_ENV: 'test', WECHAT_PAY_MCH_ID: '1900000001' }))).toThrow(/WECHAT_PAY_APP_ID.*missing/);
  });
});
