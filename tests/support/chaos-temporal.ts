/**
 * For chaos tests: a Temporal dev server of the test file's own (a SQLite file, so it comes back
 * with its state after a stop), never the shared one; a worker on it, and the reconciler's
 * Schedule every 2 s. The test stops and starts the server to play an outage.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { inject } from 'vitest';
import { loadEnv, type Env } from '../../config/env.js';
import { createSql, type Sql } from '../../db/client.js';
import { freePort } from '../../scripts/lib/free-port.js';
import { findOrBuildTemporalCli } from '../../scripts/lib/temporal-cli.js';
import { startTemporalDevServer, type RunningDevServer } from '../../scripts/lib/temporal-dev-server.js';
import { createWorker } from '../../worker/create-worker.js';
import { ensureReconcileSchedule } from '../../worker/reconcile-schedule.js';
import { payloadDataConverter } from '../../worker/payload-codec.js';

export interface ChaosTemporal {
  env: Env;
  sql: Sql;
  client: Client;
  /** Stops the Temporal server (its state stays in its file). */
  stopTemporal(): Promise<void>;
  /** Starts it again on the same port and file. */
  startTemporal(): Promise<void>;
  stop(): Promise<void>;
}

export async function startChaosTemporal(prefix: string): Promise<ChaosTemporal> {
  const infra = inject('infra');
  Runtime.install({ logger: new DefaultLogger('ERROR') }); // a chaos file runs in a process of its own
  const dir = mkdtempSync(join(tmpdir(), `suifang-${prefix}-`));
  const [cli, port] = await Promise.all([findOrBuildTemporalCli(), freePort()]);
  const options = { cli, port, uiPort: null, namespace: 'default', dbFile: join(dir, 'temporal.db'), logFile: join(dir, 'temporal.log') };
  let server: RunningDevServer | undefined = await startTemporalDevServer(options);
  const env: Env = { ...loadEnv({ NODE_ENV: 'test' }), DATABASE_URL: infra.databaseUrl, TEMPORAL_ADDRESS: server.address, TEMPORAL_TASK_QUEUE: `${prefix}-${randomUUID()}` };
  const sql = createSql(infra.databaseUrl, { max: 5 });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: 'default', dataConverter: payloadDataConverter(env) });
  const workerConnection = await NativeConnection.connect({ address: server.address });
  const worker = await createWorker({
    connection: workerConnection,
    namespace: 'default',
    taskQueue: env.TEMPORAL_TASK_QUEUE,
    sql,
    dataConverter: payloadDataConverter(env),
    workflowBundle: { codePath: infra.workflowBundlePath },
  });
  const running = worker.run();
  await ensureReconcileSchedule(client, { taskQueue: env.TEMPORAL_TASK_QUEUE, everySeconds: 2, olderThanSeconds: 1 });

  return {
    env,
    sql,
    client,
    async stopTemporal() {
      await server?.stop();
      server = undefined;
    },
    async startTemporal() {
      server = await startTemporalDevServer(options);
    },
    async stop() {
      worker.shutdown();
      await running.catch(() => {});
      await workerConnection.close().catch(() => {});
      await connection.close().catch(() => {});
      await server?.stop();
      await sql.end({ timeout: 5 });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
