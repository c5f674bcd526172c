import { readFileSync } from 'node:fs';
import { defineProvider } from '@spool/spi';
import { openLoopbackLogon } from './logon.js';
import { type LoopbackOptions, optionsSchema } from './options.js';

// package.json is read at run time, not inlined by the bundler: the runtime meta then always matches the
// installed package.json, also when its version was bumped after the build (`changeset version`), which the
// host would otherwise refuse as SPOOL_E_META_MISMATCH.
const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  readonly name: string;
  readonly version: string;
  readonly spool: { readonly spi: string; readonly addressTypes: readonly string[] };
};

export type { LoopbackOptions } from './options.js';

/**
 * The loopback provider's entry point. Name, version, SPI range and address types come from package.json,
 * so the runtime meta can never drift from the manifest the host checks first.
 */
export const xpProviderInit = defineProvider<LoopbackOptions>({
  name: manifest.name,
  version: manifest.version,
  spi: manifest.spool.spi,
  addressTypes: manifest.spool.addressTypes,
  displayName: 'Loopback',
  optionsSchema,
  create: () => ({ transportLogon: openLoopbackLogon }),
});
