/**
 * A test stack whose worker talks to the provider simulators (scripts/simulators), and whose
 * simulators call the stack's webhooks back in-process, signed as the providers sign.
 */
import { channelsFromEnv, type Channels } from '../../activities/channels/settings.js';
import type { ServiceDeps } from '../../services/index.js';
import type { PaymentAdapter } from '../../activities/payments/types.js';
import { loadEnv, type Env } from '../../config/env.js';
import { DEV_SIMULATOR_CREDENTIALS, startSimulators, type SimulatorOptions, type Simulators } from '../../scripts/simulators/providers.js';
import type { Sql } from '../../db/client.js';
import { followUpWorkflowId } from '../../workflows/follow-up/contracts.js';
import { createShortPlan, recentDaytime } from './follow-up-fixtures.js';
import { dischargeBody } from './org.js';
import { startStack, uniq, type TestStack } from './stack.js';

export const PUBLIC_BASE_URL = 'https://suifang.example.test';

const CHANNEL_KEYS = [
  'PUBLIC_BASE_URL', 'TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM_NUMBER', 'TWILIO_API_BASE_URL', 'ALIYUN_ACCESS_KEY_ID',
  'ALIYUN_ACCESS_KEY_SECRET', 'ALIYUN_SMS_ENDPOINT', 'ALIYUN_SMS_PROTOCOL', 'ALIYUN_SMS_SIGN_NAME', 'ALIYUN_SMS_TEMPLATES',
  'ALIYUN_SMS_CALLBACK_TOKEN', 'WECHAT_APP_ID', 'WECHAT_APP_SECRET', 'WECHAT_TOKEN', 'WECHAT_API_BASE_URL', 'WECHAT_TEMPLATE_ID',
  'WECHAT_OAUTH_BASE_URL',
] as const;

export async function startChannelStack(
  options: { web?: boolean; env?: Partial<Env>; voice?: SimulatorOptions['voice']; payments?: PaymentAdapter; outpatient?: (channels: Channels, deliver: (url: string, init: RequestInit) => Promise<Response>) => Promise<NonNullable<ServiceDeps['outpatient']>> } = {},
): Promise<{ stack: TestStack; sims: Simulators }> {
  let stack: TestStack | undefined;
  const sims = await startSimulators({
    ...DEV_SIMULATOR_CREDENTIALS,
    publicBaseUrl: PUBLIC_BASE_URL,
    reportDelayMs: 200,
    ...(options.voice ? { voice: options.voice } : {}),
    deliver: async (url, init) => {
      const u = new URL(url);
      return stack!.app.request(`${u.pathname}${u.search}`, init);
    },
  });
  const env = loadEnv({ NODE_ENV: 'test', ...sims.env });
  const channelEnv = { ...(Object.fromEntries(CHANNEL_KEYS.map((k) => [k, env[k]])) as Partial<Env>), SIMULATOR_URL: sims.url, ...options.env };
  const channels = channelsFromEnv(env)!;
  // Outpatient booking (optional): its payment simulator calls back into this stack as the SMS simulators do.
  const toStack = async (url: string, init: RequestInit) => {
    const u = new URL(url);
    return stack!.app.request(`${u.pathname}${u.search}`, init);
  };
  const outpatient = options.outpatient ? await options.outpatient(channels, toStack) : undefined;
  stack = await startStack({ worker: true, web: options.web, env: channelEnv, channels, ...(outpatient ? { outpatient } : {}), ...(options.payments ? { payments: options.payments } : {}) });
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

export interface DischargeOptions {
  /** When the SMS survey falls due, from now (seconds). */
  afterSeconds?: number;
  retryAfterSeconds?: number;
  phone?: string;
  /** Under 60 by default, so the survey goes by link. */
  birthDate?: string;
  /** The same HIS patient ID discharges the same patient again. */
  patientId?: string;
}

/**
 * A daytime discharge (so the greeting is due at once) into `departmentCode`, under a rule of its
 * own whose greeting carries placeholders and whose one SMS survey falls due `afterSeconds` from now.
 */
export async function dischargeWithSurvey(stack: TestStack, departmentCode: string, o: DischargeOptions = {}) {
  const keyword = `术式${uniq()}`;
  const dischargedAt = recentDaytime();
  const offsetSeconds = Math.ceil((Date.now() - dischargedAt.getTime()) / 1000) + (o.afterSeconds ?? 2);
  const touchpoint = { offsetSeconds, channel: 'sms' as const, maxAttempts: 3, retryAfterSeconds: o.retryAfterSeconds ?? 3600 };
  await createShortPlan(stack.sql, departmentCode, [touchpoint], { scenarioKind: 'procedure_keyword', scenarioValue: keyword });
  await stack.sql`UPDATE follow_up_rules SET greeting_text = '{姓名}您好,您在{科室}做了{手术}({医生}医生主刀):伤口保持干燥,两周内避免负重。'
                  WHERE scenario_value = ${keyword}`;
  const phone = o.phone ?? uniquePhone();
  const base = dischargeBody(departmentCode, { dischargedAt: dischargedAt.toISOString(), procedure: `${keyword}内固定术` });
  const body = { ...base, patient: { ...base.patient, id: o.patientId ?? base.patient.id, phone, birthDate: o.birthDate ?? '1990-05-01' } };
  await stack.services.discharges.ingestJson(JSON.stringify(body));
  const workflowId = followUpWorkflowId(body.encounterId);
  return { body, phone: `+86${phone}`, workflowId, handle: stack.temporal.workflow.getHandle(workflowId) };
}
