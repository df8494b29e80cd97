/**
 * The faults of the chaos run: SIGKILL of one process of each kind, at a moment chosen at random,
 * and how long until its supervisor has it back (scripts/lib/cluster.ts restarts every process).
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { RunningCluster } from '../lib/cluster.js';
import type { Supervisable, Supervised } from '../lib/stack.js';
import { sleep, waitUntil } from '../lib/wait.js';

export type FaultKind = 'worker' | 'api' | 'history' | 'matching' | 'postgres';
export const FAULT_KINDS: FaultKind[] = ['worker', 'api', 'history', 'matching', 'postgres'];

export interface Fault {
  kind: FaultKind;
  /** Which process: `worker-2`, `api-1 (3 requests in flight)`, `temporal-history-1`, `postgres (postmaster + 14)`. */
  target: string;
  /** Epoch ms of the SIGKILL. */
  at: number;
  /** Seconds until the supervisor had a new process up (set once `restarted` resolves). */
  restartS?: number;
  /** Resolves when the supervisor has a new process up. */
  restarted: Promise<void>;
  /** Seconds until a new discharge went end to end again (set by the caller). */
  recoveryS?: number;
}

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;

/** Children of `pid`, from /proc (Postgres backends, checkpointer, WAL writer …). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Fields after the command (which may hold spaces) start after the last ')': state, ppid, …
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

const kill = (pid: number) => {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
};

/** The fault, with `restarted` resolving (and restartS set) once `supervised` runs an instance other than `before`. */
function fault<T extends Supervisable>(kind: FaultKind, target: string, at: number, supervised: Supervised<T>, before: T): Fault {
  const f: Fault = { kind, target, at, restarted: Promise.resolve() };
  f.restarted = waitUntil(
    () => {
      const now = supervised.current();
      return now !== undefined && now !== before;
    },
    600_000,
    { intervalMs: 100, what: `${supervised.name} restarted` },
  ).then(() => {
    f.restartS = (Date.now() - at) / 1000;
  });
  return f;
}

/**
 * Kills one process of `kind` with SIGKILL; returns at once (the restart is `restarted`). An API
 * process is killed while the load balancer has a request in flight to it.
 */
export async function inject(cluster: RunningCluster, kind: FaultKind): Promise<Fault> {
  switch (kind) {
    case 'worker': {
      const supervised = pick(cluster.workers);
      return killChild(supervised, supervised.name);
    }
    case 'api': {
      const api = pick(cluster.apis);
      // Mid-request: wait (up to 20 s) for a moment when the load balancer has a request in flight to it.
      const busy = () => cluster.httpBalancer.inFlight(api.httpPort) + cluster.mllpBalancer.inFlight(api.mllpPort);
      const deadline = Date.now() + 20_000;
      while (busy() === 0 && Date.now() < deadline) await sleep(2);
      return killChild(api.supervised, `${api.supervised.name} (${busy()} requests in flight)`);
    }
    case 'history':
      return killChild(pick(cluster.temporal.filter((t) => t.name.includes('history'))));
    case 'matching':
      return killChild(cluster.temporal.find((t) => t.name.includes('matching'))!);
    case 'postgres': {
      const instance = cluster.postgres.current();
      if (!instance) throw new Error('Postgres is not running');
      // The whole server at once, as the OOM killer or a node failure takes it: postmaster and backends.
      const backends = childrenOf(instance.postmaster);
      const at = Date.now();
      for (const pid of [instance.postmaster, ...backends]) kill(pid);
      return fault(kind, `postgres (postmaster + ${backends.length} processes)`, at, cluster.postgres, instance);
    }
  }

  async function killChild<T extends Supervisable & { pid: number }>(supervised: Supervised<T>, target = supervised.name): Promise<Fault> {
    const instance = await supervised.up();
    const at = Date.now();
    kill(instance.pid);
    return fault(kind, target, at, supervised, instance);
  }
}
