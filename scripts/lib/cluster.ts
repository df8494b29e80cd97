/**
 * The cluster mode (`npm run start:cluster`, `npm run chaos`, `npm run bench:cluster`, the cluster
 * smoke test): the system as a hospital or a regional platform runs it, on this machine and
 * without Docker, put together from the parts in scripts/lib/stack.ts:
 *
 *   - the project's Postgres, holding the application database and Temporal's two databases;
 *   - the real Temporal server on it (SQL persistence and SQL visibility), one process per
 *     service: frontend, matching, worker and `historyProcesses` history processes sharing the shards;
 *   - the Temporal UI server in front of the frontend;
 *   - `workers` application workers on one task queue, and `apis` API/portal processes behind one
 *     TCP load balancer (HTTP on `ports.http`, HL7 MLLP on `ports.mllp`).
 *
 * Every process is supervised: when it dies (SIGKILL included) it is started again, as systemd or
 * an orchestrator would. The versions are docker-compose.yml's (scripts/lib/temporal-server.ts).
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureApplicationLogin } from '../../db/app-role.js';
import { startBalancer, type Balancer } from './balancer.js';
import { freeLowPort, freePort } from './free-port.js';
import {
  buildPortal,
  ensureNamespace,
  makeTempDir,
  readyChild,
  ROOT,
  runMigrations,
  startApiServer,
  startTemporalServerProcess,
  startTemporalUiServer,
  startWatchedPostgres,
  startWorker,
  supervise,
  type ChildService,
  type LocalPostgres,
  type Supervisable,
  type Supervised,
  writeWorkflowBundle,
  type Teardown,
} from './stack.js';
import {
  findOrBuildTemporalServer,
  findOrBuildTemporalUi,
  setupTemporalSchema,
  writeTemporalClusterConfig,
  type TemporalClusterPorts,
} from './temporal-server.js';

type Log = (msg: string) => void;

export interface ClusterOptions {
  /** Data of this cluster: Postgres cluster, Temporal and UI configuration, logs. */
  dir: string;
  /** Public ports; free ones where omitted. */
  ports?: { postgres?: number; temporal?: number; ui?: number; http?: number; mllp?: number };
  namespace: string;
  taskQueue: string;
  database: string;
  workers?: number;
  apis?: number;
  historyProcesses?: number;
  /** Fixed when the cluster's Temporal databases are created (see the README's sizing note). */
  numHistoryShards?: number;
  /** The Temporal UI (start:cluster); chaos and benchmarks run without it. */
  ui?: boolean;
  /** The portal build the API processes serve (built here when `buildPortal` is set). */
  webBuildDir?: string;
  buildPortal?: boolean;
  /** Variables every application process gets (on top of the ones the cluster sets). */
  env?: NodeJS.ProcessEnv;
  /** Workers' and API processes' output into <dir>/logs instead of the console (chaos, benchmarks). */
  appLogsToFiles?: boolean;
  log: Log;
  teardown: Teardown;
}

export type PostgresInstance = LocalPostgres & Supervisable & { postmaster: number };
export type AppProcess = ChildService & { port?: number };

export interface RunningCluster {
  databaseUrl: string;
  postgresPort: number;
  temporalAddress: string;
  httpUrl: string;
  mllpPort: number;
  uiUrl?: string;
  logDir: string;
  postgres: Supervised<PostgresInstance>;
  temporal: Supervised<ChildService>[];
  workers: Supervised<ChildService>[];
  /** The API processes with the backend port each listens on (HTTP; MLLP in `mllpPorts`). */
  apis: { supervised: Supervised<ChildService>; httpPort: number; mllpPort: number }[];
  httpBalancer: Balancer;
  mllpBalancer: Balancer;
  /** Starts one more application worker (benchmarks: 1 worker, then 2); resolves when it polls. */
  addWorker(): Promise<Supervised<ChildService>>;
}

