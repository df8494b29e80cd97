/** Server process: `npm run server`. API + portal on PORT; stops cleanly on SIGINT/SIGTERM. */
import { serve } from '@hono/node-server';
import { Client, Connection } from '@temporalio/client';
import { outpatientFromEnv } from '../activities/payments/settings.js';
import { loadEnv } from '../config/env.js';
import { createSql } from '../db/client.js';
import { createServices } from '../services/index.js';
import { payloadDataConverter } from '../worker/payload-codec.js';
import { mllpOptions } from './his/mllp-options.js';
import { startMllpListener } from './his/mllp-listener.js';
import { createHttpApp, loadWebBuild } from './server.js';

const env = loadEnv();
if (!env.DATABASE_URL) throw new Error('DATABASE_URL is required (npm start sets it for the local database)');

const sql = createSql(env.DATABASE_URL);
// Lazy: the server comes up (and /api/health reports 503) even while Temporal is still starting.
const connection = Connection.lazy({ address: env.TEMPORAL_ADDRESS });
const temporal = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE, dataConverter: payloadDataConverter(env) });
// Outpatient booking (/book, /api/outpatient) is offered when a payment adapter is configured.
const outpatient = outpatientFromEnv(env);
const services = createServices({ sql, temporal, env, ...outpatient });
if (!outpatient.outpatient) console.log('[server] outpatient booking off (no WECHAT_PAY_MCH_ID)');
// SUIFANG_BUILD_DIR: a portal built elsewhere than build/ (vite.config.ts reads the same variable), for the cluster tools.
const app = createHttpApp({ services, webBuild: await loadWebBuild(process.env.SUIFANG_BUILD_DIR || undefined) });

const mllp = await startMllpListener(mllpOptions(env, services));
console.log(`[server] HL7 v2 MLLP listener on port ${mllp.port}`);

const server = serve({ fetch: app.fetch, port: env.PORT, hostname: env.HOST }, (info) => {
  console.log(`[server] portal and API on http://localhost:${info.port} (API under /api)`);
});

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  console.log(`[server] ${signal}: closing`);
  server.close();
  await mllp.close();
  await connection.close().catch(() => {});
  await sql.end({ timeout: 5 });
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
