/**
 * `npm run bench:burst`: BENCH_COUNT follow-ups falling due at the same instant.
 *
 * All discharges share one discharge time B; the rule's one touchpoint has
 * offsetSeconds = T − B, so every workflow's timer fires at T. The discharges are ingested
 * through the service (`services.discharges.ingestJson`, BENCH_CONCURRENCY at a time) and
 * every workflow must have planned before T. If not, the attempt is invalid: its workflows are
 * terminated and the run is retried with a larger margin (up to 3 attempts).
 *
 * From T on, the `follow_up_tasks` rows are counted every 250 ms until all exist.
 * Target: all tasks materialised < 60 s after the due instant. Exits 0 whether or not the
 * target is met; 1 only on errors.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { followUpWorkflowId } from '../../workflows/follow-up/contracts.js';
import { generateDemoDischarges } from '../demo-data.js';
import { sleep, waitUntil } from '../lib/wait.js';
import { fmt, formatTable, intFromEnv, mib, percentile, printHeader } from './report.js';
import { cpuReport, cpuSnapshot, rssMiB, startSampler, summariseSamples } from './resources.js';
import { pool, runBenchmark } from './run.js';
import { startBenchStack } from './stack.js';

const COUNT = intFromEnv('BENCH_COUNT', 2000);
const CONCURRENCY = intFromEnv('BENCH_CONCURRENCY', 50);
const INITIAL_MARGIN_S = intFromEnv('BENCH_MARGIN_S', 120);
const TIMEOUT_S = intFromEnv('BENCH_TIMEOUT_S', 900);
const MAX_ATTEMPTS = 3;
const TARGET_S = 60;
/** Every workflow must have planned at least this long before T for the attempt to count. */
const SAFETY_MS = 2000;