export async function startCluster(o: ClusterOptions): Promise<RunningCluster> {
  const { log, teardown } = o;
  const logDir = join(o.dir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const port = async (wanted: number | undefined) => wanted ?? (await freePort());
  const historyCount = o.historyProcesses ?? 2;
  const ports = {
    postgres: await port(o.ports?.postgres),
    http: await port(o.ports?.http),
    mllp: await port(o.ports?.mllp),
    ui: o.ui ? await port(o.ports?.ui) : 0,
  };
  const temporalPorts: TemporalClusterPorts = {
    frontend: { grpc: await port(o.ports?.temporal), membership: await freeLowPort(), http: await freePort() },
    matching: { grpc: await freePort(), membership: await freeLowPort() },
    worker: { grpc: await freePort(), membership: await freeLowPort() },
    history: await Promise.all(Array.from({ length: historyCount }, async () => ({ grpc: await freePort(), membership: await freeLowPort() }))),
  };
  const supervisorLog = (msg: string) => log(msg);

  // --- Postgres, the Go programs and the portal, side by side ----------------------------------
  const postgres = supervise(
    'postgres',
    () => startWatchedPostgres({ dataDir: join(o.dir, 'postgres'), port: ports.postgres, database: o.database, log }),
    { log: supervisorLog, teardown, delayMs: 1000 },
  );
  // Workflows bundled once for every worker and every restart of one.
  const workflowBundle = join(o.dir, 'workflow-bundle.js');
  const [pg, temporalBin, uiBin] = await Promise.all([
    postgres.up(),
    findOrBuildTemporalServer(log),
    o.ui ? findOrBuildTemporalUi(log) : undefined,
    o.buildPortal ? buildPortal(o.webBuildDir) : undefined,
    writeWorkflowBundle(workflowBundle),
  ]);
  const databaseUrl = pg.url;
  const endpoint = { host: '127.0.0.1', port: ports.postgres, user: 'postgres', password: new URL(pg.url).password };
  await setupTemporalSchema(temporalBin, endpoint, log);
  await runMigrations(databaseUrl, log);
  // Workers and API processes connect as a role that owns no table (db/app-role.ts).
  const appDatabaseUrl = await ensureApplicationLogin(databaseUrl);

  // --- the Temporal server, one process per service ------------------------------------------
  const temporalDir = join(o.dir, 'temporal');
  const specs = writeTemporalClusterConfig(temporalDir, { pg: endpoint, ports: temporalPorts, numHistoryShards: o.numHistoryShards ?? 16 });
  // The port that answers once the process is up: gRPC, except the worker service, which serves none.
  const readyPortOf = (service: string, env: string) =>
    service === 'history'
      ? temporalPorts.history[Number(env.split('-')[1]) - 1]!.grpc
      : service === 'worker'
        ? temporalPorts.worker.membership
        : temporalPorts[service as 'frontend' | 'matching'].grpc;
  const superviseTemporal = (spec: (typeof specs)[number]) =>
    supervise(
      spec.name,
      () =>
        readyChild(
          startTemporalServerProcess({ binary: temporalBin.server, dir: temporalDir, spec, readyPort: readyPortOf(spec.service, spec.env), logFile: join(logDir, `${spec.name}.log`) }),
        ),
      { log: supervisorLog, teardown },
    );
  // The first process writes the cluster's metadata on a fresh database; processes starting at the
  // same moment race for it and fail once, so the frontend goes first.
  const frontend = superviseTemporal(specs[0]!);
  await frontend.up();
  const temporal = [frontend, ...specs.slice(1).map(superviseTemporal)];
  await Promise.all(temporal.map((t) => t.up()));
  const temporalAddress = `127.0.0.1:${temporalPorts.frontend.grpc}`;
  await ensureNamespace(temporalAddress, o.namespace);
  log(`[cluster] Temporal ${specs.map((s) => s.name.replace('temporal-', '')).join(', ')} up on ${temporalAddress}, namespace ${o.namespace}`);

  const httpUrl = `http://127.0.0.1:${ports.http}`;
  const uiUrl = o.ui ? `http://localhost:${ports.ui}` : undefined;
  if (o.ui && uiBin) {
    const ui = supervise(
      'temporal-ui',
      () =>
        readyChild(
          startTemporalUiServer({
            binary: uiBin,
            dir: join(o.dir, 'ui'),
            port: ports.ui,
            frontend: temporalAddress,
            namespace: o.namespace,
            // The UI decrypts payloads through our codec endpoint, for signed-in managers and admins only.
            codecEndpoint: `http://localhost:${ports.http}/api/codec`,
            logFile: join(logDir, 'temporal-ui.log'),
          }),
        ),
      { log: supervisorLog, teardown },
    );
    await ui.up();
  }

  // --- application workers and API processes ----------------------------------------------------
  const appEnv: NodeJS.ProcessEnv = {
    ...process.env,
    ...o.env,
    DATABASE_URL: appDatabaseUrl,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_NAMESPACE: o.namespace,
    TEMPORAL_TASK_QUEUE: o.taskQueue,
    ...(uiUrl ? { TEMPORAL_UI_URL: uiUrl, CODEC_CORS_ORIGIN: uiUrl } : {}),
    ...(o.webBuildDir ? { SUIFANG_BUILD_DIR: o.webBuildDir } : {}),
    WORKFLOW_BUNDLE: workflowBundle,
  };
  const appLog = (name: string) => (o.appLogsToFiles ? join(logDir, `${name}.log`) : undefined);
  const superviseWorker = (name: string) =>
    supervise(name, () => readyChild(startWorker({ name, env: appEnv, logFile: appLog(name) })), { log: supervisorLog, teardown });
  const workers = Array.from({ length: o.workers ?? 2 }, (_, i) => superviseWorker(`worker-${i + 1}`));
  const apis = await Promise.all(
    Array.from({ length: o.apis ?? 2 }, async (_, i) => {
      const httpPort = await freePort();
      const mllpPort = await freePort();
      const name = `api-${i + 1}`;
      const supervised = supervise(
        name,
        () =>
          readyChild(
            startApiServer({
              name,
              env: { ...appEnv, HOST: '127.0.0.1', PORT: String(httpPort), HL7_MLLP_PORT: String(mllpPort) },
              healthUrl: `http://127.0.0.1:${httpPort}/api/health`,
              logFile: appLog(name),
            }),
          ),
        { log: supervisorLog, teardown },
      );
      return { supervised, httpPort, mllpPort };
    }),
  );
  const httpBalancer = await startBalancer({ port: ports.http, backends: () => apis.map((a) => a.httpPort) });
  teardown.add('http load balancer', () => httpBalancer.close());
  const mllpBalancer = await startBalancer({ port: ports.mllp, backends: () => apis.map((a) => a.mllpPort) });
  teardown.add('mllp load balancer', () => mllpBalancer.close());
  await Promise.all([...workers.map((w) => w.up()), ...apis.map((a) => a.supervised.up())]);
  log(`[cluster] ${workers.length} workers and ${apis.length} API processes up; portal and API on ${httpUrl}, HL7 MLLP on ${ports.mllp}`);

  return {
    databaseUrl,
    postgresPort: ports.postgres,
    temporalAddress,
    httpUrl,
    mllpPort: ports.mllp,
    uiUrl,
    logDir,
    postgres,
    temporal,
    workers,
    apis,
    httpBalancer,
    mllpBalancer,
    async addWorker() {
      const worker = superviseWorker(`worker-${workers.length + 1}`);
      workers.push(worker);
      await worker.up();
      return worker;
    },
  };
}

/**
 * A cluster for one run of a tool (chaos, benchmark, smoke test): in a fresh temp folder, with its
 * own portal build, workers' and API processes' output in its logs folder, no demo data; all of
 * it removed by `teardown` (the temp folder kept when `keep` is set).
 */
export async function startThrowawayCluster(
  o: Pick<ClusterOptions, 'workers' | 'ui' | 'log' | 'teardown'> & { name: string; keep?: boolean },
): Promise<RunningCluster & { dir: string }> {
  const dir = makeTempDir(`suifang-${o.name}-`);
  o.teardown.add('temp folder', () => (o.keep ? o.log(`kept ${dir}`) : rmSync(dir, { recursive: true, force: true })));
  const webBuildDir = join(ROOT, '.cache', `${o.name}-build-${process.pid}`);
  o.teardown.add('portal build', () => rmSync(webBuildDir, { recursive: true, force: true }));
  const cluster = await startCluster({
    dir,
    namespace: 'default',
    taskQueue: 'suifang',
    database: 'suifang',
    workers: o.workers,
    apis: 2,
    historyProcesses: 2,
    ui: o.ui,
    buildPortal: true,
    webBuildDir,
    appLogsToFiles: true,
    env: { NODE_ENV: 'development', SEED_DEMO_DATA: 'false' },
    log: o.log,
    teardown: o.teardown,
  });
  return { ...cluster, dir };
}
