/**
 * The real Temporal server (not the dev server) for the cluster mode: built from Go modules at
 * the versions docker-compose.yml runs, its schema created and updated with its own SQL tool,
 * and one configuration file per process (frontend, matching, worker, history × n), all on the
 * project's Postgres with SQL visibility.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { stringify } from 'yaml';
import { cacheRoot, goInstall, goModuleDir, isExecutable } from './go-install.js';

/** docker-compose.yml's temporalio/auto-setup tag. */
export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
/** docker-compose.yml's temporalio/ui tag (the UI server's Docker images are built from these tags). */
export const TEMPORAL_UI_VERSION = 'v2.53.3';
const SERVER_MODULE = 'go.temporal.io/server';
const UI_MODULE = 'github.com/temporalio/ui-server/v2';

export interface TemporalServerBinaries {
  server: string;
  sqlTool: string;
  /** schema/postgresql/v12 of the server module: temporal/versioned and visibility/versioned. */
  schemaDir: string;
}

type Log = (msg: string) => void;

/** The server and its schema tool, from the cache or built once (both ~2.5 min on 2 cores). */
export async function findOrBuildTemporalServer(log: Log): Promise<TemporalServerBinaries> {
  const dir = join(cacheRoot(), `temporal-server-${TEMPORAL_SERVER_VERSION}`);
  const server = join(dir, 'temporal-server');
  const sqlTool = join(dir, 'temporal-sql-tool');
  if (!isExecutable(server)) {
    await goInstall({ pkg: `${SERVER_MODULE}/cmd/server`, version: TEMPORAL_SERVER_VERSION, binary: 'server', target: server, what: 'the Temporal server', log });
  }
  if (!isExecutable(sqlTool)) {
    await goInstall({ pkg: `${SERVER_MODULE}/cmd/tools/sql`, version: TEMPORAL_SERVER_VERSION, binary: 'sql', target: sqlTool, what: "the Temporal server's SQL schema tool", log });
  }
  return { server, sqlTool, schemaDir: join(goModuleDir(SERVER_MODULE, TEMPORAL_SERVER_VERSION), 'schema', 'postgresql', 'v12') };
}

/** The Temporal UI server (the same program the temporalio/ui image runs), from the cache or built once. */
export async function findOrBuildTemporalUi(log: Log): Promise<string> {
  const binary = join(cacheRoot(), `temporal-ui-${TEMPORAL_UI_VERSION}`, 'temporal-ui-server');
  if (!isExecutable(binary)) {
    await goInstall({ pkg: `${UI_MODULE}/cmd/server`, version: TEMPORAL_UI_VERSION, binary: 'server', target: binary, what: 'the Temporal UI server', log });
  }
  return binary;
}

export interface PgEndpoint {
  host: string;
  port: number;
  user: string;
  password: string;
}

export const TEMPORAL_DATABASES = { default: 'temporal', visibility: 'temporal_visibility' } as const;

/**
 * Creates the Temporal databases when missing and brings their schema to the module's newest
 * version with the server's own tool (what auto-setup does in docker-compose.yml). Idempotent.
 */
export async function setupTemporalSchema(bin: TemporalServerBinaries, pg: PgEndpoint, log?: Log): Promise<void> {
  const run = promisify(execFile);
  const admin = postgres({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: 'postgres', max: 1, onnotice: () => {} });
  try {
    for (const [db, folder] of [
      [TEMPORAL_DATABASES.default, 'temporal'],
      [TEMPORAL_DATABASES.visibility, 'visibility'],
    ] as const) {
      const tool = (...args: string[]) =>
        run(bin.sqlTool, ['--plugin', 'postgres12', '--ep', pg.host, '-p', String(pg.port), '-u', pg.user, '--pw', pg.password, '--db', db, ...args]).catch(
          (err: { stderr?: string; message: string }) => {
            throw new Error(`temporal-sql-tool ${args[0]} on ${db} failed: ${err.stderr || err.message}`);
          },
        );
      const [exists] = await admin`SELECT 1 FROM pg_database WHERE datname = ${db}`;
      if (!exists) {
        await tool('create-database');
        log?.(`[temporal] created database ${db}`);
      }
      const dbSql = postgres({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: db, max: 1, onnotice: () => {} });
      const [versioned] = await dbSql`SELECT to_regclass('public.schema_version') IS NOT NULL AS present`.finally(() => dbSql.end());
      if (!versioned!.present) await tool('setup-schema', '-v', '0.0');
      await tool('update-schema', '-d', join(bin.schemaDir, folder, 'versioned'));
    }
  } finally {
    await admin.end();
  }
}

