/**
 * docker-compose.yml must stay valid with no environment at all (every variable has a
 * default) and must define the deployment's services. Validation needs a Compose CLI
 * but no Docker engine; tests/support/compose.ts finds or installs one.
 */
import { fileURLToPath } from 'node:url';
import { describe, it, expect, beforeAll } from 'vitest';
import { ensureComposeCli, runCompose, type ComposeCli } from './support/compose.js';

const COMPOSE_FILE = fileURLToPath(new URL('../docker-compose.yml', import.meta.url));

describe('docker-compose.yml', () => {
  let cli: ComposeCli;

  // Installing docker-compose with apt-get can take minutes on a cold machine.
  beforeAll(async () => {
    cli = await ensureComposeCli();
  }, 600_000);

  it('validates with no environment set', async () => {
    const result = await runCompose(cli, COMPOSE_FILE, ['config', '-q']);
    expect(result.code, `${cli.label} config -q failed:\n${result.stderr}`).toBe(0);
  }, 120_000);

  it('defines the database, Temporal, its UI, the migrations, the worker and the web server', async () => {
    const result = await runCompose(cli, COMPOSE_FILE, ['config', '--services']);
    expect(result.code, `${cli.label} config --services failed:\n${result.stderr}`).toBe(0);
    const services = result.stdout.split('\n').map((line) => line.trim()).filter(Boolean);
    expect(services).toEqual(
      expect.arrayContaining(['postgres', 'temporal', 'temporal-ui', 'migrate', 'worker', 'web']),
    );
  }, 120_000);
});
