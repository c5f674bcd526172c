import { defineProvider } from '@spool/spi';
import manifest from '../package.json' with { type: 'json' };
import { openLoopbackLogon } from './logon.js';
import { type LoopbackOptions, optionsSchema } from './options.js';

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
