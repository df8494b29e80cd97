import { defineConfig } from 'vitest/config';

// `npm run test:cluster` (.ci/run runs it after npm test): the cluster mode's smoke test. It brings up
// its own cluster (the real Temporal server, built from Go modules on first use), so it has no
// global setup and runs alone; too slow for npm test's budget on a fresh machine.
export default defineConfig({
  test: {
    include: ['tests/cluster/**/*.smoke.ts'],
    pool: 'forks',
    testTimeout: 300_000,
    hookTimeout: 2_400_000,
  },
});
