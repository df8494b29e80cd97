/**
 * `npm run bench:ingest`: how fast discharges get from the HIS endpoint to a planned follow-up,
 * compared with how fast this Temporal server can merely start workflows.
 *
 *   (a) RAW: start BENCH_COUNT empty workflows ('benchNoop' on a task queue nobody polls) with
 *       the Temporal client, BENCH_CONCURRENCY at a time: the ceiling for starts.
 *   (b) END TO END: POST BENCH_COUNT distinct discharges to /api/his/discharges over real HTTP,
 *       BENCH_CONCURRENCY at a time, and wait until every workflow has planned (its
 *       follow_up_events row step 'planned'). Touchpoints are 3 days out, so only planning runs.
 *
 * Target: end-to-end rate ≥ 0.5 × raw start rate. Exits 0 whether or not the target is met;
 * 1 only on errors (a POST that is not 202, a timeout).
 */
import { generateDemoDischarges } from '../demo-data.js';
import {
  cpuReport,
  cpuSnapshot,
  fmt,
  formatTable,
  intFromEnv,
  mib,
  percentile,
  pool,
  printHeader,
  rssMiB,
  runBenchmark,
  runTag,
  startBenchStack,
  startSampler,
  summariseSamples,
  waitUntil,
} from './lib.js';

const COUNT = intFromEnv('BENCH_COUNT', 2000);
const CONCURRENCY = intFromEnv('BENCH_CONCURRENCY', 50);
const TIMEOUT_S = intFromEnv('BENCH_TIMEOUT_S', 900);
const TARGET_RATIO = 0.5;

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

  // --- (a) raw workflow starts ------------------------------------------------------------------
  console.log(`\n[a] RAW: starting ${COUNT} empty workflows (type benchNoop, unpolled task queue), ${CONCURRENCY} at a time…`);
  const rawQueue = `bench-unpolled-${tag.toLowerCase()}`;
  const rawLatencies: number[] = [];
  const rawCpuStart = cpuSnapshot(stack);
  const rawStarted = performance.now();
  await pool(
    Array.from({ length: COUNT }, (_, i) => i),
    CONCURRENCY,
    async (i) => {
      const t = performance.now();
      await stack.temporal.workflow.start('benchNoop', { taskQueue: rawQueue, workflowId: `bench-noop-${tag}-${i}`, args: [] });
      rawLatencies.push(performance.now() - t);
    },
  );
  const rawSeconds = (performance.now() - rawStarted) / 1000;
  const rawCpuEnd = cpuSnapshot(stack);
  const rawRate = COUNT / rawSeconds;
  console.log(`    ${COUNT} starts in ${fmt(rawSeconds, 2)} s → ${fmt(rawRate)} starts/s (p50 ${fmt(percentile(rawLatencies, 50))} ms, p95 ${fmt(percentile(rawLatencies, 95))} ms)`);
  // Let the server settle before the next phase.
  await new Promise((r) => setTimeout(r, 3000));

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
      const res = await fetch(`${stack.apiUrl}/his/discharges`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const text = await res.text();
      if (res.status !== 202) failures.push(`${res.status} ${text.slice(0, 200)}`);
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
  const ratio = e2eRate / rawRate;
  const workerRss = rssMiB(stack.workerPid);
  const benchRss = mib(process.memoryUsage().rss);

  console.log(`\n--- results (bench:ingest, ${COUNT} discharges, concurrency ${CONCURRENCY}) ---`);
  console.log(
    formatTable(
      ['measure', 'value'],
      [
        ['raw workflow starts', `${fmt(rawRate)} starts/s (${COUNT} in ${fmt(rawSeconds, 2)} s; start p95 ${fmt(percentile(rawLatencies, 95))} ms)`],
        ['POST acceptance', `${fmt(COUNT / ((postsDone - t0) / 1000))} req/s (all 202 after ${fmt((postsDone - t0) / 1000, 2)} s)`],
        ['end to end', `${fmt(e2eRate)} discharges/s (first POST → last 'planned' row: ${fmt(e2eSeconds, 2)} s)`],
        ['ratio e2e / raw', `${fmt(ratio, 2)}  target ≥ ${TARGET_RATIO}: ${ratio >= TARGET_RATIO ? 'PASS' : 'FAIL'}`],
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
  console.log(`\nCPU during the raw phase (${fmt((rawCpuEnd.at - rawCpuStart.at) / 1000, 1)} s wall):`);
  console.log(cpuReport(rawCpuStart, rawCpuEnd, { count: COUNT, label: 'start' }));
  console.log(`\nCPU during the end-to-end phase (${fmt((cpuEnd.at - cpuStart.at) / 1000, 1)} s wall):`);
  console.log(cpuReport(cpuStart, cpuEnd, { count: COUNT, label: 'discharge' }));
});
