/**
 * Finds the Temporal CLI (whose `server start-dev` is the local Temporal server), building it
 * with Go when needed. Order: TEMPORAL_CLI, `temporal` on PATH, the per-user cache, a fresh
 * `go install` into that cache (outside the clone, so new clones on this machine reuse it).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { cacheRoot, goInstall, isExecutable, onPath } from './go-install.js';

export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';
/** Later tags carry a `replace` directive and cannot be `go install`ed by version. */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';

export function cachedCliPath(): string {
  return join(cacheRoot(), `temporal-cli-${TEMPORAL_CLI_VERSION}`, 'temporal');
}

export async function findOrBuildTemporalCli(log: (msg: string) => void = console.log): Promise<string> {
  const fromEnv = process.env.TEMPORAL_CLI;
  if (fromEnv) {
    if (!isExecutable(fromEnv)) throw new Error(`TEMPORAL_CLI=${fromEnv} is not an executable file`);
    return fromEnv;
  }
  const onSystem = onPath('temporal');
  if (onSystem) return onSystem;
  const cached = cachedCliPath();
  if (isExecutable(cached)) return cached;
  await goInstall({ pkg: TEMPORAL_CLI_MODULE, version: TEMPORAL_CLI_VERSION, binary: 'temporal', target: cached, what: 'the Temporal CLI', log });
  log(`[temporal] built ${execFileSync(cached, ['--version']).toString().trim()}`);
  return cached;
}
