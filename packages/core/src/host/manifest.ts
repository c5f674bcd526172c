import { MANIFEST_KEY, type ProviderManifest } from '@spool/spi';
import { ErrorCode, spoolError } from '../errors.js';
import type { ResolvedPackage } from './resolve.js';
import { isValidRange } from './spi-range.js';

/** The shape every address type must have: `TYPE` in `TYPE:rest`. */
export const ADDRESS_TYPE_PATTERN = /^[A-Za-z][A-Za-z0-9-]*$/;

/**
 * Reads and checks the `"spool"` manifest of a resolved package. Runs no provider code: this is what lets
 * the host refuse an incompatible provider before importing it.
 */
export function readManifest(pkg: ResolvedPackage): ProviderManifest {
  const raw = pkg.packageJson[MANIFEST_KEY];
  const version = String(pkg.packageJson.version ?? '0.0.0');
  const problem = (what: string) =>
    spoolError(
      ErrorCode.BAD_MANIFEST,
      `${pkg.name}@${version} (${pkg.dir}) has an invalid "spool" manifest in package.json: ${what}`,
      `A provider's package.json needs "spool": { "spi": "^1.0.0", "addressTypes": ["TYPE"] } (and optionally "entry"). If it is not a spool provider, remove it from the profile.`,
      { provider: pkg.name, version, path: pkg.dir },
    );
  if (raw === undefined) throw problem('the "spool" key is missing (is this a spool provider?)');
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw problem('"spool" must be an object');
  const { spi, addressTypes, entry } = raw as Record<string, unknown>;
  if (typeof spi !== 'string' || !isValidRange(spi)) {
    throw problem(`"spool.spi" must be a semver range, got ${JSON.stringify(spi)}`);
  }
  if (
    !Array.isArray(addressTypes) ||
    !addressTypes.every((t): t is string => typeof t === 'string' && ADDRESS_TYPE_PATTERN.test(t))
  ) {
    throw problem(
      `"spool.addressTypes" must be an array of address types like "SMTP", got ${JSON.stringify(addressTypes)}`,
    );
  }
  if (entry !== undefined && typeof entry !== 'string') {
    throw problem(`"spool.entry" must be a path string, got ${JSON.stringify(entry)}`);
  }
  return {
    spi,
    addressTypes: addressTypes.map((t) => t.toUpperCase()),
    ...(entry === undefined ? {} : { entry }),
  };
}
