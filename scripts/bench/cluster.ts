/**
 * `npm run bench:cluster`: the cluster mode (scripts/lib/cluster.ts: the real Temporal server on
 * Postgres, 2 history processes, 2 API processes behind the load balancer) measured for sizing.
 *
 *   For 1 application worker, then 2 (a second one added):
 *     ingest  BENCH_COUNT discharges POSTed through the load balancer, BENCH_CONCURRENCY at a
 *             time, all with one discharge time B; rate = discharges / (first POST → all planned).
 *     burst   their one touchpoint is due at T = B + BENCH_MARGIN_S: seconds from T until every
 *             task row exists (the last created_at − T).
 *   Worker RSS per 1,000 cached workflows: the one worker's RSS before the first ingest and once
 *   its BENCH_COUNT workflows are planned and waiting on their timers (all in its cache).
 *   Postgres size per 10,000 finished follow-ups: every follow-up of both rounds finished (a call
 *   recorded through the workflow Update, which completes it), the growth of each database
 *   (application, Temporal, Temporal visibility) scaled to 10,000.
 *
 * Exits 1 only on errors; prints the figures the README's sizing note uses.
 */
import os from 'node:os';
import { Client, Connection } from '@temporalio/client';
import { loadEnv } from '../../config/env.js';
import { createSql } from '../../db/client.js';
import { createServices } from '../../services/index.js';
import { payloadDataConverter } from '../../worker/payload-codec.js';
import { generateDemoDischarges } from '../demo-data.js';
import { startThrowawayCluster } from '../lib/cluster.js';
import { sleep, waitUntil } from '../lib/wait.js';
import { fmt, formatTable, intFromEnv, printHeader } from './report.js';
import { rssMiB } from './resources.js';
import { pool, runBenchmark, teardown } from './run.js';
import { createBenchPlan, type BenchPlan } from './stack.js';

const COUNT = intFromEnv('BENCH_COUNT', 500);
const CONCURRENCY = intFromEnv('BENCH_CONCURRENCY', 32);
const MARGIN_S = intFromEnv('BENCH_MARGIN_S', 150);
const TIMEOUT_S = intFromEnv('BENCH_TIMEOUT_S', 1200);
const DATABASES = ['suifang', 'temporal', 'temporal_visibility'] as const;

interface Round {
  workers: number;
  ingestS: number;
  burstS?: number;
  note?: string;
}

