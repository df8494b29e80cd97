/**
 * An in-process copy of the system for one test file: services on the shared test Postgres and
 * Temporal, a worker on a task queue of its own, and the Hono API (and, on request, the portal).
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger, type Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import { contactClockOf, loadEnv, type Env } from '../../config/env.js';
import { createSql, type Sql } from '../../db/client.js';
import { createApi } from '../../api/app.js';
import { createHttpApp, loadWebBuild } from '../../api/server.js';
import { auditAnchorSettings } from '../../services/audit-anchor.js';
import { createServices, type ServiceDeps, type Services } from '../../services/index.js';
import { createWorker } from '../../worker/create-worker.js';
import type { Channels } from '../../activities/channels/settings.js';
import type { PaymentAdapter } from '../../activities/payments/types.js';
import { refundActivityDepsFromEnv } from '../../activities/payments/settings.js';
import { payloadDataConverter } from '../../worker/payload-codec.js';

let runtimeInstalled = false;

export interface TestStack {
  /** The owner's connection, for arranging and inspecting data. */
  sql: Sql;
  /** The application's connection (owns no table): what the services and the worker use. */
  appSql: Sql;
  temporal: Client;
  services: Services;
  env: Env;
  taskQueue: string;
  /** Hono app serving /api/... (API only) or the whole origin when `web: true`. */
  app: { request: (input: string, init?: RequestInit) => Response | Promise<Response> };
  stop(): Promise<void>;
}

export interface StackOptions {
  worker?: boolean;
  web?: boolean;
  env?: Partial<Env>;
  channels?: Channels;
  outpatient?: ServiceDeps['outpatient'];
  /** The worker's payment adapter for refunds (default: the outpatient option's). */
  payments?: PaymentAdapter;
  /**
   * Servers of the test file's own instead of the shared ones: a database (owner's and
   * application's URLs, e.g. from createOwnDatabase) and a Temporal frontend (e.g. a dev server
   * with its Web UI). The shared workflow bundle and portal build are used either way.
   */
  servers?: { databaseUrl?: string; appDatabaseUrl?: string; temporalAddress?: string };
}

export async function startStack(options: StackOptions = {}): Promise<TestStack> {
  const infra = { ...inject('infra'), ...options.servers };
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    runtimeInstalled = true;
  }
  const taskQueue = `test-${randomUUID()}`;
  const env: Env = { ...loadEnv({ NODE_ENV: 'test' }), DATABASE_URL: infra.databaseUrl, TEMPORAL_TASK_QUEUE: taskQueue, ...options.env };
  const sql = createSql(infra.databaseUrl, { max: 3 });
  const appSql = createSql(infra.appDatabaseUrl, { max: 5 });
  const connection = await Connection.connect({ address: infra.temporalAddress });
  const temporal = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE, dataConverter: payloadDataConverter(env) });
  const services = createServices({ sql: appSql, temporal, env, ...(options.outpatient ? { outpatient: options.outpatient } : {}) });

  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  let workerConnection: NativeConnection | undefined;
  if (options.worker) {
    workerConnection = await NativeConnection.connect({ address: infra.temporalAddress });
    worker = await createWorker({
      connection: workerConnection,
      namespace: env.TEMPORAL_NAMESPACE,
      taskQueue,
      sql: appSql,
      followUp: { escalateAfterSeconds: env.FOLLOW_UP_ESCALATE_AFTER_SECONDS },
      auditAnchor: auditAnchorSettings(env),
      retryAlertAttempts: env.WORKFLOW_RETRY_ALERT_ATTEMPTS,
      dataConverter: payloadDataConverter(env),
      workflowBundle: { codePath: infra.workflowBundlePath },
      channels: options.channels,
      calls: services.calls,
      ...refundActivityDepsFromEnv(env, options.payments ?? options.outpatient?.payments),
      contactClock: contactClockOf(env),
    });
    running = worker.run();
  }

  const api = createApi(services);
  const app = options.web
    ? createHttpApp({ services, webBuild: await loadWebBuild(infra.webBuildDir) })
    : { request: (input: string, init?: RequestInit) => api.request(input.replace(/^\/api/, ''), init) };

  return {
    sql,
    appSql,
    temporal,
    services,
    env,
    taskQueue,
    app,
    async stop() {
      if (worker) {
        worker.shutdown();
        await running;
        await workerConnection?.close();
      }
      await connection.close();
      await Promise.all([sql.end({ timeout: 5 }), appSql.end({ timeout: 5 })]);
    },
  };
}

/** A unique suffix for codes and IDs, so test files never see each other's rows. */
export const uniq = () => randomUUID().slice(0, 8).toUpperCase();
