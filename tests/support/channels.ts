/**
 * A test stack whose worker talks to the provider simulators (scripts/simulators), and whose
 * simulators call the stack's webhooks back in-process, signed as the providers sign.
 */
import { channelsFromEnv } from '../../activities/channels/settings.js';
import { loadEnv, type Env } from '../../config/env.js';
import { DEV_SIMULATOR_CREDENTIALS, startSimulators, type Simulators } from '../../scripts/simulators/providers.js';
import type { Sql } from '../../db/client.js';
import { startStack, uniq, type TestStack } from './stack.js';

export const PUBLIC_BASE_URL = 'https://suifang.example.test';

const CHANNEL_KEYS = [
  'PUBLIC_BASE_URL', 'TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM_NUMBER', 'TWILIO_API_BASE_URL', 'ALIYUN_ACCESS_KEY_ID',
  'ALIYUN_ACCESS_KEY_SECRET', 'ALIYUN_SMS_ENDPOINT', 'ALIYUN_SMS_PROTOCOL', 'ALIYUN_SMS_SIGN_NAME', 'ALIYUN_SMS_TEMPLATES',
  'ALIYUN_SMS_CALLBACK_TOKEN', 'WECHAT_APP_ID', 'WECHAT_APP_SECRET', 'WECHAT_TOKEN', 'WECHAT_API_BASE_URL', 'WECHAT_TEMPLATE_ID',
] as const;

export async function startChannelStack(): Promise<{ stack: TestStack; sims: Simulators }> {
  let stack: TestStack | undefined;
  const sims = await startSimulators({
    ...DEV_SIMULATOR_CREDENTIALS,
    publicBaseUrl: PUBLIC_BASE_URL,
    reportDelayMs: 200,
    deliver: async (url, init) => {
      const u = new URL(url);
      return stack!.app.request(`${u.pathname}${u.search}`, init);
    },
  });
  const env = loadEnv({ NODE_ENV: 'test', ...sims.env });
  const channelEnv = Object.fromEntries(CHANNEL_KEYS.map((k) => [k, env[k]])) as Partial<Env>;
  stack = await startStack({ worker: true, env: channelEnv, channels: channelsFromEnv(env)! });
  const started = stack;
  return {
    sims,
    stack: {
      ...started,
      async stop() {
        await started.stop();
        await sims.close();
      },
    },
  };
}

/** Contact rules of a department (defaults otherwise): tests use seconds and no quiet hours unless they say. */
export async function setContactRules(
  sql: Sql,
  departmentCode: string,
  rules: { quietStart?: string; quietEnd?: string; maxPerDay?: number; maxPerWeek?: number; linkUnansweredSeconds?: number; deliveryWaitSeconds?: number },
): Promise<void> {
  await sql`
    INSERT INTO contact_rules (department_code, quiet_start, quiet_end, max_per_day, max_per_week, link_unanswered_seconds, delivery_wait_seconds)
    VALUES (${departmentCode}, ${rules.quietStart ?? '00:00'}, ${rules.quietEnd ?? '00:00'}, ${rules.maxPerDay ?? 20}, ${rules.maxPerWeek ?? 50},
            ${rules.linkUnansweredSeconds ?? 3600}, ${rules.deliveryWaitSeconds ?? 20})
    ON CONFLICT (department_code) DO UPDATE SET quiet_start = EXCLUDED.quiet_start, quiet_end = EXCLUDED.quiet_end,
      max_per_day = EXCLUDED.max_per_day, max_per_week = EXCLUDED.max_per_week,
      link_unanswered_seconds = EXCLUDED.link_unanswered_seconds, delivery_wait_seconds = EXCLUDED.delivery_wait_seconds`;
}

/** A mobile number of its own (inbound SMS find the patient by number). */
export const uniquePhone = () => `139${String(parseInt(uniq().slice(0, 7), 16) % 100_000_000).padStart(8, '0')}`;
