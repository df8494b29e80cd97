/**
 * `npm run bench:ingest`: how fast discharges get from the HIS endpoint to a planned follow-up,
 * compared with what the same Temporal server needs for the least possible workflow.
 *
 *   (a1) START ONLY: start BENCH_COUNT workflows on a task queue nobody polls (the start alone;
 *        nothing ever runs, the tasks pile up), printed for reference.
 *   (a2) EMPTY WORKFLOWS: start BENCH_COUNT empty workflows, BENCH_CONCURRENCY at a time, on a
 *        queue a worker (built by worker/create-worker.ts) polls; timed until the last one has
 *        closed. One start plus one workflow task each: the baseline, run before and after (b)
 *        and averaged. (a1) runs last.
 *   (b)  END TO END: POST BENCH_COUNT distinct discharges to /api/his/discharges over real HTTP,
 *        BENCH_CONCURRENCY at a time, and wait until every workflow has planned (its
 *        follow_up_events row step 'planned'). Touchpoints are 3 days out, so only planning runs.
 *
 * Target: end-to-end rate ≥ 0.5 × the mean empty-workflow rate (a2). Exits 0 whether or not the
 * target is met; 1 only on errors (a POST that is not 202, a timeout).
 */
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { NativeConnection, bundleWorkflowCode } from '@temporalio/worker';
import { loadEnv } from '../../config/env.js';
import { createWorker } from '../../worker/create-worker.js';
import { payloadDataConverter } from '../../worker/payload-codec.js';
import { generateDemoDischarges } from '../demo-data.js';
import { waitUntil } from '../lib/wait.js';
import { fmt, formatTable, intFromEnv, mib, percentile, printHeader } from './report.js';
import { cpuReport, cpuSnapshot, rssMiB, startSampler, summariseSamples, type CpuSnapshot } from './resources.js';
import { pool, runBenchmark } from './run.js';
import { runTag, startBenchStack, type BenchStack } from './stack.js';

const COUNT = intFromEnv('BENCH_COUNT', 2000);
const CONCURRENCY = intFromEnv('BENCH_CONCURRENCY', 50);
const TIMEOUT_S = intFromEnv('BENCH_TIMEOUT_S', 900);
const TARGET_RATIO = 0.5;
const hisAgent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

