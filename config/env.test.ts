import { describe, it, expect } from 'vitest';
import { contactClockOf, DEMO_PASSWORD_DEFAULT, EnvError, loadEnv as loadEnvTyped, SESSION_SECRET_DEFAULT } from './env.js';

type Source = Record<string, string | undefined>;
/** Environments as a deployment would give them: any keys, any strings (Remix's typings make NODE_ENV a required enum). */
const loadEnv = (source: Source) => loadEnvTyped(source as NodeJS.ProcessEnv);

const PRODUCTION_OK: Source = {
  NODE_ENV: 'production',
  DEMO_PASSWORD: 'a-real-demo-password',
  SESSION_SECRET: 'a-long-random-session-secret-0123456789',
  SEED_DEMO_DATA: 'false',
  HIS_API_TOKEN: 'his-token-0123456789abcdef',
  PAYLOAD_KEYS: 'k2026:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=',
  PAYLOAD_KEY_ID: 'k2026',
  HL7_MLLP_ALLOWED_SOURCES: '10.20.0.0/16, 192.0.2.7',
  AUDIT_ANCHOR_KEY: 'a-long-random-audit-anchor-key-0123456789',
};

function envError(source: Source): EnvError {
  try {
    loadEnv(source);
  } catch (err) {
    expect(err).toBeInstanceOf(EnvError);
    return err as EnvError;
  }
  throw new Error('loadEnv accepted the environment');
}

