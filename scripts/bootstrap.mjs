#!/usr/bin/env node
// Plain JavaScript on purpose: it runs before node_modules exists. Installs dependencies when
// they are missing or older than package-lock.json, then hands over to scripts/start.ts (or the
// .ts script named on the command line: start:cluster). `--install-only` stops after the install (npm test uses it).
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
process.chdir(root);

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  console.error(`Node ${process.versions.node} is too old: install Node 20.19 or newer (22 works too).`);
  process.exit(1);
}

const marker = 'node_modules/.package-lock.json';
const stale = !existsSync(marker) || statSync('package-lock.json').mtimeMs > statSync(marker).mtimeMs;
if (stale) {
  // `npm install` with the committed lock file, not `npm ci`: the lock file has no entries for other
  // platforms' optional binaries (@swc/core-darwin-…, @rollup/rollup-win32-…), which `npm ci` rejects.
  console.log('[bootstrap] npm install (dependencies missing or out of date)…');
  const result = spawnSync('npm', ['install', '--no-audit', '--no-fund'], { stdio: 'inherit' });
  if (result.status !== 0) {
    console.error('[bootstrap] npm install failed; see the messages above.');
    process.exit(result.status ?? 1);
  }
}
if (process.argv.includes('--install-only')) process.exit(0);

// Local settings (see .env.example); the environment wins over the file.
if (existsSync('.env')) process.loadEnvFile('.env');

const script = process.argv.slice(2).find((arg) => arg.endsWith('.ts')) ?? 'scripts/start.ts';
const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: 'inherit' });
// The terminal's Ctrl-C reaches the whole process group; start.ts does the orderly stop.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
