import { defineConfig } from 'vitest/config';

// One run over every workspace package; each package also runs alone with its own `pnpm test`.
export default defineConfig({
  test: {
    projects: ['packages/*', 'providers/*', 'tests/*'],
  },
});
