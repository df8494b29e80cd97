/**
 * `npm start`: brings up the whole system on this machine: Postgres (project-local unless
 * DATABASE_URL is set), the Temporal dev server (unless TEMPORAL_ADDRESS is set), migrations,
 * the portal build, the worker and the server, then the demo data. Ctrl-C stops it all.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadEnv } from '../config/env.js';
import { ensureApplicationLogin } from '../db/app-role.js';
import { demoLoginLines, firstBusyPort, loadDemoData, takeRunLock } from './lib/demo.js';
import { DEV_SIMULATOR_CREDENTIALS, startSimulators } from './simulators/providers.js';
import { startWechatPaySimulator } from './simulators/wechat-pay.js';
import { wechatPaySimulatorEnv } from './simulators/wechat-pay-env.js';
import { buildPortal, runMigrations, startApiServer, startPostgres, startTemporal, startWorker, takeOverProcessEvent, Teardown } from './lib/stack.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
process.chdir(ROOT);
const env = loadEnv();
const dataDir = resolve(env.DATA_DIR);
mkdirSync(dataDir, { recursive: true });
const log = (msg: string) => console.log(msg);

// --- one instance per data folder -------------------------------------------------------------
const lock = takeRunLock(dataDir);
if (lock.heldBy) {
  console.log(`随访平台已在运行 (npm start, pid ${lock.heldBy}): http://localhost:${env.PORT}`);
  console.log('The system is already running; stop it with Ctrl-C in its terminal first.');
  process.exit(0);
}

// --- ports -------------------------------------------------------------------------------------
const externalTemporal = Boolean(process.env.TEMPORAL_ADDRESS);
const temporalPort = Number(env.TEMPORAL_ADDRESS.split(':').pop());
const uiPort = Number(new URL(env.TEMPORAL_UI_URL).port || 80);

const needed: [number, string][] = [
  [env.PORT, 'portal/API (PORT)'],
  [env.HL7_MLLP_PORT, 'HL7 MLLP listener (HL7_MLLP_PORT)'],
];
if (!externalTemporal) needed.push([temporalPort, 'Temporal frontend'], [uiPort, 'Temporal Web UI']);
if (!env.DATABASE_URL) needed.push([env.EMBEDDED_PG_PORT, 'local Postgres (EMBEDDED_PG_PORT)']);
const busy = await firstBusyPort(needed);
if (busy) {
  lock.release();
  console.error(`Port ${busy[0]} (${busy[1]}) is already in use by another program. Stop it, or choose another port in .env.`);
  process.exit(1);
}

// --- bring-up ----------------------------------------------------------------------------------
const teardown = new Teardown((msg) => console.error(`[start] ${msg}`));
let stopping = false;

async function shutdown(code: number) {
  if (stopping) return;
  stopping = true;
  log('\n[start] stopping…');
  await teardown.run();
  lock.release();
  log('[start] stopped');
  process.exit(code);
}
// The orderly shutdown stops the server and the worker, then Temporal, then Postgres last.
for (const signal of ['SIGINT', 'SIGTERM'] as const) takeOverProcessEvent(signal, () => void shutdown(0));

const stopOnExit = (name: string) => (info: string) => {
  if (stopping) return;
  console.error(`[start] ${name} exited unexpectedly (${info}); stopping everything`);
  void shutdown(1);
};

try {
  const started = Date.now();
  let databaseUrl = env.DATABASE_URL;
  if (!databaseUrl) {
    const pg = await startPostgres({ dataDir: join(dataDir, 'postgres'), port: env.EMBEDDED_PG_PORT, database: 'suifang', log, teardown });
    databaseUrl = pg.url;
    log(`[start] Postgres (project-local) on 127.0.0.1:${env.EMBEDDED_PG_PORT}`);
  }

  if (!externalTemporal) {
    await startTemporal({
      port: temporalPort,
      uiPort,
      ip: '0.0.0.0',
      dbFile: join(dataDir, 'temporal', 'temporal.db'),
      namespace: env.TEMPORAL_NAMESPACE,
      // No cluster-level codec endpoint: the dev server cannot set "include credentials" with it, and the
      // UI then never sends the portal session (401). The README's browser setting sends it.
      logFile: join(dataDir, 'temporal.log'),
      log,
      teardown,
    });
    log(`[start] Temporal dev server on localhost:${temporalPort}, Web UI ${env.TEMPORAL_UI_URL}`);
  }

  await runMigrations(databaseUrl, (msg) => log(`[start] ${msg}`));
  // The worker and the server connect as a role that owns no table (db/app-role.ts).
  const appDatabaseUrl = await ensureApplicationLogin(databaseUrl);
  await buildPortal();

  // Without real provider credentials, the local simulators stand in for Twilio, Aliyun and WeChat.
  let simulatorEnv: Record<string, string> = {};
  if (env.SIMULATORS && !env.TWILIO_ACCOUNT_SID && !env.ALIYUN_ACCESS_KEY_ID && !env.WECHAT_APP_ID) {
    const sims = await startSimulators({ ...DEV_SIMULATOR_CREDENTIALS, publicBaseUrl: env.PUBLIC_BASE_URL });
    teardown.add('provider simulators', () => sims.close());
    simulatorEnv = { ...sims.env, SIMULATOR_URL: sims.url };
    log(`[start] provider simulators (Twilio, Aliyun SMS, WeChat) on ${sims.url}`);
  }
  // Without a WeChat Pay merchant, a local WeChat Pay v3 simulator takes the prepayment, so /book works in the demo.
  let paySimulatorUrl: string | null = null;
  if (env.SIMULATORS && !env.WECHAT_PAY_MCH_ID) {
    const paySim = await startWechatPaySimulator();
    teardown.add('WeChat Pay simulator', () => paySim.stop());
    simulatorEnv = { ...simulatorEnv, ...wechatPaySimulatorEnv(paySim, join(dataDir, 'wechat-pay-simulator')) };
    paySimulatorUrl = paySim.url;
    log(`[start] WeChat Pay simulator on ${paySim.url}`);
  }
  const childEnv = { ...process.env, ...simulatorEnv, DATABASE_URL: appDatabaseUrl, TEMPORAL_ADDRESS: env.TEMPORAL_ADDRESS };
  startWorker({ env: childEnv, onUnexpectedExit: stopOnExit('worker'), teardown });
  const server = startApiServer({ env: childEnv, healthUrl: `http://127.0.0.1:${env.PORT}/api/health`, onUnexpectedExit: stopOnExit('server'), teardown });
  await server.ready;

  const { clinicSession } = env.SEED_DEMO_DATA ? await loadDemoData({ databaseUrl, env, log: (msg) => log(`[start] ${msg}`) }) : {};

  log(`
  随访管理平台 is running (${Math.round((Date.now() - started) / 1000)} s)
    Portal            http://localhost:${env.PORT}
    API               http://localhost:${env.PORT}/api   (health: /api/health)
    Temporal Web UI   ${env.TEMPORAL_UI_URL}
    Temporal          ${env.TEMPORAL_ADDRESS} (namespace ${env.TEMPORAL_NAMESPACE})
    Phone simulator   ${simulatorEnv.SIMULATOR_URL ? `http://localhost:${env.PORT}/dev/phone  (模拟手机)` : '— (real providers configured)'}
    Booking (patients) ${simulatorEnv.WECHAT_PAY_MCH_ID || env.WECHAT_PAY_MCH_ID ? `http://localhost:${env.PORT}/book  (在线预约${paySimulatorUrl ? `; WeChat Pay simulator ${paySimulatorUrl}` : ''})` : '— (no WECHAT_PAY_MCH_ID)'}
    Clinic (demo)     ${clinicSession ? `http://localhost:${env.PORT}/clinic/${clinicSession}  ·  quotas: /admin/quotas` : '—'}
    Postgres          ${env.DATABASE_URL ? 'DATABASE_URL' : `127.0.0.1:${env.EMBEDDED_PG_PORT} (data in ${join(env.DATA_DIR, 'postgres')})`}
  Demo logins (password: ${env.SEED_DEMO_DATA ? env.DEMO_PASSWORD : '—'})
${demoLoginLines(env)}
  Ctrl-C stops everything; data is kept in ${env.DATA_DIR}/.
`);
} catch (err) {
  console.error(`[start] ${err instanceof Error ? err.message : String(err)}`);
  await shutdown(1);
}
