/**
 * `npm run start:cluster`: the production topology on this machine (scripts/lib/cluster.ts): the
 * project's Postgres, the real Temporal server as separate processes on it, the Temporal UI, two
 * workers and two API/portal processes behind one port, every process supervised; then the demo
 * data, as `npm start` loads it. Data in DATA_DIR/cluster (kept between runs); the ports are npm start's
 * (PORT, HL7_MLLP_PORT, the port of TEMPORAL_ADDRESS, TEMPORAL_UI_URL, EMBEDDED_PG_PORT). Ctrl-C stops it all.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadEnv } from '../config/env.js';
import { startCluster } from './lib/cluster.js';
import { demoLoginLines, firstBusyPort, loadDemoData, takeRunLock } from './lib/demo.js';
import { takeOverProcessEvent, Teardown } from './lib/stack.js';
import { TEMPORAL_SERVER_VERSION, TEMPORAL_UI_VERSION } from './lib/temporal-server.js';

process.chdir(fileURLToPath(new URL('..', import.meta.url)));
const env = loadEnv();
const log = (msg: string) => console.log(msg.startsWith('[') ? msg : `[cluster] ${msg}`);
if (env.DATABASE_URL) {
  console.error('start:cluster runs its own Postgres (and Temporal on it): unset DATABASE_URL.');
  process.exit(1);
}
const dataDir = resolve(env.DATA_DIR, 'cluster');
mkdirSync(dataDir, { recursive: true });

const lock = takeRunLock(dataDir);
if (lock.heldBy) {
  console.log(`随访平台集群已在运行 (npm run start:cluster, pid ${lock.heldBy}): http://localhost:${env.PORT}`);
  process.exit(0);
}
const temporalPort = Number(env.TEMPORAL_ADDRESS.split(':').pop());
const uiPort = Number(new URL(env.TEMPORAL_UI_URL).port || 80);
const busy = await firstBusyPort([
  [env.PORT, 'portal/API (PORT)'],
  [env.HL7_MLLP_PORT, 'HL7 MLLP listener (HL7_MLLP_PORT)'],
  [temporalPort, 'Temporal frontend'],
  [uiPort, 'Temporal Web UI'],
  [env.EMBEDDED_PG_PORT, 'local Postgres (EMBEDDED_PG_PORT)'],
]);
if (busy) {
  lock.release();
  console.error(`Port ${busy[0]} (${busy[1]}) is already in use (npm start?). Stop it, or choose another port in .env.`);
  process.exit(1);
}

const teardown = new Teardown((msg) => console.error(`[cluster] ${msg}`));
let stopping = false;
async function shutdown(code: number) {
  if (stopping) return;
  stopping = true;
  log('stopping…');
  await teardown.run();
  lock.release();
  log('stopped');
  process.exit(code);
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) takeOverProcessEvent(signal, () => void shutdown(0));

try {
  const started = Date.now();
  const cluster = await startCluster({
    dir: dataDir,
    ports: { postgres: env.EMBEDDED_PG_PORT, temporal: temporalPort, ui: uiPort, http: env.PORT, mllp: env.HL7_MLLP_PORT },
    namespace: env.TEMPORAL_NAMESPACE,
    taskQueue: env.TEMPORAL_TASK_QUEUE,
    database: 'suifang',
    ui: true,
    buildPortal: true,
    log,
    teardown,
  });
  const { clinicSession } = env.SEED_DEMO_DATA
    ? await loadDemoData({ databaseUrl: cluster.databaseUrl, env: { ...env, TEMPORAL_ADDRESS: cluster.temporalAddress }, log })
    : {};
  log(`
  随访管理平台 (cluster mode) is running (${Math.round((Date.now() - started) / 1000)} s)
    Portal            http://localhost:${env.PORT}  (load balancer → ${cluster.apis.map((a) => `api :${a.httpPort}`).join(', ')})
    HL7 v2 MLLP       port ${env.HL7_MLLP_PORT}  (load balancer → ${cluster.apis.map((a) => `:${a.mllpPort}`).join(', ')})
    Temporal Web UI   ${cluster.uiUrl}  (temporalio/ui-server ${TEMPORAL_UI_VERSION})
    Temporal          ${cluster.temporalAddress} (server ${TEMPORAL_SERVER_VERSION}: ${cluster.temporal.map((t) => t.name.replace('temporal-', '')).join(', ')}; namespace ${env.TEMPORAL_NAMESPACE})
    Workers           ${cluster.workers.map((w) => `${w.name} (pid ${w.current()?.pid})`).join(', ')}
    Clinic (demo)     ${clinicSession ? `http://localhost:${env.PORT}/clinic/${clinicSession}` : '—'}
    Postgres          127.0.0.1:${env.EMBEDDED_PG_PORT} (suifang, temporal, temporal_visibility; data in ${join(env.DATA_DIR, 'cluster', 'postgres')})
    Logs              ${cluster.logDir}
  Every process is restarted when it dies (try kill -9 on one).
  Demo logins (password: ${env.SEED_DEMO_DATA ? env.DEMO_PASSWORD : '—'})
${demoLoginLines(env)}
  Ctrl-C stops everything; data is kept in ${join(env.DATA_DIR, 'cluster')}/.
`);
} catch (err) {
  console.error(`[cluster] ${err instanceof Error ? err.message : String(err)}`);
  await shutdown(1);
}
