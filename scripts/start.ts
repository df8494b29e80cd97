/**
 * `npm start`: brings up the whole system on this machine: Postgres (project-local unless
 * DATABASE_URL is set), the Temporal dev server (unless TEMPORAL_ADDRESS is set), migrations,
 * the portal build, the worker and the server, then the demo data. Ctrl-C stops it all.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { loadEnv } from '../config/env.js';
import { createSql } from '../db/client.js';
import { ROLE_LABELS } from '../domain/access.js';
import { createServices } from '../services/index.js';
import { payloadDataConverter } from '../worker/payload-codec.js';
import { DEMO_USERS } from './demo-data.js';
import { buildPortal, runMigrations, startApiServer, startPostgres, startTemporal, startWorker, takeOverProcessEvent, Teardown } from './lib/stack.js';
import { seedDemoData } from './seed-demo.js';
import { seedDemoTickets } from './demo-tickets.js';
import { seedDemoFollowUps } from './demo-follow-ups.js';
import { seedDemoClinic } from './demo-clinic.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
process.chdir(ROOT);
const env = loadEnv();
const dataDir = resolve(env.DATA_DIR);
mkdirSync(dataDir, { recursive: true });
const log = (msg: string) => console.log(msg);

// --- one instance per data folder -------------------------------------------------------------
const lockFile = join(dataDir, 'run.lock');
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
if (existsSync(lockFile)) {
  const pid = Number(readFileSync(lockFile, 'utf8').trim());
  if (pid && pid !== process.pid && alive(pid)) {
    console.log(`随访平台已在运行 (npm start, pid ${pid}): http://localhost:${env.PORT}`);
    console.log('The system is already running; stop it with Ctrl-C in its terminal first.');
    process.exit(0);
  }
}
writeFileSync(lockFile, String(process.pid));

// --- ports -------------------------------------------------------------------------------------
const externalTemporal = Boolean(process.env.TEMPORAL_ADDRESS);
const temporalPort = Number(env.TEMPORAL_ADDRESS.split(':').pop());
const uiPort = Number(new URL(env.TEMPORAL_UI_URL).port || 80);

const portBusy = (port: number) =>
  new Promise<boolean>((done) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });

const needed: [number, string][] = [
  [env.PORT, 'portal/API (PORT)'],
  [env.HL7_MLLP_PORT, 'HL7 MLLP listener (HL7_MLLP_PORT)'],
];
if (!externalTemporal) needed.push([temporalPort, 'Temporal frontend'], [uiPort, 'Temporal Web UI']);
if (!env.DATABASE_URL) needed.push([env.EMBEDDED_PG_PORT, 'local Postgres (EMBEDDED_PG_PORT)']);
for (const [port, what] of needed) {
  if (await portBusy(port)) {
    rmSync(lockFile, { force: true });
    console.error(`Port ${port} (${what}) is already in use by another program. Stop it, or choose another port in .env.`);
    process.exit(1);
  }
}

// --- bring-up ----------------------------------------------------------------------------------
const teardown = new Teardown((msg) => console.error(`[start] ${msg}`));
let stopping = false;

async function shutdown(code: number) {
  if (stopping) return;
  stopping = true;
  log('\n[start] stopping…');
  await teardown.run();
  rmSync(lockFile, { force: true });
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
      // The UI decrypts payloads through our codec endpoint, for signed-in managers and admins only.
      codecEndpoint: `http://localhost:${env.PORT}/api/codec`,
      logFile: join(dataDir, 'temporal.log'),
      log,
      teardown,
    });
    log(`[start] Temporal dev server on localhost:${temporalPort}, Web UI ${env.TEMPORAL_UI_URL}`);
  }

  await runMigrations(databaseUrl, (msg) => log(`[start] ${msg}`));
  await buildPortal();

  const childEnv = { ...process.env, DATABASE_URL: databaseUrl, TEMPORAL_ADDRESS: env.TEMPORAL_ADDRESS };
  startWorker({ env: childEnv, onUnexpectedExit: stopOnExit('worker'), teardown });
  const server = startApiServer({ env: childEnv, healthUrl: `http://127.0.0.1:${env.PORT}/api/health`, onUnexpectedExit: stopOnExit('server'), teardown });
  await server.ready;

  let clinicSession: string | undefined;
  if (env.SEED_DEMO_DATA) {
    const sql = createSql(databaseUrl, { max: 5 });
    const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS });
    const temporal = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE, dataConverter: payloadDataConverter(env) });
    // The demo's 60 days of history are loaded as if each discharge had arrived on its day: the
    // rule that nobody is called about a stay that ended long ago would leave the older ones bare.
    const services = createServices({ sql, temporal, env: { ...env, HIS_FOLLOW_UP_HORIZON_DAYS: 3650, HIS_LATE_FOLLOW_UP_DAYS: 3650 } });
    const { discharges } = await seedDemoData({ sql, services, password: env.DEMO_PASSWORD });
    if (discharges) log(`[start] demo data: ${discharges} discharges sent through the HIS ingest path`);
    const tickets = await seedDemoTickets({ sql, services, temporal });
    if (tickets) log(`[start] demo data: ${tickets} feedback tickets driven through their workflows`);
    if (discharges) {
      const calls = await seedDemoFollowUps({ sql, services });
      log(`[start] demo data: ${calls} older follow-up calls recorded through the workflow Update`);
    }
    clinicSession = (await seedDemoClinic({ sql, services, temporal, taskQueue: env.TEMPORAL_TASK_QUEUE })) ?? clinicSession;
    clinicSession ??= (await sql<{ id: string }[]>`SELECT id FROM clinic_sessions ORDER BY session_date DESC LIMIT 1`)[0]?.id;
    await connection.close();
    await sql.end();
  }

  const logins = env.SEED_DEMO_DATA
    ? DEMO_USERS.map((u) => `    ${u.username.padEnd(10)} ${ROLE_LABELS[u.role]}${u.departmentCode ? ` (${u.departmentCode})` : ''}`).join('\n')
    : '    (SEED_DEMO_DATA=false: no demo users)';
  log(`
  随访管理平台 is running (${Math.round((Date.now() - started) / 1000)} s)
    Portal            http://localhost:${env.PORT}
    API               http://localhost:${env.PORT}/api   (health: /api/health)
    Temporal Web UI   ${env.TEMPORAL_UI_URL}
    Temporal          ${env.TEMPORAL_ADDRESS} (namespace ${env.TEMPORAL_NAMESPACE})
    Clinic (demo)     ${clinicSession ? `http://localhost:${env.PORT}/clinic/${clinicSession}  ·  quotas: /admin/quotas` : '—'}
    Postgres          ${env.DATABASE_URL ? 'DATABASE_URL' : `127.0.0.1:${env.EMBEDDED_PG_PORT} (data in ${join(env.DATA_DIR, 'postgres')})`}
  Demo logins (password: ${env.SEED_DEMO_DATA ? env.DEMO_PASSWORD : '—'})
${logins}
  Ctrl-C stops everything; data is kept in ${env.DATA_DIR}/.
`);
} catch (err) {
  console.error(`[start] ${err instanceof Error ? err.message : String(err)}`);
  await shutdown(1);
}
