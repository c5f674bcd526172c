import { ADDRESS_TYPE_PATTERN, isAddressType, MANIFEST_KEY, type ProviderManifest } from '@spool/spi';
import { ErrorCode, spoolError } from '../errors.js';
import type { ResolvedPackage } from './resolve.js';
import { isValidRange } from './spi-range.js';

/** Re-exported for the modules that imported it from here; the rule itself lives in `@spool/spi`. */
export { ADDRESS_TYPE_PATTERN };

/**
 * Checks a raw `"spool"` manifest value: the manifest, or what is wrong with it. One rule for both callers —
 * the loader (which throws `SPOOL_E_BAD_MANIFEST`) and `provider add` reading registry metadata (which skips
 * the version) — so `provider add` never installs a version the loader would then refuse.
 */
export function parseManifest(raw: unknown): ProviderManifest | { readonly problem: string } {
  if (raw === undefined) return { problem: 'the "spool" key is missing (is this a spool provider?)' };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return { problem: '"spool" must be an object' };
  const { spi, addressTypes, entry } = raw as Record<string, unknown>;
  if (typeof spi !== 'string' || !isValidRange(spi)) {
    return { problem: `"spool.spi" must be a semver range, got ${JSON.stringify(spi)}` };
  }
  if (!Array.isArray(addressTypes) || !addressTypes.every(isAddressType)) {
    return {
      problem: `"spool.addressTypes" must be an array of address types like "SMTP", got ${JSON.stringify(addressTypes)}`,
    };
  }
  if (entry !== undefined && typeof entry !== 'string') {
    return { problem: `"spool.entry" must be a path string, got ${JSON.stringify(entry)}` };
  }
  return {
    spi,
    addressTypes: addressTypes.map((t) => t.toUpperCase()),
    ...(entry === undefined ? {} : { entry }),
  };
}

/**
 * Reads and checks the `"spool"` manifest of a resolved package. Runs no provider code: this is what lets
 * the host refuse an incompatible provider before importing it.
 */
export function readManifest(pkg: ResolvedPackage): ProviderManifest {
  const version = String(pkg.packageJson.version ?? '0.0.0');
  const manifest = parseManifest(pkg.packageJson[MANIFEST_KEY]);
  if (!('problem' in manifest)) return manifest;
  throw spoolError(
    ErrorCode.BAD_MANIFEST,
    `${pkg.name}@${version} (${pkg.dir}) has an invalid "spool" manifest in package.json: ${manifest.problem}`,
    `A provider's package.json needs "spool": { "spi": "^1.0.0", "addressTypes": ["TYPE"] } (and optionally "entry"). If it is not a spool provider, remove it from the profile.`,
    { provider: pkg.name, version, path: pkg.dir },
  );
}
