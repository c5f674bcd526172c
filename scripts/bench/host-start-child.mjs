// Child process for bench (1a): measures, inside a fresh process, from `import('@spool/core')` (dist) to
// three light providers logged on, and prints the figures as JSON.
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { CORE_DIST, CORE_INTERNAL_DIST, FIXTURE_DIR, LIGHT_PROVIDERS } from './lib.mjs';

const t0 = performance.now();
// The provider host is in @spool/core/internal; both entries share their chunks, so this loads what one did.
const [{ normalizeProfile }, { ProviderHost }] = await Promise.all([
  import(pathToFileURL(CORE_DIST).href),
  import(pathToFileURL(CORE_INTERNAL_DIST).href),
]);
const t1 = performance.now();
const profile = normalizeProfile({ providers: LIGHT_PROVIDERS }, { dir: FIXTURE_DIR, env: {} });
const host = await ProviderHost.start({ profile, strict: true, logSink: () => {} });
const t2 = performance.now();
if (host.logons().length !== LIGHT_PROVIDERS.length) throw new Error('not every light provider logged on');
await host.stop();
process.stdout.write(JSON.stringify({ importMs: t1 - t0, startMs: t2 - t1, totalMs: t2 - t0 }));