describe('loadEnv', () => {
  it('has working defaults for an empty environment', () => {
    const env = loadEnv({});
    expect(env.NODE_ENV).toBe('development');
    expect(env.PORT).toBe(3000);
    expect(env.HOST).toBe('0.0.0.0');
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.TEMPORAL_ADDRESS).toBe('localhost:7233');
    expect(env.TEMPORAL_NAMESPACE).toBe('default');
    expect(env.TEMPORAL_TASK_QUEUE).toBe('suifang');
    expect(env.HL7_MLLP_PORT).toBe(2575);
    expect(env.DEMO_PASSWORD).toBe(DEMO_PASSWORD_DEFAULT);
    expect(env.SESSION_SECRET).toBe(SESSION_SECRET_DEFAULT);
    expect(env.HIS_API_TOKEN).toBeUndefined();
    expect(env.SEED_DEMO_DATA).toBe(true);
  });

  it('does not read process.env when given a source', () => {
    expect(loadEnv({ NODE_ENV: 'test' }).NODE_ENV).toBe('test');
  });

  it('coerces numbers and booleans', () => {
    const env = loadEnv({ PORT: '8080', HL7_MLLP_PORT: '2576', SESSION_TTL_HOURS: '8', SEED_DEMO_DATA: 'false' });
    expect(env.PORT).toBe(8080);
    expect(env.HL7_MLLP_PORT).toBe(2576);
    expect(env.SESSION_TTL_HOURS).toBe(8);
    expect(env.SEED_DEMO_DATA).toBe(false);
  });

  it.each(['abc', '0', '70000', '30.5', '-1'])('rejects PORT=%s naming PORT', (value) => {
    const err = envError({ PORT: value });
    expect(err.message).toMatch(/\bPORT\b/);
  });

  it('names each bad key', () => {
    const err = envError({ PORT: 'x', HL7_MLLP_PORT: 'y', SEED_DEMO_DATA: 'yes' });
    expect(err.message).toContain('PORT');
    expect(err.message).toContain('HL7_MLLP_PORT');
    expect(err.message).toContain('SEED_DEMO_DATA');
  });

  it('treats empty strings as unset', () => {
    const env = loadEnv({
      PORT: '',
      TEMPORAL_ADDRESS: '',
      TEMPORAL_NAMESPACE: '',
      HL7_MLLP_PORT: '',
      DATABASE_URL: '',
      HIS_API_TOKEN: '',
      DEMO_PASSWORD: '',
      SESSION_SECRET: '',
      SEED_DEMO_DATA: '',
    });
    expect(env.PORT).toBe(3000);
    expect(env.TEMPORAL_ADDRESS).toBe('localhost:7233');
    expect(env.TEMPORAL_NAMESPACE).toBe('default');
    expect(env.HL7_MLLP_PORT).toBe(2575);
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.HIS_API_TOKEN).toBeUndefined();
    expect(env.DEMO_PASSWORD).toBe(DEMO_PASSWORD_DEFAULT);
    expect(env.SESSION_SECRET).toBe(SESSION_SECRET_DEFAULT);
    expect(env.SEED_DEMO_DATA).toBe(true);
  });

  it('refuses production with the demo password and session secret', () => {
    const err = envError({ NODE_ENV: 'production', SEED_DEMO_DATA: 'false', HIS_API_TOKEN: PRODUCTION_OK.HIS_API_TOKEN });
    expect(err.message).toContain('DEMO_PASSWORD');
    expect(err.message).toContain('SESSION_SECRET');
  });

  it('refuses production when the demo values are given explicitly', () => {
    const err = envError({ ...PRODUCTION_OK, DEMO_PASSWORD: DEMO_PASSWORD_DEFAULT, SESSION_SECRET: SESSION_SECRET_DEFAULT });
    expect(err.message).toContain('DEMO_PASSWORD');
    expect(err.message).toContain('SESSION_SECRET');
  });

  it('refuses production with demo data or without an HIS token', () => {
    expect(envError({ ...PRODUCTION_OK, SEED_DEMO_DATA: 'true' }).message).toContain('SEED_DEMO_DATA');
    expect(envError({ ...PRODUCTION_OK, SEED_DEMO_DATA: '' }).message).toContain('SEED_DEMO_DATA');
    expect(envError({ ...PRODUCTION_OK, HIS_API_TOKEN: undefined }).message).toContain('HIS_API_TOKEN');
    expect(envError({ ...PRODUCTION_OK, HIS_API_TOKEN: '' }).message).toContain('HIS_API_TOKEN');
  });

  it('refuses production when secrets are emptied (empty means unset, so the defaults apply)', () => {
    const err = envError({ ...PRODUCTION_OK, DEMO_PASSWORD: '', SESSION_SECRET: '' });
    expect(err.message).toContain('DEMO_PASSWORD');
    expect(err.message).toContain('SESSION_SECRET');
  });

  it('accepts production with proper values', () => {
    const env = loadEnv(PRODUCTION_OK);
    expect(env.NODE_ENV).toBe('production');
    expect(env.SEED_DEMO_DATA).toBe(false);
    expect(env.HIS_API_TOKEN).toBe(PRODUCTION_OK.HIS_API_TOKEN);
    expect(env.PORT).toBe(3000);
  });

  it('refuses production MLLP on all interfaces without a source allow-list, and bad list entries', () => {
    const { HL7_MLLP_ALLOWED_SOURCES: _sources, ...open } = PRODUCTION_OK;
    expect(envError(open).message).toContain('HL7_MLLP_ALLOWED_SOURCES');
    expect(loadEnv({ ...open, HL7_MLLP_HOST: '10.20.1.5' }).HL7_MLLP_ALLOWED_SOURCES).toBeUndefined();
    expect(loadEnv(PRODUCTION_OK).HL7_MLLP_ALLOWED_SOURCES).toEqual(['10.20.0.0/16', '192.0.2.7']);
    expect(envError({ ...PRODUCTION_OK, HL7_MLLP_ALLOWED_SOURCES: '10.0.0.0/33' }).message).toContain('HL7_MLLP_ALLOWED_SOURCES');
  });

  it('refuses the development payload encryption key in production', () => {
    const { PAYLOAD_KEYS: _keys, PAYLOAD_KEY_ID: _id, ...withoutKeys } = PRODUCTION_OK;
    expect(envError(withoutKeys).message).toContain('PAYLOAD_KEYS');
  });

  it('refuses the development audit anchor key in production, and a short one anywhere', () => {
    const { AUDIT_ANCHOR_KEY: _key, ...withoutKey } = PRODUCTION_OK;
    expect(envError(withoutKey).message).toContain('AUDIT_ANCHOR_KEY');
    expect(envError({ AUDIT_ANCHOR_KEY: 'short' }).message).toContain('AUDIT_ANCHOR_KEY');
  });

  it('rejects too-short secrets and tokens', () => {
    expect(envError({ SESSION_SECRET: 'short' }).message).toContain('SESSION_SECRET');
    expect(envError({ DEMO_PASSWORD: 'short' }).message).toContain('DEMO_PASSWORD');
    expect(envError({ HIS_API_TOKEN: 'short' }).message).toContain('HIS_API_TOKEN');
  });

  it('counts quiet hours and caps on the real day unless a compressed day with its origin is given', () => {
    expect(contactClockOf(loadEnv({}))).toEqual({ daySeconds: 86_400, originMs: 0 });
    expect(contactClockOf(loadEnv({ CONTACT_DAY_SECONDS: '20', CONTACT_CLOCK_ORIGIN: '2026-11-30T06:00:00Z' }))).toEqual({
      daySeconds: 20,
      originMs: Date.parse('2026-11-30T06:00:00Z'),
    });
    expect(envError({ CONTACT_DAY_SECONDS: '20' }).message).toContain('CONTACT_CLOCK_ORIGIN');
    expect(envError({ CONTACT_DAY_SECONDS: '20', CONTACT_CLOCK_ORIGIN: 'tomorrow' }).message).toContain('CONTACT_CLOCK_ORIGIN');
    expect(envError({ CONTACT_DAY_SECONDS: '0', CONTACT_CLOCK_ORIGIN: '2026-11-30T06:00:00Z' }).message).toContain('CONTACT_DAY_SECONDS');
  });

  it('rejects an unknown NODE_ENV', () => {
    expect(envError({ NODE_ENV: 'staging' }).message).toContain('NODE_ENV');
  });
});
