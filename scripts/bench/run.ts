/**
 * Running a benchmark: its main function with the stack torn down afterwards, on success, failure
 * or Ctrl-C, and a reaper for when even that cannot run; plus the bounded pool that drives the load.
 */
import { spawn } from 'node:child_process';
import { takeOverProcessEvent, Teardown } from '../lib/stack.js';
import { fmt } from './report.js';

/** What the benchmark started, stopped last-started first. */
export const teardown = new Teardown((msg) => console.error(`[bench] ${msg}`));

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

/** Ctrl-C and SIGTERM tear down in order; so do unhandled errors, after saying what they were. */
function installSignalHandlers(): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    takeOverProcessEvent(signal, () => {
      if (teardown.begun) return;
      console.error(`\n[bench] ${signal}: cleaning up…`);
      const started = Date.now();
      void teardown.run().finally(() => {
        console.error(`[bench] cleaned up in ${fmt((Date.now() - started) / 1000)} s`);
        process.exit(130);
      });
    });
  }
  // One unhandled error is expected while everything is being stopped (a query cut off by Ctrl-C).
  for (const event of ['unhandledRejection', 'uncaughtException'] as const) {
    takeOverProcessEvent(event, (err: unknown) => {
      const text = err instanceof Error ? err.message : String(err);
      if (teardown.begun) {
        console.error(`[bench] (during cleanup, ignored) ${event}: ${text}`);
        return;
      }
      console.error(`[bench] ${event}:`, err);
      void teardown.run().finally(() => process.exit(1));
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
    await teardown.run();
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
export function startReaper(tmpDir: string): void {
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
