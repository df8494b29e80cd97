/**
 * What the parts of the stack use while a benchmark runs: CPU seconds and memory from /proc, the
 * machine's CPU pressure, and a sampler of RSS, task-queue backlog and Postgres pool use.
 */
import { readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import { sleep } from '../lib/wait.js';
import { fmt, formatTable } from './report.js';
import type { BenchStack } from './stack.js';

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
