/**
 * Starts the real services the integration and browser tests talk to: a project-local Postgres
 * and a Temporal dev server (CLI found or built like `npm start` does), both on free ports so a
 * running `npm start` is not disturbed. Also bundles the workflows and builds the portal once.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { migrate } from '../db/migrate.js';
import { buildPortal } from '../scripts/lib/build-portal.js';
import { startEmbeddedPostgres } from '../scripts/lib/embedded-postgres.js';
import { findOrBuildTemporalCli } from '../scripts/lib/temporal-cli.js';
import { startTemporalDevServer } from '../scripts/lib/temporal-dev-server.js';
import { WORKFLOWS_PATH } from '../worker/create-worker.js';
import { freePort } from '../scripts/lib/free-port.js';

export interface TestInfra {
  databaseUrl: string;
  temporalAddress: string;
  workflowBundlePath: string;
  /** The portal built for this run (never the build/ a running npm start serves). */
  webBuildDir: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    infra: TestInfra;
  }
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const quietLogger = { info() {}, warn() {}, error: console.error, debug() {}, trace() {}, log() {} };

export default async function setup(project: TestProject) {
  const started = Date.now();
  const tmp = mkdtempSync(join(tmpdir(), 'suifang-test-'));
  // The Postgres server runs as the `postgres` user, which must be able to enter this folder.
  chmodSync(tmp, 0o755);
  const [pgPort, temporalPort, cli] = await Promise.all([freePort(), freePort(), findOrBuildTemporalCli()]);

  const starting = [
    startEmbeddedPostgres({ dataDir: join(tmp, 'pg'), port: pgPort, database: 'suifang_test' }),
    startTemporalDevServer({ cli, port: temporalPort, uiPort: null, namespace: 'default', logFile: join(tmp, 'temporal.log') }),
  ] as const;
  const teardown = async () => {
    const [pg, temporal] = await Promise.allSettled(starting);
    if (temporal.status === 'fulfilled') await temporal.value.stop();
    if (pg.status === 'fulfilled') await pg.value.stop();
    rmSync(tmp, { recursive: true, force: true });
    rmSync(webBuildDir, { recursive: true, force: true });
  };

  const workflowBundlePath = join(tmp, 'workflow-bundle.js');
  // Inside the project (its server bundle resolves react & co. from node_modules), per run.
  const webBuildDir = join(ROOT, '.cache', `test-build-${process.pid}`);
  let databaseUrl: string;
  let temporalAddress: string;
  try {
    const [pg, temporal, bundle] = await Promise.all([
      ...starting,
      bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger }),
      buildPortal(webBuildDir),
    ]);
    await migrate(pg.url);
    writeFileSync(workflowBundlePath, bundle.code);
    databaseUrl = pg.url;
    temporalAddress = temporal.address;
  } catch (err) {
    await teardown();
    throw err;
  }

  project.provide('infra', { databaseUrl, temporalAddress, workflowBundlePath, webBuildDir });
  console.log(`[tests] Postgres :${pgPort}, Temporal :${temporalPort}, workflows bundled, portal built in ${Date.now() - started} ms`);

  return teardown;
}
