/**
 * Every setting the system reads from the environment, validated once at start-up.
 * `.env.example` lists the same keys with the same defaults; keep the two in step.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { REAL_CONTACT_CLOCK, type ContactClock } from '../domain/contact-rules.js';

const port = z.coerce.number().int().min(1).max(65535);
const positiveInt = z.coerce.number().int().positive();

export const DEMO_PASSWORD_DEFAULT = 'suifang2026';
export const SESSION_SECRET_DEFAULT = 'dev-only-session-secret-change-me';
/** Development key for payload encryption ("suifang-dev-payload-key-32-bytes"); production refuses it. */
/** Development key for signing audit anchors; production refuses it. */
export const AUDIT_ANCHOR_KEY_DEFAULT = 'dev-only-audit-anchor-key-change-me';
export const PAYLOAD_KEYS_DEFAULT = 'dev:c3VpZmFuZy1kZXYtcGF5bG9hZC1rZXktMzItYnl0ZXM=';

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  /** Portal and API share this origin (the API under /api). */
  PORT: port.default(3000),
  HOST: z.string().default('0.0.0.0'),
  /** Unset: `npm start` runs a project-local Postgres under DATA_DIR. */
  DATABASE_URL: z.string().url().optional(),
  /** Port of the project-local Postgres when DATABASE_URL is unset. */
  EMBEDDED_PG_PORT: port.default(5433),
  TEMPORAL_ADDRESS: z.string().default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  /** Where the supervisor's links to the Temporal Web UI point. */
  TEMPORAL_UI_URL: z.string().url().default('http://localhost:8233'),
  TEMPORAL_TASK_QUEUE: z.string().default('suifang'),
  /** Path of a Temporal CLI binary to use instead of searching/building one. */
  TEMPORAL_CLI: z.string().optional(),
  HL7_MLLP_PORT: port.default(2575),
  /** Interface the MLLP listener binds; HOST when unset. */
  HL7_MLLP_HOST: z.string().optional(),
  /**
   * Source addresses (IPs or CIDR ranges, comma-separated) allowed to connect over MLLP; all
   * when unset. Production refuses to listen on all interfaces without it: the feed can cancel
   * follow-ups and mark patients deceased.
   */
  HL7_MLLP_ALLOWED_SOURCES: z
    .string()
    .optional()
    .transform((v) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined))
    .refine((list) => !list || list.every(isAddressOrRange), 'IP 地址或 CIDR(如 10.1.0.0/16),逗号分隔'),
  /** A frame larger than this closes the connection (bytes, default 1 MiB). */
  HL7_MLLP_MAX_FRAME_BYTES: positiveInt.default(1024 * 1024),
  /** A connection silent this long is closed. */
  HL7_MLLP_IDLE_TIMEOUT_SECONDS: positiveInt.default(300),
  /** A frame that is still incomplete this long after it began closes the connection (slow senders). */
  HL7_MLLP_FRAME_TIMEOUT_SECONDS: positiveInt.default(30),
  HL7_MLLP_MAX_CONNECTIONS: positiveInt.default(50),
  /** Frames waiting per connection before its socket is paused (back-pressure). */
  HL7_MLLP_QUEUE_LIMIT: positiveInt.default(16),
  /** MLLP over TLS: PEM files of the server certificate and key; a CA file to verify client certificates. */
  HL7_MLLP_TLS_CERT_FILE: z.string().optional(),
  HL7_MLLP_TLS_KEY_FILE: z.string().optional(),
  HL7_MLLP_TLS_CA_FILE: z.string().optional(),
  /** Client certificates: none (default), request (verified when sent) or require. */
  HL7_MLLP_TLS_CLIENT_CERT: z.enum(['none', 'request', 'require']).default('none'),
  /** Where the visit number is read, in order (PV1-19 visit number, PID-18 patient account number). */
  HIS_HL7_VISIT_FIELDS: z
    .string()
    .default('PV1-19,PID-18')
    .transform((v) => v.split(',').map((s) => s.trim().toUpperCase()))
    .refine((list): list is ('PV1-19' | 'PID-18')[] => list.length > 0 && list.every((f) => f === 'PV1-19' || f === 'PID-18'), '只能是 PV1-19、PID-18'),
  /** Character sets tried in order for HL7 messages that declare none in MSH-18. */
  HL7_CHARSETS: z
    .string()
    .default('utf-8,gb18030')
    .transform((v) => v.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean))
    .refine((list) => list.length > 0 && list.every(isDecoderLabel), '未知的字符集'),
  /** No follow-up for discharges older than this (days). */
  HIS_FOLLOW_UP_HORIZON_DAYS: positiveInt.default(90),
  /** A late discharge is still followed up until its plan's last touchpoint is this many days past. */
  HIS_LATE_FOLLOW_UP_DAYS: z.coerce.number().int().min(0).default(7),
  /** The hospital's FHIR server, read for resources a message only references. */
  HIS_FHIR_BASE_URL: z.string().url().optional(),
  HIS_FHIR_TOKEN: z.string().optional(),
  HIS_FHIR_USERNAME: z.string().optional(),
  HIS_FHIR_PASSWORD: z.string().optional(),
  /** How often the inbox reconciler looks for stored, unprocessed HIS messages (seconds). */
  HIS_INBOX_RECONCILE_SECONDS: positiveInt.default(60),
  /** A message is left to its own request this long before the reconciler takes it up (seconds). */
  HIS_INBOX_RETRY_AFTER_SECONDS: positiveInt.default(30),
  /** A phone follow-up task still open this long is escalated to the department's head (seconds). */
  FOLLOW_UP_ESCALATE_AFTER_SECONDS: positiveInt.default(86_400),
  /**
   * Real seconds of the day on which quiet hours and the per-day/per-week message caps are counted
   * (86 400: the real day). A compressed day (`npm run simulate:month`) needs CONTACT_CLOCK_ORIGIN.
   */
  CONTACT_DAY_SECONDS: z.coerce.number().positive().default(86_400),
  /** With a compressed contact day: the instant (ISO 8601) that is 00:00 Asia/Shanghai of its own date on that clock. */
  CONTACT_CLOCK_ORIGIN: z.string().datetime({ offset: true }).optional(),
  /**
   * Folder (outside the database, ideally on other storage) where the audit chain's head is
   * anchored in signed files; `<DATA_DIR>/audit-anchors` when unset.
   */
  AUDIT_ANCHOR_DIR: z.string().optional(),
  /** HMAC key the anchors are signed with (`npm run audit:verify` needs the same). */
  AUDIT_ANCHOR_KEY: z.string().min(32).default(AUDIT_ANCHOR_KEY_DEFAULT),
  /** How often the head is anchored (seconds): newest rows deleted since are not detectable. */
  AUDIT_ANCHOR_SECONDS: positiveInt.default(3600),
  /** An activity failing this many attempts in a row is listed on the supervisor's page (流程监控). */
  WORKFLOW_RETRY_ALERT_ATTEMPTS: positiveInt.default(5),
  /** How often the report rollups are brought up to date (seconds): the reports are at most this old. */
  REPORT_ROLLUP_SECONDS: positiveInt.default(300),
  /** Largest request body any HTTP endpoint takes (bytes; FHIR ingest allows 5 MiB). */
  HTTP_BODY_LIMIT_BYTES: positiveInt.default(1024 * 1024),
  /** Ignored, project-local folder for Postgres and Temporal data. */
  DATA_DIR: z.string().default('.data'),
  DEMO_PASSWORD: z.string().min(8).default(DEMO_PASSWORD_DEFAULT),
  /** HMAC key for session tokens. */
  SESSION_SECRET: z.string().min(16).default(SESSION_SECRET_DEFAULT),
  SESSION_TTL_HOURS: positiveInt.default(12),
  LOGIN_MAX_FAILURES: positiveInt.default(5),
  LOGIN_LOCK_MINUTES: positiveInt.default(15),
  /** A session unused for this long ends (besides SESSION_TTL_HOURS). */
  SESSION_IDLE_MINUTES: positiveInt.default(30),
  PASSWORD_MIN_LENGTH: z.coerce.number().int().min(8).default(10),
  /** A new password may not be one of this many previous ones. */
  PASSWORD_HISTORY: z.coerce.number().int().min(0).default(5),
  /** Days until a password must be changed; 0 = never. */
  PASSWORD_MAX_AGE_DAYS: z.coerce.number().int().min(0).default(90),
  /** Sign-in attempts allowed per client address in 5 minutes (all accounts together). */
  SIGNIN_RATE_LIMIT: positiveInt.default(30),
  /** AES-256-GCM keys for Temporal payloads: "<id>:<base64 32 bytes>,…" (old keys stay to read old payloads). */
  PAYLOAD_KEYS: z.string().default(PAYLOAD_KEYS_DEFAULT),
  /** The key new payloads are sealed with. */
  PAYLOAD_KEY_ID: z.string().default('dev'),
  /** Origin of the Temporal Web UI allowed to call the codec endpoint (CORS). */
  CODEC_CORS_ORIGIN: z.string().url().default('http://localhost:8233'),
  /** Weeks of history the nightly quota planning reads per expert. */
  QUOTA_HISTORY_WEEKS: positiveInt.default(8),
  /** When set, HIS ingest endpoints require `Authorization: Bearer <token>`. */
  HIS_API_TOKEN: z.string().min(16).optional(),
  /** The deployment's public origin: survey links and the URLs providers sign webhooks for (Twilio). */
  PUBLIC_BASE_URL: z.string().url().default('http://localhost:3000'),
  /** SMS adapter for every number (twilio | aliyun), unless SMS_PROVIDER_BY_PREFIX names one for its prefix. */
  SMS_PROVIDER: z.enum(['twilio', 'aliyun']).default('twilio'),
  /** Per number prefix, e.g. "+86=aliyun,+1=twilio" (longest prefix wins). */
  SMS_PROVIDER_BY_PREFIX: z
    .string()
    .optional()
    .transform((v, ctx) => {
      const pairs = (v ?? '').split(',').map((p) => p.trim()).filter(Boolean).map((p) => p.split('=').map((x) => x.trim()));
      if (pairs.some(([prefix, provider]) => !/^\+\d+$/.test(prefix ?? '') || (provider !== 'twilio' && provider !== 'aliyun'))) {
        ctx.addIssue({ code: 'custom', message: '格式为 +86=aliyun,+1=twilio' });
      }
      return pairs.map(([prefix, provider]) => ({ prefix: prefix!, provider: provider as 'twilio' | 'aliyun' }));
    }),
  TWILIO_ACCOUNT_SID: z.string().optional(),
  /** Signs Twilio's webhooks (X-Twilio-Signature) and authenticates API calls. */
  TWILIO_AUTH_TOKEN: z.string().optional(),
  TWILIO_FROM_NUMBER: z.string().optional(),
  /** Another endpoint speaking Twilio's REST API (the local simulator); unset: api.twilio.com. */
  TWILIO_API_BASE_URL: z.string().url().optional(),
  ALIYUN_ACCESS_KEY_ID: z.string().optional(),
  ALIYUN_ACCESS_KEY_SECRET: z.string().optional(),
  ALIYUN_SMS_ENDPOINT: z.string().default('dysmsapi.aliyuncs.com'),
  ALIYUN_SMS_PROTOCOL: z.enum(['HTTPS', 'HTTP']).default('HTTPS'),
  ALIYUN_SMS_SIGN_NAME: z.string().optional(),
  /** Approved template per message kind: "greeting=SMS_1,survey=SMS_2,notice=SMS_3". */
  ALIYUN_SMS_TEMPLATES: z
    .string()
    .default('')
    .transform((v) => Object.fromEntries(v.split(',').map((p) => p.trim()).filter(Boolean).map((p) => p.split('=').map((x) => x.trim()) as [string, string]))),
  /** Shared secret in the query (?token=) of the report push URL configured in the Aliyun console. */
  ALIYUN_SMS_CALLBACK_TOKEN: z.string().optional(),
  WECHAT_APP_ID: z.string().optional(),
  WECHAT_APP_SECRET: z.string().optional(),
  /** The Token configured for the Official Account's server URL (callback signature). */
  WECHAT_TOKEN: z.string().optional(),
  WECHAT_API_BASE_URL: z.string().url().default('https://api.weixin.qq.com'),
  WECHAT_TEMPLATE_ID: z.string().optional(),
  /**
   * Where WeChat's web authorization page lives (…/connect/oauth2/authorize): patients opening
   * /book or /book/mine inside WeChat are identified by their openid (snsapi_base). The simulator
   * when `npm start` runs it.
   */
  WECHAT_OAUTH_BASE_URL: z.string().url().default('https://open.weixin.qq.com'),
  /** After one successful check (SMS code or WeChat identity), the patient's booking pages trust them this long (minutes). */
  PATIENT_VERIFIED_MINUTES: positiveInt.default(30),
  /**
   * WeChat Pay API v3 (微信支付) for outpatient prepayment (/book, /api/outpatient): merchant ID,
   * the app ID the payment belongs to, the merchant API certificate's serial and private key
   * (PEM file), WeChat Pay's platform public key (PEM file) and its serial or public key ID, the
   * APIv3 key. Without WECHAT_PAY_MCH_ID booking is not offered (npm start runs a simulator).
   */
  WECHAT_PAY_MCH_ID: z.string().optional(),
  WECHAT_PAY_APP_ID: z.string().optional(),
  WECHAT_PAY_MERCHANT_SERIAL: z.string().optional(),
  WECHAT_PAY_MERCHANT_PRIVATE_KEY_FILE: z.string().optional(),
  WECHAT_PAY_PLATFORM_PUBLIC_KEY_FILE: z.string().optional(),
  WECHAT_PAY_PLATFORM_SERIAL: z.string().optional(),
  WECHAT_PAY_API_V3_KEY: z.string().optional(),
  WECHAT_PAY_BASE_URL: z.string().url().default('https://api.mch.weixin.qq.com'),
  /** First delay (seconds, doubling to an hour) of the refund workflow's status queries while WeChat Pay says PROCESSING. */
  WECHAT_PAY_REFUND_POLL_SECONDS: positiveInt.default(60),
  /** Minutes a number is held while the patient pays. */
  OUTPATIENT_HOLD_MINUTES: positiveInt.default(10),
  /** Calls (click-to-call, the automated keypress survey): through Twilio Voice (TWILIO_* keys), or off. */
  TELEPHONY: z.enum(['twilio', 'off']).default('twilio'),
  /** Without telephony (off, or no Twilio account), the task's assigned agent may reveal the number for one call (audited). */
  REVEAL_NUMBER_WITHOUT_TELEPHONY: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  /** Where call recordings are stored (downloaded from the provider); `<DATA_DIR>/call-recordings` when unset. */
  CALL_RECORDINGS_DIR: z.string().optional(),
  /** Recordings older than this are deleted (days). */
  CALL_RECORDING_RETENTION_DAYS: positiveInt.default(180),
  /** What the patient hears before the agent is connected (the call is recorded). */
  CALL_RECORDING_NOTICE: z.string().default('您好，这里是医院随访中心。为保证服务质量，本次通话将被录音。'),
  /** Set by `npm start` when the provider simulators run: the 模拟手机 developer page reads them there. */
  SIMULATOR_URL: z.string().url().optional(),
  /** Survey-page requests (/s/<token>) allowed per client address in 5 minutes. */
  SURVEY_RATE_LIMIT: positiveInt.default(60),
  /** `npm start` runs the local provider simulators (Twilio, Aliyun, WeChat) and points the adapters at them. */
  SIMULATORS: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  /** Load demo departments, staff and patients on `npm start`. */
  SEED_DEMO_DATA: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
});

