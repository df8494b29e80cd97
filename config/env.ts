/**
 * Every setting the system reads from the environment, validated once at start-up.
 * `.env.example` lists the same keys with the same defaults; keep the two in step.
 */
import { z } from 'zod';

const port = z.coerce.number().int().min(1).max(65535);
const positiveInt = z.coerce.number().int().positive();

export const DEMO_PASSWORD_DEFAULT = 'suifang2026';
export const SESSION_SECRET_DEFAULT = 'dev-only-session-secret-change-me';
/** Development key for payload encryption ("suifang-dev-payload-key-32-bytes"); production refuses it. */
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
  /** Ignored, project-local folder for Postgres and Temporal data. */
  DATA_DIR: z.string().default('.data'),
  DEMO_PASSWORD: z.string().min(8).default(DEMO_PASSWORD_DEFAULT),
  /** HMAC key for session tokens. */
  SESSION_SECRET: z.string().min(16).default(SESSION_SECRET_DEFAULT),
  SESSION_TTL_HOURS: positiveInt.default(12),
  LOGIN_MAX_FAILURES: positiveInt.default(5),
  LOGIN_LOCK_MINUTES: positiveInt.default(15),
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
  /** Load demo departments, staff and patients on `npm start`. */
  SEED_DEMO_DATA: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
});

export type Env = z.infer<typeof envSchema>;

export class EnvError extends Error {}

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
  if (env.NODE_ENV === 'production') {
    const demo: string[] = [];
    if (env.DEMO_PASSWORD === DEMO_PASSWORD_DEFAULT) demo.push('DEMO_PASSWORD');
    if (env.SESSION_SECRET === SESSION_SECRET_DEFAULT) demo.push('SESSION_SECRET');
    if (env.PAYLOAD_KEYS.includes(PAYLOAD_KEYS_DEFAULT.split(':')[1]!)) demo.push('PAYLOAD_KEYS');
    if (env.SEED_DEMO_DATA) demo.push('SEED_DEMO_DATA (must be false)');
    if (!env.HIS_API_TOKEN) demo.push('HIS_API_TOKEN (required)');
    if (demo.length > 0) {
      throw new EnvError(`Refusing to start in production with demo settings: ${demo.join(', ')}`);
    }
  }
  return env;
}
