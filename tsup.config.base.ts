import { defineConfig, type Options } from 'tsup';

/**
 * The one build config every package re-exports (changesets does the same with its root config).
 * ESM only, Node 22 target, declarations beside the code. A package that bundles a build-time-only
 * dependency (providers bundle `@spool/spi`) passes it in `noExternal`.
 */
export function packageConfig(overrides: Options = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm'],
    target: 'node22',
    platform: 'node',
    dts: true,
    sourcemap: true,
    clean: true,
    splitting: false,
    treeshake: true,
    // Keep `node:` specifiers: some builtins (node:sqlite) exist only under the prefix.
    removeNodeProtocol: false,
    ...overrides,
  });
}
