/**
 * Finds (or, as root on Debian, installs) a Docker Compose CLI that can validate
 * docker-compose.yml. `config` only parses and interpolates the file, so no Docker
 * engine is needed: the Compose v2 plugin and Debian's docker-compose 1.29 both work.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ComposeCli {
  /** Human-readable name for messages, e.g. "docker compose". */
  label: string;
  command: string;
  /** Arguments that come before any Compose arguments (`compose` for the v2 plugin). */
  prefix: string[];
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const PLUGIN: ComposeCli = { label: 'docker compose', command: 'docker', prefix: ['compose'] };
const STANDALONE: ComposeCli = { label: 'docker-compose', command: 'docker-compose', prefix: [] };

/** Runs a command without a shell; a missing binary resolves with code null instead of throwing. */
export function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (err) => resolve({ code: null, stdout, stderr: stderr + String(err) }));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function works(cli: ComposeCli): Promise<boolean> {
  const result = await run(cli.command, [...cli.prefix, 'version'], { timeoutMs: 30_000 });
  return result.code === 0;
}

/** The first working Compose CLI, preferring the v2 plugin; undefined when there is none. */
export async function findComposeCli(): Promise<ComposeCli | undefined> {
  for (const cli of [PLUGIN, STANDALONE]) {
    if (await works(cli)) return cli;
  }
  return undefined;
}

/**
 * A working Compose CLI. When none is installed and we are root (CI containers),
 * installs Debian's `docker-compose` package; otherwise throws saying what to install.
 */
export async function ensureComposeCli(): Promise<ComposeCli> {
  const found = await findComposeCli();
  if (found) return found;

  const isRoot = process.getuid?.() === 0;
  const hasApt = (await run('apt-get', ['--version'])).code === 0;
  if (!isRoot || !hasApt) {
    throw new Error(
      'No Docker Compose CLI found to validate docker-compose.yml. Install the Compose v2 plugin ' +
        '(package docker-compose-plugin, giving `docker compose`) or, on Debian/Ubuntu, ' +
        '`sudo apt-get install -y docker-compose`. No Docker engine is needed.',
    );
  }

  const install = await run('sh', ['-c', 'apt-get update && apt-get install -y --no-install-recommends docker-compose'], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    timeoutMs: 540_000,
  });
  if (install.code !== 0 || !(await works(STANDALONE))) {
    throw new Error(`Installing docker-compose with apt-get failed (exit ${install.code}):\n${install.stderr.slice(-2000)}`);
  }
  return STANDALONE;
}

/**
 * Runs a Compose subcommand against one file with an empty environment file and only
 * PATH/HOME from the environment, so the result is what a fresh machine would get.
 */
export async function runCompose(cli: ComposeCli, file: string, args: string[]): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'compose-env-'));
  const emptyEnvFile = join(dir, 'empty.env');
  writeFileSync(emptyEnvFile, '');
  // NODE_ENV is kept only because Remix's typings make it a required ProcessEnv key.
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: process.env.NODE_ENV };
  try {
    return await run(cli.command, [...cli.prefix, '--env-file', emptyEnvFile, '-f', file, ...args], {
      env,
      timeoutMs: 60_000,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
