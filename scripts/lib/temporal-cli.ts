/**
 * Finds the Temporal CLI (whose `server start-dev` is the local Temporal server), building it
 * with Go when needed. Order: TEMPORAL_CLI, `temporal` on PATH, the per-user cache, a fresh
 * `go install` into that cache (outside the clone, so new clones on this machine reuse it).
 */
import { execFileSync, spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';
/** Later tags carry a `replace` directive and cannot be `go install`ed by version. */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';

export function cacheRoot(): string {
  return process.env.SUIFANG_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'suifang');
}

export function cachedCliPath(): string {
  return join(cacheRoot(), `temporal-cli-${TEMPORAL_CLI_VERSION}`, 'temporal');
}

const isExecutable = (path: string) => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

function onPath(name: string, extraDirs: string[] = []): string | null {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), ...extraDirs].filter(Boolean);
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
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

  const go = onPath('go', ['/usr/local/go/bin', join(homedir(), 'go', 'bin')]);
  if (!go) {
    throw new Error(
      'The Temporal CLI was not found and Go is not installed to build it.\n' +
        `Install Go (https://go.dev/dl/) so it can be built with "go install ${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}",\n` +
        'or install the Temporal CLI and put "temporal" on PATH, or set TEMPORAL_CLI to its path.',
    );
  }
  log(`[temporal] building the Temporal CLI ${TEMPORAL_CLI_VERSION} with Go (first time only, a few minutes) into ${cached}`);
  // Build into a private folder, then rename: a concurrent build (npm start beside npm test) never sees half a binary.
  const staging = `${cached}.build-${process.pid}`;
  mkdirSync(staging, { recursive: true });
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(go, ['install', `${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}`], {
        env: { ...process.env, GOBIN: staging, GOFLAGS: process.env.GOFLAGS ?? '-mod=mod', CGO_ENABLED: '0' },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`go install exited with code ${code}`))));
    });
    mkdirSync(join(cached, '..'), { recursive: true });
    renameSync(join(staging, 'temporal'), cached);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  if (!existsSync(cached)) throw new Error(`go install finished but ${cached} is missing`);
  log(`[temporal] built ${execFileSync(cached, ['--version']).toString().trim()}`);
  return cached;
}
