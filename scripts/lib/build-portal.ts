/** Builds the Remix portal (`remix vite:build`) into build/ or the given folder; errors only on the console. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const REMIX_CLI = fileURLToPath(new URL('../../node_modules/@remix-run/dev/dist/cli.js', import.meta.url));

export function buildPortal(outDir?: string): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [REMIX_CLI, 'vite:build', '--logLevel', 'error'], {
      cwd: ROOT,
      env: outDir ? { ...process.env, SUIFANG_BUILD_DIR: outDir } : process.env,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    child.on('error', fail);
    child.on('exit', (code) => (code === 0 ? done() : fail(new Error(`portal build failed (code ${code})`))));
  });
}
