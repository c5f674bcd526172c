import { defineProvider } from '@spool/spi';
import manifest from '../package.json' with { type: 'json' };
import { openSmtpLogon } from './logon.js';
import { optionsSchema, type SmtpOptions } from './options.js';

export { SmtpErrorCode } from './errors.js';
export type {
  SmtpAuthOptions,
  SmtpDkimOptions,
  SmtpListenOptions,
  SmtpListenUser,
  SmtpOptions,
  SmtpTlsOptions,
} from './options.js';
export type { MimeInfo } from './preprocessor.js';

/**
 * The SMTP provider's entry point. Name, version, SPI range and address types come from package.json, so the
 * runtime meta can never drift from the manifest the host checks first. Importing this module loads none of
 * nodemailer, smtp-server or mailparser; they are imported on first use.
 */
export const xpProviderInit = defineProvider<SmtpOptions>({
  name: manifest.name,
  version: manifest.version,
  spi: manifest.spool.spi,
  addressTypes: manifest.spool.addressTypes,
  displayName: 'SMTP',
  optionsSchema,
  create: () => ({ transportLogon: openSmtpLogon }),
});
