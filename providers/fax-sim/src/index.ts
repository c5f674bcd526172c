import { readFileSync } from 'node:fs';
import { defineProvider } from '@spool/spi';
import { openFaxLogon } from './logon.js';
import { type FaxSimOptions, optionsSchema } from './options.js';

// package.json is read at run time, not inlined by the bundler: the runtime meta then always matches the
// installed package.json, also when its version was bumped after the build (`changeset version`), which the
// host would otherwise refuse as SPOOL_E_META_MISMATCH.
const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  readonly name: string;
  readonly version: string;
  readonly spool: { readonly spi: string; readonly addressTypes: readonly string[] };
};

export type { TransmissionLogEntry } from './logon.js';
export type { FaxPaper, FaxResolution, FaxSimOptions } from './options.js';
export type { FaxPreprocessInfo } from './preprocessor.js';

/**
 * The fax-sim provider's entry point. Name, version, SPI range and address types come from package.json,
 * so the runtime meta can never drift from the manifest the host checks first. pdfkit is not imported
 * here: it loads on the first render.
 */
export const xpProviderInit = defineProvider<FaxSimOptions>({
  name: manifest.name,
  version: manifest.version,
  spi: manifest.spool.spi,
  addressTypes: manifest.spool.addressTypes,
  displayName: 'Fax (simulated line)',
  optionsSchema,
  create: () => ({ transportLogon: openFaxLogon }),
});