await runBenchmark(async () => {
  printHeader('bench:ingest — HIS discharge → planned follow-up', {
    discharges: COUNT,
    concurrency: CONCURRENCY,
    'rule touchpoints': 'offsetDays 3 (phone): only planning runs',
    timeout: `${TIMEOUT_S} s`,
  });

  const stack = await startBenchStack({
    touchpoints: [{ offsetDays: 3, channel: 'phone', maxAttempts: 3, retryAfterSeconds: 86_400 }],
  });
  const plan = stack.plan!;
  const tag = runTag();

  // --- (a2) baseline on the same server, before and after (b) -----------------------------------
  // Empty workflows, run by a worker with the same options as ours, until each has finished.
  // Measured on both sides of the end-to-end phase: the server's cost per workflow drifts by
  // a quarter from one phase to the next on this machine, and bracketing cancels the order.
  const emptyRun = async (round: string) => {
    console.log(`\n[a2 ${round}] EMPTY WORKFLOWS: starting ${COUNT} empty workflows, run to completion by a worker, ${CONCURRENCY} at a time…`);
    const run = await runEmptyWorkflows(stack, { count: COUNT, concurrency: CONCURRENCY, tag: `${tag}${round}`, timeoutMs: TIMEOUT_S * 1000 });
    console.log(`     ${fmt(run.rate)} workflows/s started and completed (start p95 ${fmt(percentile(run.latencies, 95))} ms)`);
    await new Promise((r) => setTimeout(r, 3000));
    return run;
  };
  const emptyBefore = await emptyRun('before');

  // --- (b) end to end -------------------------------------------------------------------------
  const seed = 10_000 + Math.floor(Math.random() * 80_000); // encounter IDs ZY<seed><index>
  const bodies = generateDemoDischarges({ now: new Date(), count: COUNT, days: 1, seed }).map((d) =>
    JSON.stringify({ ...d, department: plan.departmentCode }),
  );
  const idPattern = `followup-ZY${seed}%`;
  const plannedCount = async () => {
    const [row] = await stack.probe<{ n: number }[]>`
      SELECT count(*)::int AS n FROM follow_up_events WHERE step = 'planned' AND workflow_id LIKE ${idPattern}`;
    return row!.n;
  };

  console.log(`\n[b] END TO END: POST ${COUNT} discharges to ${stack.apiUrl}/his/discharges, ${CONCURRENCY} at a time, until all are planned…`);
  const dischargesUrl = new URL(`${stack.apiUrl}/his/discharges`);
  let posted = 0;
  const failures: string[] = [];
  const latencies: number[] = [];
  const sampler = startSampler(stack, async () => ({ posted, planned: await plannedCount() }));
  stack.startTimings.length = 0;
  const cpuStart = cpuSnapshot(stack);
  const t0 = Date.now();
  await pool(bodies, CONCURRENCY, async (body) => {
    const t = performance.now();
    try {
      const res = await postJson(dischargesUrl, body);
      if (res.status !== 202) failures.push(`${res.status} ${res.text.slice(0, 200)}`);
    } catch (err) {
      failures.push(String(err));
    }
    latencies.push(performance.now() - t);
    posted++;
  });
  const postsDone = Date.now();
  if (failures.length) {
    await sampler.stop();
    throw new Error(`${failures.length} of ${COUNT} POSTs failed; first: ${failures[0]}`);
  }
  console.log(`    all ${COUNT} POSTs answered 202 after ${fmt((postsDone - t0) / 1000, 2)} s; waiting for the projections…`);

  await waitUntil(async () => (stack.workerExit() ? Promise.reject(new Error('worker exited')) : (await plannedCount()) >= COUNT), TIMEOUT_S * 1000, {
    intervalMs: 250,
    what: `${COUNT} 'planned' projection rows`,
  });
  const detected = Date.now();
  const cpuEnd = cpuSnapshot(stack);
  const samples = await sampler.stop();
  const [last] = await stack.probe<{ last: number }[]>`
    SELECT (extract(epoch FROM max(at)) * 1000)::float8 AS last
    FROM follow_up_events WHERE step = 'planned' AND workflow_id LIKE ${idPattern}`;
  const tEnd = last!.last;
  const e2eSeconds = (tEnd - t0) / 1000;
  const e2eRate = COUNT / e2eSeconds;
  await new Promise((r) => setTimeout(r, 3000));
  const emptyAfter = await emptyRun('after');
  const rawRate = (emptyBefore.rate + emptyAfter.rate) / 2;
  const ratio = e2eRate / rawRate;
  const workerRss = rssMiB(stack.workerPid);
  const benchRss = mib(process.memoryUsage().rss);

  // --- (a1) for reference, last: its 2,000 tasks stay queued, which must not weigh on the measured phases.
  await new Promise((r) => setTimeout(r, 3000));
  console.log(`\n[a1] START ONLY: starting ${COUNT} workflows on a task queue nobody polls, ${CONCURRENCY} at a time…`);
  const startOnly = await startWorkflows(stack, { count: COUNT, concurrency: CONCURRENCY, taskQueue: `bench-unpolled-${tag.toLowerCase()}`, idPrefix: `bench-unpolled-${tag}` });
  console.log(`     ${fmt(startOnly.rate)} starts/s (p95 ${fmt(percentile(startOnly.latencies, 95))} ms)`);

  console.log(`\n--- results (bench:ingest, ${COUNT} discharges, concurrency ${CONCURRENCY}) ---`);
  console.log(
    formatTable(
      ['measure', 'value'],
      [
        ['start only (a1)', `${fmt(startOnly.rate)} starts/s (${COUNT} in ${fmt(startOnly.seconds, 2)} s; start p95 ${fmt(percentile(startOnly.latencies, 95))} ms; nothing runs)`],
        ['empty workflows (a2)', `${fmt(rawRate)} workflows/s started and completed: mean of ${fmt(emptyBefore.rate)} before and ${fmt(emptyAfter.rate)} after (b)`],
        ['POST acceptance', `${fmt(COUNT / ((postsDone - t0) / 1000))} req/s (all 202 after ${fmt((postsDone - t0) / 1000, 2)} s)`],
        ['end to end', `${fmt(e2eRate)} discharges/s (first POST → last 'planned' row: ${fmt(e2eSeconds, 2)} s)`],
        ['ratio e2e / empty (a2)', `${fmt(ratio, 2)}  target ≥ ${TARGET_RATIO}: ${ratio >= TARGET_RATIO ? 'PASS' : 'FAIL'}`],
        ['ratio e2e / start only (a1)', `${fmt(e2eRate / startOnly.rate, 2)} (for reference: starts that never run)`],
        ['POST latency', `p50 ${fmt(percentile(latencies, 50))} ms, p95 ${fmt(percentile(latencies, 95))} ms, p99 ${fmt(percentile(latencies, 99))} ms, max ${fmt(Math.max(...latencies))} ms`],
        [
          '  of which Temporal start',
          `p50 ${fmt(percentile(stack.startTimings, 50))} ms, p95 ${fmt(percentile(stack.startTimings, 95))} ms (the rest is Postgres + HTTP + queueing for the pool)`,
        ],
        ['projection lag', `last 'planned' row ${fmt((tEnd - postsDone) / 1000, 2)} s after the last 202 (poll saw it ${fmt((detected - tEnd) / 1000, 2)} s later)`],
        ['worker RSS at end', `${fmt(workerRss, 0)} MiB (child process pid ${stack.workerPid})`],
        ['bench process RSS', `${fmt(benchRss, 0)} MiB (API in-process + HTTP load generator + Temporal client)`],
        ...summariseSamples(samples),
      ],
    ),
  );
  for (const [label, run] of [
    ['start-only phase (a1)', startOnly],
    ['empty-workflow phase before (b) (a2; its worker runs in the bench process)', emptyBefore],
    ['empty-workflow phase after (b) (a2; its worker runs in the bench process)', emptyAfter],
  ] as const) {
    console.log(`\nCPU during the ${label} (${fmt((run.cpu[1].at - run.cpu[0].at) / 1000, 1)} s wall):`);
    console.log(cpuReport(run.cpu[0], run.cpu[1], { count: COUNT, label: 'workflow' }));
  }
  console.log(`\nCPU during the end-to-end phase (${fmt((cpuEnd.at - cpuStart.at) / 1000, 1)} s wall):`);
  console.log(cpuReport(cpuStart, cpuEnd, { count: COUNT, label: 'discharge' }));
});

