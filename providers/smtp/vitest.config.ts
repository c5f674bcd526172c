import { defineProject } from 'vitest/config';

// A config of its own, so `pnpm test` here runs only this package (vitest would otherwise pick up the
// root workspace config); the root run includes it as one of its projects.
export default defineProject({
  test: {
    name: '@spool/provider-smtp',
    include: ['test/**/*.test.ts'],
  },
});
