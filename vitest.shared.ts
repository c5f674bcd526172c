import { defineProject } from 'vitest/config';

/**
 * The test settings every workspace package shares; each package's vitest.config.ts calls this with its name.
 * Tests run in forked processes (providers and the store open real files and sockets), with generous but
 * finite timeouts: a hang fails the test instead of stalling CI.
 */
export function packageTestConfig(
  name: string,
  extra: { testTimeout?: number; globalSetup?: string[] } = {},
) {
  return defineProject({
    test: {
      name,
      include: extra.include ?? ['test/**/*.test.ts'],
      pool: 'forks',
      testTimeout: extra.testTimeout ?? 20_000,
      hookTimeout: 60_000,
      ...(extra.globalSetup ? { globalSetup: extra.globalSetup } : {}),
    },
  });
}
