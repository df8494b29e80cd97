/**
 * Debian's Chromium for the browser tests. Playwright's own browser download does not work in
 * our CI containers, so playwright-core drives the distribution package instead: found at
 * /usr/bin/chromium, or (as root on Debian) installed with apt-get; otherwise we say what to install.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

const INSTALL_HINT =
  `Chromium is needed for the browser tests but ${CHROMIUM_PATH} is missing. ` +
  'Install Debian\'s package as root: `apt-get install chromium` ' +
  '(e.g. `sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium`).';

interface RunResult {
  code: number | null;
  output: string;
}

/** Runs a command without a shell; a missing binary resolves with code null instead of throwing. */
function run(command: string, args: string[], timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
    });
    let output = '';
    const collect = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8000));
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', (err) => resolve({ code: null, output: output + String(err) }));
    child.on('close', (code) => resolve({ code, output }));
  });
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** dpkg's view of the package: true/false, or undefined where there is no dpkg. */
async function dpkgSaysInstalled(): Promise<boolean | undefined> {
  const result = await run('dpkg-query', ['-W', '-f=${Status}', 'chromium'], 30_000);
  if (result.code === null) return undefined;
  return result.code === 0 && result.output.includes('install ok installed');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** apt/dpkg is busy (another process installing, perhaps Chromium itself). */
const isLockError = (output: string) => /Could not get lock|Unable to acquire the dpkg frontend lock|is locked by another process|Unable to lock/i.test(output);

/** True once Chromium is present and, where dpkg knows it, fully installed (not half unpacked by a concurrent apt-get). */
async function chromiumReady(): Promise<boolean> {
  if (!isExecutable(CHROMIUM_PATH)) return false;
  return (await dpkgSaysInstalled()) !== false;
}

/**
 * The path of Debian's Chromium. Installs the `chromium` package when it is missing and we are
 * root (waiting out an apt lock held by another installer); otherwise throws saying what to install.
 */
export async function ensureChromium(): Promise<string> {
  if (await chromiumReady()) return CHROMIUM_PATH;

  const isRoot = process.getuid?.() === 0;
  const hasApt = (await run('apt-get', ['--version'], 30_000)).code === 0;
  if (!isRoot || !hasApt) {
    if (isExecutable(CHROMIUM_PATH)) return CHROMIUM_PATH; // present, dpkg just disagrees; try it
    throw new Error(INSTALL_HINT);
  }

  const deadline = Date.now() + 15 * 60_000;
  let last: RunResult;
  for (;;) {
    last = await run(
      'sh',
      ['-c', 'apt-get update && apt-get install -y --no-install-recommends chromium'],
      10 * 60_000,
    );
    if (last.code === 0 && isExecutable(CHROMIUM_PATH)) return CHROMIUM_PATH;
    // Someone else may be installing it right now: wait for their apt-get to finish, then retry.
    if (await chromiumReady()) return CHROMIUM_PATH;
    if (!isLockError(last.output) || Date.now() > deadline) break;
    await sleep(5_000);
  }
  throw new Error(`Installing Chromium with apt-get failed (exit ${last.code}). ${INSTALL_HINT}\n${last.output.slice(-2000)}`);
}

/** A headless Chromium driven by playwright-core, with the network chatter of a fresh profile turned off. */
export async function launchBrowser(): Promise<Browser> {
  const executablePath = await ensureChromium();
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}
