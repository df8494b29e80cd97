/**
 * Starts the real services the integration and browser tests talk to: a project-local Postgres
 * and a Temporal dev server (CLI found or built like `npm start` does), both on free ports so a
 * running `npm start` is not disturbed. Also bundles the workflows and builds the portal once.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { ensureApplicationLogin } from '../db/app-role.js';
import { buildPortal, makeTempDir, ROOT, runMigrations, startThrowawayServers, Teardown, writeWorkflowBundle } from '../scripts/lib/stack.js';

export interface TestInfra {
  /** The owner's connection: migrations, and tests arranging data as a DBA would. */
  databaseUrl: string;
  /** The application's connection (a role owning no table, db/app-role.ts): what the services use. */
  appDatabaseUrl: string;
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

export default async function setup(project: TestProject) {
  const started = Date.now();
  const teardown = new Teardown();
  const tmp = makeTempDir('suifang-test-');
  // Inside the project (its server bundle resolves react & co. from node_modules), per run.
  const webBuildDir = join(ROOT, '.cache', `test-build-${process.pid}`);
  teardown.add('temp folder', () => rmSync(tmp, { recursive: true, force: true }));
  teardown.add('portal build', () => rmSync(webBuildDir, { recursive: true, force: true }));

  let infra: TestInfra;
  try {
    const [{ postgres, temporal }, workflowBundlePath] = await Promise.all([
      startThrowawayServers({ dir: tmp, database: 'suifang_test', teardown }),
      writeWorkflowBundle(join(tmp, 'workflow-bundle.js')),
      buildPortal(webBuildDir),
    ]);
    await runMigrations(postgres.url);
    const appDatabaseUrl = await ensureApplicationLogin(postgres.url);
    infra = { databaseUrl: postgres.url, appDatabaseUrl, temporalAddress: temporal.address, workflowBundlePath, webBuildDir };
    console.log(`[tests] Postgres :${postgres.port}, Temporal :${temporal.port}, workflows bundled, portal built in ${Date.now() - started} ms`);
  } catch (err) {
    await teardown.run();
    throw err;
  }

  project.provide('infra', infra);
  return () => teardown.run();
}