await runBenchmark(async () => {
  printHeader('bench:cluster — the cluster mode, 1 and 2 application workers', {
    'discharges per round': COUNT,
    'HIS connections': `${CONCURRENCY} (JSON through the load balancer)`,
    'due instant': `${MARGIN_S} s after the discharge time`,
    topology: 'Temporal v1.29.1 on Postgres: frontend, matching, worker, 2 × history (16 shards); 2 API processes',
  });
  const log = (msg: string) => console.log(msg.startsWith('[') ? msg : `[bench] ${msg}`);
  const cluster = await startThrowawayCluster({ name: 'bench-cluster', workers: 1, log, teardown });
  const sql = createSql(cluster.databaseUrl, { max: 4 });
  const connection = await Connection.connect({ address: cluster.temporalAddress });
  teardown.add('clients', async () => {
    await connection.close();
    await sql.end({ timeout: 5 });
  });
  const env = { ...loadEnv({ NODE_ENV: 'development' }), DATABASE_URL: cluster.databaseUrl, TEMPORAL_ADDRESS: cluster.temporalAddress };
  const temporal = new Client({ connection, namespace: 'default', dataConverter: payloadDataConverter(env) });
  const services = createServices({ sql, temporal, env });

  const dbSizes = async () => {
    await sql`CHECKPOINT`;
    const rows = await sql<{ name: string; bytes: string }[]>`SELECT datname AS name, pg_database_size(datname)::text AS bytes FROM pg_database WHERE datname = ANY(${[...DATABASES]})`;
    return Object.fromEntries(rows.map((r) => [r.name, Number(r.bytes)])) as Record<(typeof DATABASES)[number], number>;
  };
  const sizesBefore = await dbSizes();
  const workerPid = () => cluster.workers[0]!.current()?.pid;
  const rssBefore = rssMiB(workerPid());
  let rssCached = Number.NaN;

  const rounds: Round[] = [];
  const plans: BenchPlan[] = [];
  for (const workers of [1, 2]) {
    if (workers === 2) await cluster.addWorker();
    const plan = await createBenchPlan(sql, [{ offsetSeconds: MARGIN_S, channel: 'phone', maxAttempts: 3, retryAfterSeconds: 3600 }]);
    plans.push(plan);
    const B = Date.now();
    const T = B + MARGIN_S * 1000;
    const seed = 10_000 + Math.floor(Math.random() * 80_000);
    const bodies = generateDemoDischarges({ now: new Date(B), count: COUNT, days: 1, seed }).map((d) =>
      JSON.stringify({ ...d, department: plan.departmentCode, dischargedAt: new Date(B).toISOString() }),
    );
    log(`${workers} worker(s): POSTing ${COUNT} discharges through ${cluster.httpUrl}…`);
    const started = Date.now();
    await pool(bodies, CONCURRENCY, async (body) => {
      const res = await fetch(`${cluster.httpUrl}/api/his/discharges`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      if (res.status !== 202) throw new Error(`POST answered ${res.status}: ${await res.text()}`);
    });
    const count = async (table: 'follow_up_events' | 'follow_up_tasks') => {
      const [row] =
        table === 'follow_up_events'
          ? await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM follow_up_events e JOIN encounters n ON n.workflow_id = e.workflow_id WHERE e.step = 'planned' AND n.department_code = ${plan.departmentCode}`
          : await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM follow_up_tasks WHERE department_code = ${plan.departmentCode}`;
      return row!.n;
    };
    await waitUntil(async () => (await count('follow_up_events')) >= COUNT, TIMEOUT_S * 1000, { intervalMs: 250, what: 'all planned' });
    const round: Round = { workers, ingestS: (Date.now() - started) / 1000 };
    rounds.push(round);
    log(`  all planned after ${fmt(round.ingestS)} s: ${fmt(COUNT / round.ingestS)} discharges/s`);
    if (workers === 1) rssCached = rssMiB(workerPid());
    if (Date.now() > T - 2000) {
      round.note = `planning ran past the due instant (raise BENCH_MARGIN_S above ${Math.ceil(round.ingestS * 1.3)})`;
      log(`  ${round.note}`);
    } else {
      await sleep(T - Date.now());
      await waitUntil(async () => (await count('follow_up_tasks')) >= COUNT, TIMEOUT_S * 1000, { intervalMs: 250, what: 'all tasks' });
      const [last] = await sql<{ s: number }[]>`
        SELECT extract(epoch FROM max(created_at))::float8 - ${T / 1000}::float8 AS s FROM follow_up_tasks WHERE department_code = ${plan.departmentCode}`;
      round.burstS = last!.s;
      log(`  ${COUNT} tasks due at one instant: all there ${fmt(round.burstS, 1)} s after it`);
    }
  }

  // --- every follow-up finished: a completed call on each task (the agents' Update) ----------------
  const codes = plans.map((p) => p.departmentCode);
  const tasks = await sql<{ id: string; agent: string; username: string; department: string }[]>`
    SELECT t.id, u.id AS agent, u.username, u.department_code AS department
    FROM follow_up_tasks t JOIN users u ON u.id = t.assigned_agent_id WHERE t.department_code = ANY(${codes})`;
  log(`finishing ${tasks.length} follow-ups (a completed call on each, 16 at a time)…`);
  const finishStarted = Date.now();
  await pool(tasks, 16, (t) =>
    services.tasks.recordContact(
      { id: t.agent, username: t.username, displayName: '基准客服', role: 'agent', departmentCode: t.department },
      t.id,
      { outcome: 'completed', answers: { pain: 2, wound_exudate: false } },
      {},
    ),
  );
  const finished = tasks.length;
  await waitUntil(
    async () => (await temporal.workflow.count(`WorkflowType = 'followUpWorkflow' AND ExecutionStatus = 'Completed'`)).count >= finished,
    TIMEOUT_S * 1000,
    { intervalMs: 1000, what: 'all follow-ups completed' },
  );
  log(`  ${finished} follow-ups finished in ${fmt((Date.now() - finishStarted) / 1000)} s`);
  const sizesAfter = await dbSizes();

  // --- results ----------------------------------------------------------------------------------------
  const perTenThousand = (db: (typeof DATABASES)[number]) => ((sizesAfter[db] - sizesBefore[db]) / finished) * 10_000;
  const mb = (bytes: number) => `${fmt(bytes / 1024 / 1024, 0)} MiB`;
  const [one, two] = rounds;
  console.log(`\n--- results (bench:cluster, ${COUNT} discharges per round; load average at the end ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}) ---`);
  console.log(
    formatTable(
      ['measure', '1 worker', '2 workers', '2 ÷ 1'],
      [
        ['ingest: discharges/s (POST → all planned)', fmt(COUNT / one!.ingestS), fmt(COUNT / two!.ingestS), fmt(one!.ingestS / two!.ingestS, 2)],
        [
          `due-task burst: s until all ${COUNT} tasks exist`,
          one!.burstS === undefined ? one!.note! : fmt(one!.burstS, 1),
          two!.burstS === undefined ? two!.note! : fmt(two!.burstS, 1),
          one!.burstS !== undefined && two!.burstS !== undefined ? fmt(one!.burstS / two!.burstS, 2) : '—',
        ],
      ],
    ),
  );
  console.log(
    `\n${formatTable(
      ['measure', 'value'],
      [
        ['worker RSS per 1,000 cached workflows', `${fmt(((rssCached - rssBefore) / COUNT) * 1000, 0)} MiB (RSS ${fmt(rssBefore, 0)} → ${fmt(rssCached, 0)} MiB with ${COUNT} cached)`],
        ...DATABASES.map((db): [string, string] => [`Postgres ${db} per 10,000 finished follow-ups`, `${mb(perTenThousand(db))} (${mb(sizesBefore[db])} → ${mb(sizesAfter[db])} for ${finished})`]),
        ['Postgres total per 10,000 finished follow-ups', mb(DATABASES.reduce((s, db) => s + perTenThousand(db), 0))],
      ],
    )}`,
  );
});
