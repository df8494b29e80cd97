import { defineConfig } from 'vitest/config';

// One real Postgres and one real Temporal dev server for the whole run (tests/global-setup.ts),
// on free ports; test files isolate themselves with unique IDs and task queues.
export default defineConfig({
  test: {
    include: ['**/*.test.ts', 'tests/e2e/**/*.spec.ts'],
    exclude: ['node_modules/**', 'build/**', '.data/**'],
    globalSetup: ['tests/global-setup.ts'],
    // Temporal workers run out of memory in worker threads; forks are separate processes.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 60_000,
    hookTimeout: 240_000,
  },
});
