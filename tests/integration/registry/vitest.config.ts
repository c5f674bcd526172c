import { defineConfig } from 'vitest/config';

// Runs the registry tests on their own (`pnpm exec vitest run --config registry/vitest.config.ts` in
// tests/integration), with one Verdaccio for the run. The package's own config includes only test/**, so
// wiring these into `pnpm test` needs `registry/**/*.test.ts` and `globalSetup: ['registry/global-setup.ts']` there.
export default defineConfig({
  test: {
    name: '@spool/integration-tests/registry',
    root: import.meta.dirname,
    include: ['**/*.test.ts'],
    pool: 'forks',
    testTimeout: 20_000,
    hookTimeout: 60_000,
    globalSetup: ['global-setup.ts'],
  },
});
