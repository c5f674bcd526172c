import { defineProvider } from '@spool/spi';
import manifest from '../package.json' with { type: 'json' };
import { openFaxLogon } from './logon.js';
import { type FaxSimOptions, optionsSchema } from './options.js';

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