export type Env = z.infer<typeof envSchema>;

const ALL_INTERFACES = new Set(['0.0.0.0', '::', '']);

function isAddressOrRange(value: string): boolean {
  const [address, bits, ...rest] = value.split('/');
  const family = isIP(address ?? '');
  if (rest.length > 0 || family === 0) return false;
  if (bits === undefined) return true;
  const n = Number(bits);
  return /^\d+$/.test(bits) && n <= (family === 4 ? 32 : 128);
}

function isDecoderLabel(label: string): boolean {
  try {
    new TextDecoder(label);
    return true;
  } catch {
    return label === 'ascii';
  }
}

export class EnvError extends Error {}

/** The day quiet hours and caps are counted on (domain/contact-rules.ts), from CONTACT_DAY_SECONDS / CONTACT_CLOCK_ORIGIN. */
export function contactClockOf(env: Pick<Env, 'CONTACT_DAY_SECONDS' | 'CONTACT_CLOCK_ORIGIN'>): ContactClock {
  if (env.CONTACT_DAY_SECONDS === REAL_CONTACT_CLOCK.daySeconds) return REAL_CONTACT_CLOCK;
  if (!env.CONTACT_CLOCK_ORIGIN) throw new EnvError('CONTACT_CLOCK_ORIGIN: required when CONTACT_DAY_SECONDS is not 86400');
  return { daySeconds: env.CONTACT_DAY_SECONDS, originMs: Date.parse(env.CONTACT_CLOCK_ORIGIN) };
}