interface StartRun {
  rate: number;
  seconds: number;
  latencies: number[];
  cpu: [CpuSnapshot, CpuSnapshot];
}

/** Starts `count` workflows of type benchEmpty with the API's client, `concurrency` at a time. */
async function startWorkflows(
  stack: BenchStack,
  { count, concurrency, taskQueue, idPrefix }: { count: number; concurrency: number; taskQueue: string; idPrefix: string },
): Promise<StartRun> {
  const latencies: number[] = [];
  const cpuStart = cpuSnapshot(stack);
  const started = performance.now();
  await pool(
    Array.from({ length: count }, (_, i) => i),
    concurrency,
    async (i) => {
      const t = performance.now();
      await stack.temporal.workflow.start('benchEmpty', { taskQueue, workflowId: `${idPrefix}-${i}`, args: [] });
      latencies.push(performance.now() - t);
    },
  );
  const seconds = (performance.now() - started) / 1000;
  return { rate: count / seconds, seconds, latencies, cpu: [cpuStart, cpuSnapshot(stack)] };
}

/**
 * The baseline: empty workflows started like (a1) but on a queue a worker polls — a worker built
 * by worker/create-worker.ts, so with the same options and payload codec as ours — timed from the
 * first start to the last workflow's close time.
 */
async function runEmptyWorkflows(
  stack: BenchStack,
  { count, concurrency, tag, timeoutMs }: { count: number; concurrency: number; tag: string; timeoutMs: number },
): Promise<StartRun> {
  const taskQueue = `bench-empty-${tag.toLowerCase()}`;
  const connection = await NativeConnection.connect({ address: stack.temporalAddress });
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('./empty-workflow.ts', import.meta.url)),
    logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} },
  });
  const worker = await createWorker({
    connection,
    namespace: 'default',
    taskQueue,
    dataConverter: payloadDataConverter(loadEnv({ NODE_ENV: 'test' })),
    workflowBundle,
    sql: stack.probe,
  });
  const running = worker.run();
  try {
    const t0 = Date.now();
    const run = await startWorkflows(stack, { count, concurrency, taskQueue, idPrefix: `bench-empty-${tag}` });
    const query = `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Completed'`;
    await waitUntil(async () => (await stack.temporal.workflow.count(query)).count >= count, timeoutMs, {
      intervalMs: 250,
      what: `${count} completed empty workflows`,
    });
    let lastClose = 0;
    for await (const wf of stack.temporal.workflow.list({ query })) lastClose = Math.max(lastClose, wf.closeTime?.getTime() ?? 0);
    const cpuEnd = cpuSnapshot(stack);
    const seconds = (lastClose - t0) / 1000;
    return { ...run, rate: count / seconds, seconds, cpu: [run.cpu[0], cpuEnd] };
  } finally {
    worker.shutdown();
    await running;
    await connection.close();
  }
}

/** The HIS side of the load: a POST over a keep-alive connection (node:http is leaner than fetch()). */
function postJson(url: URL, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', agent: hisAgent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