export interface ServicePorts {
  grpc: number;
  membership: number;
}

export interface TemporalClusterPorts {
  frontend: ServicePorts & { http: number };
  matching: ServicePorts;
  worker: ServicePorts;
  /** One entry per history process. */
  history: ServicePorts[];
}

/** A process of the cluster: the service it runs and the config file (env name) it reads. */
export interface TemporalProcessSpec {
  name: string;
  service: 'frontend' | 'matching' | 'worker' | 'history';
  env: string;
}

/**
 * Writes <dir>/config/<process>.yaml for every process (the history processes differ only in
 * their ports) and the dynamic configuration, and returns what to start.
 */
export function writeTemporalClusterConfig(
  dir: string,
  o: { pg: PgEndpoint; ports: TemporalClusterPorts; numHistoryShards: number; logLevel?: string },
): TemporalProcessSpec[] {
  const configDir = join(dir, 'config');
  mkdirSync(configDir, { recursive: true });
  const dynamicConfig = join(configDir, 'dynamic.yaml');
  writeFileSync(
    dynamicConfig,
    stringify({
      'limit.maxIDLength': [{ value: 255 }],
      // Search attributes the worker registers at start are usable at once on every frontend.
      'system.forceSearchAttributesCacheRefreshOnRead': [{ value: true }],
    }),
  );
  const store = (databaseName: string, maxConns: number) => ({
    sql: {
      pluginName: 'postgres12',
      databaseName,
      connectAddr: `${o.pg.host}:${o.pg.port}`,
      connectProtocol: 'tcp',
      user: o.pg.user,
      password: o.pg.password,
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const rpc = (p: ServicePorts, extra: Record<string, unknown> = {}) => ({ rpc: { grpcPort: p.grpc, membershipPort: p.membership, bindOnLocalHost: true, ...extra } });
  const config = (history: ServicePorts) => ({
    log: { stdout: true, level: o.logLevel ?? 'warn' },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: o.numHistoryShards,
      datastores: { 'postgres-default': store(TEMPORAL_DATABASES.default, 20), 'postgres-visibility': store(TEMPORAL_DATABASES.visibility, 5) },
    },
    global: { membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' } },
    services: {
      frontend: rpc(o.ports.frontend, { httpPort: o.ports.frontend.http }),
      matching: rpc(o.ports.matching),
      history: rpc(history),
      worker: rpc(o.ports.worker),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: { active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: `127.0.0.1:${o.ports.frontend.grpc}` } },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: dynamicConfig, pollInterval: '10s' },
  });
  const specs: TemporalProcessSpec[] = [
    { name: 'temporal-frontend', service: 'frontend', env: 'frontend' },
    { name: 'temporal-matching', service: 'matching', env: 'matching' },
    { name: 'temporal-worker', service: 'worker', env: 'worker' },
    ...o.ports.history.map((_, i) => ({ name: `temporal-history-${i + 1}`, service: 'history' as const, env: `history-${i + 1}` })),
  ];
  for (const spec of specs) {
    const index = spec.service === 'history' ? Number(spec.env.split('-')[1]) - 1 : 0;
    writeFileSync(join(configDir, `${spec.env}.yaml`), stringify(config(o.ports.history[index]!)));
  }
  return specs;
}

/** The arguments that start one process of the cluster from `dir` (see writeTemporalClusterConfig). */
export function temporalServerArgs(dir: string, spec: TemporalProcessSpec): string[] {
  return ['--root', dir, '--config', 'config', '--env', spec.env, '--allow-no-auth', 'start', '--service', spec.service];
}

/** The UI server's configuration (the same settings docker-compose.yml gives the temporalio/ui image). */
export function writeTemporalUiConfig(dir: string, o: { port: number; frontend: string; namespace: string; codecEndpoint: string }): string[] {
  const configDir = join(dir, 'config');
  mkdirSync(configDir, { recursive: true });
  writeFileSync(
    join(configDir, 'cluster.yaml'),
    stringify({
      temporalGrpcAddress: o.frontend,
      host: '127.0.0.1',
      port: o.port,
      enableUi: true,
      defaultNamespace: o.namespace,
      notifyOnNewVersion: false,
      cors: { cookieInsecure: true, allowOrigins: [] },
      codec: { endpoint: o.codecEndpoint, includeCredentials: true },
    }),
  );
  return ['--root', dir, '--config', 'config', '--env', 'cluster', 'start'];
}
