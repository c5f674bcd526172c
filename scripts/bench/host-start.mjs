// `node scripts/bench/host-start.mjs <profile.json>`: a cold process that loads a JSON profile
// (loadProfile) and logs on its providers, then exits. Bench (1b) times the whole process.
import { pathToFileURL } from 'node:url';
import { CORE_DIST, CORE_INTERNAL_DIST } from './lib.mjs';

const file = process.argv[2];
if (!file) throw new Error('usage: node scripts/bench/host-start.mjs <profile.json>');
// The provider host is in @spool/core/internal; both entries share their chunks, so this loads what one did.
const [{ loadProfile }, { ProviderHost }] = await Promise.all([
  import(pathToFileURL(CORE_DIST).href),
  import(pathToFileURL(CORE_INTERNAL_DIST).href),
]);
const profile = await loadProfile({ file });
const host = await ProviderHost.start({ profile, strict: true, logSink: () => {} });
if (host.logons().length !== profile.providers.length) throw new Error('not every provider logged on');
await host.stop();