await runBenchmark(async () => {
  printHeader('bench:burst — follow-ups falling due at the same instant', {
    'follow-ups': COUNT,
    'ingest concurrency': `${CONCURRENCY} (services.discharges.ingestJson, in-process)`,
    'initial margin T − now': `${INITIAL_MARGIN_S} s (doubled or re-estimated on an invalid attempt, ≤ ${MAX_ATTEMPTS} attempts)`,
    target: `all tasks < ${TARGET_S} s after the due instant`,
  });

  const stack = await startBenchStack();
  let margin = INITIAL_MARGIN_S;

  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const B = Math.floor(Date.now() / 1000) * 1000;
    const T = B + margin * 1000;
    const plan = await stack.createPlan([{ offsetSeconds: margin, channel: 'phone', maxAttempts: 3, retryAfterSeconds: 3600 }]);
    const seed = 10_000 + Math.floor(Math.random() * 80_000);
    const dischargedAt = new Date(B).toISOString();
    const discharges = generateDemoDischarges({ now: new Date(B), count: COUNT, days: 1, seed }).map((d) => ({
      ...d,
      department: plan.departmentCode,
      dischargedAt,
    }));
    const idPattern = `followup-ZY${seed}%`;
    const plannedCount = async () => {
      const [row] = await stack.probe<{ n: number }[]>`
        SELECT count(*)::int AS n FROM follow_up_events WHERE step = 'planned' AND workflow_id LIKE ${idPattern}`;
      return row!.n;
    };
    const taskCount = async () => {
      const [row] = await stack.probe<{ n: number }[]>`
        SELECT count(*)::int AS n FROM follow_up_tasks WHERE department_code = ${plan.departmentCode}`;
      return row!.n;
    };

    console.log(
      `\n[attempt ${attempt}] B (discharge) = ${dischargedAt}, T (due) = ${new Date(T).toISOString()} (offsetSeconds ${margin}); ` +
        `ingesting ${COUNT} through the service, ${CONCURRENCY} at a time…`,
    );
    stack.startTimings.length = 0;
    const ingestStart = Date.now();
    let ingested = 0;
    await pool(discharges, CONCURRENCY, async (d) => {
      await stack.services.discharges.ingestJson(JSON.stringify(d));
      ingested++;
    });
    const ingestDone = Date.now();
    const ingestStarts = [...stack.startTimings];
    console.log(`    ingested ${ingested} in ${fmt((ingestDone - ingestStart) / 1000, 2)} s (${fmt(COUNT / ((ingestDone - ingestStart) / 1000))}/s); waiting for planning…`);
    let planned = 0;
    const deadline = T - SAFETY_MS - Date.now();
    if (deadline > 0) {
      await waitUntil(async () => (planned = await plannedCount()) >= COUNT, deadline, { what: 'planning' }).catch(() => undefined);
    }
    const readyAt = Date.now();
    if (planned < COUNT || readyAt > T - SAFETY_MS) {
      const needed = Math.ceil(((readyAt - B) / 1000) * 1.5) + 30;
      console.log(
        `    INVALID attempt: only ${planned}/${COUNT} planned ${fmt((T - readyAt) / 1000, 1)} s before T ` +
          `(ingest ${fmt((ingestDone - ingestStart) / 1000, 1)} s). Terminating its workflows and retrying with a larger margin.`,
      );
      await pool(discharges, CONCURRENCY, async (d) => {
        await stack.temporal.workflow
          .getHandle(followUpWorkflowId(d.encounterId))
          .terminate('bench:burst invalid attempt')
          .catch((err: unknown) => {
            if (!(err instanceof WorkflowNotFoundError)) throw err;
          });
      });
      margin = Math.max(margin * 2, needed);
      continue;
    }
    console.log(`    all ${COUNT} planned ${fmt((readyAt - ingestStart) / 1000, 1)} s after the first ingest; ${fmt((T - readyAt) / 1000, 1)} s to spare before T.`);

    // --- the burst ------------------------------------------------------------------------
    await sleep(Math.max(0, T - Date.now()));
    const sampler = startSampler(stack, async () => ({ tasks: await taskCount() }));
    const cpuStart = cpuSnapshot(stack);
    console.log(`    T reached (${new Date().toISOString()}); counting follow_up_tasks every 250 ms…`);
    await waitUntil(async () => (stack.workerExit() ? Promise.reject(new Error('worker exited')) : (await taskCount()) >= COUNT), TIMEOUT_S * 1000, {
      intervalMs: 250,
      what: `${COUNT} follow_up_tasks rows`,
    });
    const detected = Date.now();
    const cpuEnd = cpuSnapshot(stack);
    const samples = await sampler.stop();

    const rows = await stack.probe<{ c: number }[]>`
      SELECT (extract(epoch FROM created_at) * 1000)::float8 AS c FROM follow_up_tasks WHERE department_code = ${plan.departmentCode}`;
    const lags = rows.map((r) => (r.c - T) / 1000);
    const lastLag = Math.max(...lags);
    const firstLag = Math.min(...lags);
    const [assigned] = await stack.probe<{ n: number }[]>`
      SELECT count(*)::int AS n FROM follow_up_tasks WHERE department_code = ${plan.departmentCode} AND assigned_agent_id = ${plan.agentId}`;
    const polled = (detected - T) / 1000;
    const workerRss = rssMiB(stack.workerPid);

    console.log(`\n--- results (bench:burst, ${COUNT} follow-ups due at one instant, attempt ${attempt}, margin ${margin} s) ---`);
    console.log(
      formatTable(
        ['measure', 'value'],
        [
          [
            'due instant → all tasks',
            `${fmt(lastLag, 2)} s (last task row created_at − T; the 250 ms poll saw ${COUNT} at ${fmt(polled, 2)} s)  ` +
              `target < ${TARGET_S} s: ${lastLag < TARGET_S ? 'PASS' : 'FAIL'}`,
          ],
          ['tasks/s', `${fmt(COUNT / lastLag)} (over due instant → last task)`],
          [
            'task lag after T',
            `first ${fmt(firstLag, 2)} s, p50 ${fmt(percentile(lags, 50), 2)} s, p95 ${fmt(percentile(lags, 95), 2)} s, p99 ${fmt(percentile(lags, 99), 2)} s`,
          ],
          ['steady rate after the first', `${fmt((COUNT - 1) / (lastLag - firstLag))} tasks/s`],
          ['assigned to the agent', `${assigned!.n}/${COUNT}`],
          ['ingest (service, in-process)', `${fmt(COUNT / ((ingestDone - ingestStart) / 1000))} discharges/s; all planned ${fmt((readyAt - ingestStart) / 1000, 1)} s after the first; Temporal start p50 ${fmt(percentile(ingestStarts, 50))} ms, p95 ${fmt(percentile(ingestStarts, 95))} ms`],
          ['worker RSS at end', `${fmt(workerRss, 0)} MiB (child process pid ${stack.workerPid})`],
          ['bench process RSS', `${fmt(mib(process.memoryUsage().rss), 0)} MiB (services in-process + Temporal client)`],
          ...summariseSamples(samples),
        ],
      ),
    );
    console.log(`\nCPU from T until all tasks were seen (${fmt((cpuEnd.at - cpuStart.at) / 1000, 1)} s wall):`);
    console.log(cpuReport(cpuStart, cpuEnd, { count: COUNT, label: 'task' }));
    return;
  }
  throw new Error(`no valid attempt in ${MAX_ATTEMPTS}: ingest + planning of ${COUNT} never finished before T (last margin ${margin} s)`);
});
