/**
 * Vitest global setup: one Verdaccio per test run, shared by every registry test file.
 * Wire it in the integration package's vitest config: `test: { globalSetup: ['registry/global-setup.ts'] }`.
 * Tests read it with `inject('spoolRegistry')` (see {@link useRegistry} in `./use-registry.ts`).
 */
import type { TestProject } from 'vitest/node';
import './provided.js';
import { type RegistryInfo, startRegistry } from './verdaccio.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const registry = await startRegistry();
  const info: RegistryInfo = {
    url: registry.url,
    npmrc: registry.npmrc,
    logFile: registry.logFile,
    dir: registry.dir,
  };
  project.provide('spoolRegistry', info);
  process.env.SPOOL_TEST_REGISTRY_URL = registry.url;
  process.env.SPOOL_TEST_REGISTRY_NPMRC = registry.npmrc;
  console.log(`[registry] Verdaccio on ${registry.url} (started in ${registry.startMs} ms)`);
  return async () => {
    await registry.stop();
  };
}
