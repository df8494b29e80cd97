/**
 * Building a Go program once with `go install module@version` into the per-user cache
 * (~/.cache/suifang, outside the clone, so every clone on the machine reuses it): the Temporal
 * CLI, the Temporal server and its schema tool, the Temporal UI server.
 */
import { accessSync, constants, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { spawn, execFileSync } from 'node:child_process';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';

export function cacheRoot(): string {
  return process.env.SUIFANG_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'suifang');
}

export const isExecutable = (path: string) => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

export function onPath(name: string, extraDirs: string[] = []): string | null {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), ...extraDirs].filter(Boolean);
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

export const findGo = () => onPath('go', ['/usr/local/go/bin', join(homedir(), 'go', 'bin')]);

function runGo(go: string, args: string[], env: Record<string, string>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const child = spawn(go, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`go ${args.join(' ')} exited with code ${code}`))));
  });
}

/**
 * `go install <pkg>@<version>` into a private folder, then renamed to `target`: a concurrent build
 * (npm start beside npm test) never sees half a binary. `binary` is the name go gives it (the
 * package's last path element). Throws with a hint when Go is missing.
 */
export async function goInstall(o: { pkg: string; version: string; binary: string; target: string; what: string; log: (msg: string) => void }): Promise<string> {
  const go = findGo();
  if (!go) {
    throw new Error(`${o.what} is not built yet and Go is not installed to build it: install Go (https://go.dev/dl/) so "go install ${o.pkg}@${o.version}" can run.`);
  }
  o.log(`[go] building ${o.what} ${o.version} with Go (first time only, a few minutes) into ${o.target}`);
  const started = Date.now();
  const staging = `${o.target}.build-${process.pid}`;
  mkdirSync(staging, { recursive: true });
  try {
    await runGo(go, ['install', `${o.pkg}@${o.version}`], { GOBIN: staging, GOFLAGS: process.env.GOFLAGS ?? '-mod=mod', CGO_ENABLED: '0' });
    mkdirSync(dirname(o.target), { recursive: true });
    renameSync(join(staging, o.binary), o.target);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  if (!existsSync(o.target)) throw new Error(`go install finished but ${o.target} is missing`);
  o.log(`[go] built ${o.what} in ${Math.round((Date.now() - started) / 1000)} s`);
  return o.target;
}

/** The folder of a module in Go's module cache, downloading it when it is not there. */
export function goModuleDir(module: string, version: string): string {
  const go = findGo();
  if (!go) throw new Error(`Go is needed to find ${module}@${version}`);
  const out = execFileSync(go, ['mod', 'download', '-json', `${module}@${version}`], {
    env: { ...process.env, GOFLAGS: process.env.GOFLAGS ?? '-mod=mod' },
    // Outside any Go module: `go mod download` of an explicit version needs no go.mod.
    cwd: homedir(),
  }).toString();
  const dir = (JSON.parse(out) as { Dir?: string; Error?: string }).Dir;
  if (!dir) throw new Error(`go mod download ${module}@${version}: ${out}`);
  return dir;
}
