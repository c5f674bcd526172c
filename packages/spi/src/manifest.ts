/**
 * The `"spool"` block of a provider's package.json: the whole run-time compatibility contract.
 *
 * Who reads it: the host, before it imports any provider code, and `spool provider add`, from registry
 * metadata before it downloads a tarball. The keys are fixed public contract.
 *
 * @example
 * ```json
 * { "keywords": ["spool-provider"],
 *   "spool": { "spi": "^1.0.0", "addressTypes": ["FAX"], "entry": "./dist/index.js" } }
 * ```
 */
export interface ProviderManifest {
  /** The semver range of SPI versions the provider works with, e.g. `^1.0.0`. */
  readonly spi: string;
  /** The address types the provider claims by default (upper-case, e.g. `SMTP`, `FAX`). */
  readonly addressTypes: readonly string[];
  /** The module that exports `xpProviderInit`, relative to the package; defaults to the package's main export. */
  readonly entry?: string;
}

/** The package.json key that holds the {@link ProviderManifest}. */
export const MANIFEST_KEY = 'spool';

/** The package.json keyword every provider package carries, so registries and `provider add` can find it. */
export const PROVIDER_KEYWORD = 'spool-provider';

/** The name of the export of the entry module that the host calls (the `XPProviderInit` analogue). */
export const PROVIDER_INIT_EXPORT = 'xpProviderInit';