/** Parses and checks the environment; throws an `EnvError` naming each bad key. */
export function loadEnv(source: Record<string, string | undefined> = process.env): Env {
  // An empty value (`KEY=` in .env or compose) means "not set", so the default or the production check applies.
  const given = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== ''));
  const parsed = envSchema.safeParse(given);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new EnvError(`Invalid environment:\n  ${problems.join('\n  ')}`);
  }
  const env = parsed.data;
  if (env.CONTACT_DAY_SECONDS !== 86_400 && !env.CONTACT_CLOCK_ORIGIN) {
    throw new EnvError('Invalid environment:\n  CONTACT_CLOCK_ORIGIN: required when CONTACT_DAY_SECONDS is not 86400 (the instant the compressed contact day starts)');
  }
  if (env.NODE_ENV === 'production') {
    const demo: string[] = [];
    if (env.DEMO_PASSWORD === DEMO_PASSWORD_DEFAULT) demo.push('DEMO_PASSWORD');
    if (env.SESSION_SECRET === SESSION_SECRET_DEFAULT) demo.push('SESSION_SECRET');
    if (env.AUDIT_ANCHOR_KEY === AUDIT_ANCHOR_KEY_DEFAULT) demo.push('AUDIT_ANCHOR_KEY');
    if (env.PAYLOAD_KEYS.includes(PAYLOAD_KEYS_DEFAULT.split(':')[1]!)) demo.push('PAYLOAD_KEYS');
    if (env.SEED_DEMO_DATA) demo.push('SEED_DEMO_DATA (must be false)');
    if (!env.HIS_API_TOKEN) demo.push('HIS_API_TOKEN (required)');
    if (ALL_INTERFACES.has(env.HL7_MLLP_HOST ?? env.HOST) && !env.HL7_MLLP_ALLOWED_SOURCES) {
      demo.push('HL7_MLLP_ALLOWED_SOURCES (required when the MLLP listener binds all interfaces)');
    }
    if (demo.length > 0) {
      throw new EnvError(`Refusing to start in production with demo settings: ${demo.join(', ')}`);
    }
  }
  return env;
}
