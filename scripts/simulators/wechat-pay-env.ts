/**
 * The WECHAT_PAY_* settings that point the server's payment adapter at a running WeChat Pay
 * simulator: its generated merchant private key and platform public key are written as PEM files
 * (mode 0600) under `dir`, as a deployment keeps the real ones.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import type { WechatPaySimulator } from './wechat-pay.js';

const pem = (key: KeyObject | string, kind: 'private' | 'public'): string =>
  typeof key === 'string' ? key : String(kind === 'private' ? key.export({ type: 'pkcs8', format: 'pem' }) : key.export({ type: 'spki', format: 'pem' }));

export function wechatPaySimulatorEnv(sim: Pick<WechatPaySimulator, 'adapterConfig'>, dir: string): Record<string, string> {
  const config = sim.adapterConfig;
  const [platformSerial, platformKey] = Object.entries(config.platformKeys)[0]!;
  mkdirSync(dir, { recursive: true });
  const merchantKeyFile = join(dir, 'apiclient_key.pem');
  const platformKeyFile = join(dir, 'pub_key.pem');
  writeFileSync(merchantKeyFile, pem(config.merchantPrivateKey, 'private'), { mode: 0o600 });
  writeFileSync(platformKeyFile, pem(platformKey, 'public'), { mode: 0o600 });
  return {
    WECHAT_PAY_BASE_URL: config.baseUrl,
    WECHAT_PAY_APP_ID: config.appId,
    WECHAT_PAY_MCH_ID: config.mchId,
    WECHAT_PAY_MERCHANT_SERIAL: config.merchantSerial,
    WECHAT_PAY_MERCHANT_PRIVATE_KEY_FILE: merchantKeyFile,
    WECHAT_PAY_PLATFORM_PUBLIC_KEY_FILE: platformKeyFile,
    WECHAT_PAY_PLATFORM_SERIAL: platformSerial,
    WECHAT_PAY_API_V3_KEY: config.apiV3Key,
  };
}
