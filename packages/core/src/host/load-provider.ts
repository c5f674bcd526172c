import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  PROVIDER_INIT_EXPORT,
  type ProviderManifest,
  type TransportProvider,
  type XPProviderInit,
} from '@spool/spi';
import { exports as resolveExports } from 'resolve.exports';
import { ErrorCode, messageOf, spoolError } from '../errors.js';
import { readManifest } from './manifest.js';
import { negotiateSpiVersion } from './negotiate.js';
import { type ResolvedPackage, type ResolveOptions, resolveProviderPackage } from './resolve.js';

/** A provider module found, checked and imported — not yet initialised. */
export interface ImportedProvider {
  readonly package: ResolvedPackage;
  readonly manifest: ProviderManifest;
  /** The package version. */
  readonly version: string;
  /** The SPI version negotiated for it. */
  readonly spiVersion: string;
  /** True when the profile forced loading outside the manifest's SPI range. */
  readonly spiOverride: boolean;
  /** The entry module file. */
  readonly entryFile: string;
  /** Its `xpProviderInit` export. */
  readonly xpProviderInit: XPProviderInit;
}

/** The package facts the loader needs besides where to resolve from. */
export interface ImportOptions extends ResolveOptions {
  readonly hostSpiVersions: readonly string[];
  /** Load even if the SPI range excludes every host version (the profile's `ignoreSpiRange`). */
  readonly ignoreSpiRange?: boolean;
  /**
   * Told the manifest as soon as it is read, before anything that can refuse the package: a host keeps the
   * address types of an entry that then fails (SPI mismatch, import error), so its mail waits instead of bouncing.
   */
  readonly onManifest?: (manifest: ProviderManifest) => void;
}

/** The entry module: the manifest's `entry`, else the package's main export (`exports["."]`, then `main`). */
export function entryFileOf(pkg: ResolvedPackage, manifest: ProviderManifest): string {
  if (manifest.entry) return resolve(pkg.dir, manifest.entry);
  const json = pkg.packageJson as { name: string; exports?: unknown } as Parameters<typeof resolveExports>[0];
  // Without an exports map resolve.exports has nothing to resolve (it returns undefined): go straight to main.
  if (pkg.packageJson.exports !== undefined) {
    try {
      const first =
        resolveExports(json, '.', { conditions: ['node', 'import'], unsafe: false })?.[0] ??
        resolveExports(json, '.', { require: true })?.[0];
      if (first) return resolve(pkg.dir, first);
    } catch {
      // An exports map without "." falls through to main, and then to the no-entry error.
    }
  }
  return resolve(pkg.dir, typeof pkg.packageJson.main === 'string' ? pkg.packageJson.main : 'index.js');
}

/**
 * XPProviderInit-style loading, in the order that keeps provider code from running too early:
 * resolve the package from the profile's directory, read its manifest, negotiate the SPI version (refusing
 * before any import), then import the entry (ESM or CommonJS) and check it exports `xpProviderInit`.
 */
export async function importProvider(spec: string, options: ImportOptions): Promise<ImportedProvider> {
  const pkg = resolveProviderPackage(spec, options);
  const manifest = readManifest(pkg);
  options.onManifest?.(manifest);
  const version = String(pkg.packageJson.version ?? '0.0.0');
  let spiVersion: string;
  let spiOverride = false;
  try {
    spiVersion = negotiateSpiVersion(
      { name: pkg.name, version, dir: pkg.dir, range: manifest.spi },
      options.hostSpiVersions,
    );
  } catch (error) {
    if (!options.ignoreSpiRange) throw error;
    spiVersion = options.hostSpiVersions.at(-1)!;
    spiOverride = true;
  }

  const entryFile = entryFileOf(pkg, manifest);
  const noEntry = (what: string) =>
    spoolError(
      ErrorCode.NO_ENTRY,
      `${pkg.name}@${version} (${pkg.dir}) ${what}`,
      `The provider must export "${PROVIDER_INIT_EXPORT}" from ${manifest.entry ? '"spool.entry"' : 'its main export'}; build it if dist/ is missing, or fix "spool.entry" in its package.json.`,
      { provider: pkg.name, version, path: pkg.dir, entry: entryFile },
    );
  if (!existsSync(entryFile)) throw noEntry(`has no entry module: ${entryFile} does not exist`);

  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(entryFile).href)) as Record<string, unknown>;
  } catch (error) {
    throw importFailed(pkg, version, entryFile, error);
  }

  // CommonJS providers may arrive as { default: { xpProviderInit } } when named exports were not detected.
  const fromDefault = (module.default as Record<string, unknown> | undefined)?.[PROVIDER_INIT_EXPORT];
  const init = module[PROVIDER_INIT_EXPORT] ?? fromDefault;
  if (init === undefined) throw noEntry(`does not export "${PROVIDER_INIT_EXPORT}" from ${entryFile}`);
  if (typeof init !== 'function') {
    throw spoolError(
      ErrorCode.BAD_SHAPE,
      `${pkg.name}@${version}: "${PROVIDER_INIT_EXPORT}" in ${entryFile} is a ${typeof init}, not a function`,
      'Export the function returned by defineProvider() as xpProviderInit.',
      { provider: pkg.name, version, path: pkg.dir, entry: entryFile },
    );
  }
  return {
    package: pkg,
    manifest,
    version,
    spiVersion,
    spiOverride,
    entryFile,
    xpProviderInit: init as XPProviderInit,
  };
}

// Kept out of importProvider(): V8 compiles a function on its first call, and every host start calls that one.
function importFailed(pkg: ResolvedPackage, version: string, entryFile: string, error: unknown) {
  const code = (error as { code?: unknown } | null)?.code;
  const kind =
    error instanceof SyntaxError
      ? 'a syntax error'
      : code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND'
        ? 'a missing dependency'
        : 'an error thrown while the module loaded';
  return spoolError(
    ErrorCode.IMPORT_FAILED,
    `${pkg.name}@${version} is installed at ${pkg.dir} but failed to import (${kind}): ${messageOf(error)}`,
    kind === 'a missing dependency'
      ? `Reinstall the provider so its dependencies are present (spool provider add ${pkg.name}), or report the missing dependency to its author.`
      : `Fix ${entryFile} or report it to the provider's author; the cause is attached.`,
    { provider: pkg.name, version, path: pkg.dir, entry: entryFile, kind },
    error,
  );
}

/**
 * Checks what `xpProviderInit` returned: a provider object whose runtime meta agrees with the manifest the
 * host negotiated on (SPI range and default address types, plus name and version).
 */
export function checkProviderObject(imported: ImportedProvider, provider: unknown): TransportProvider {
  const { package: pkg, version, manifest } = imported;
  const shape = (what: string) =>
    spoolError(
      ErrorCode.BAD_SHAPE,
      `${pkg.name}@${version} (${pkg.dir}): ${PROVIDER_INIT_EXPORT}() returned ${what}`,
      'xpProviderInit must return a provider object with meta, transportLogon() and shutdown(); defineProvider() builds one.',
      { provider: pkg.name, version, path: pkg.dir },
    );
  if (typeof provider !== 'object' || provider === null) throw shape(String(provider));
  const candidate = provider as Partial<TransportProvider>;
  if (typeof candidate.transportLogon !== 'function') throw shape('an object without transportLogon()');
  if (typeof candidate.meta !== 'object' || candidate.meta === null)
    throw shape('an object without runtime meta');
  const meta = candidate.meta;
  const sortTypes = (types: readonly string[]) =>
    [...types]
      .map((t) => t.toUpperCase())
      .sort()
      .join(',');
  const disagreements: string[] = [];
  if (meta.spi !== manifest.spi)
    disagreements.push(`SPI range: manifest "${manifest.spi}", runtime "${meta.spi}"`);
  if (
    !Array.isArray(meta.addressTypes) ||
    sortTypes(meta.addressTypes) !== sortTypes(manifest.addressTypes)
  ) {
    disagreements.push(
      `address types: manifest [${manifest.addressTypes.join(', ')}], runtime [${meta.addressTypes?.join(', ')}]`,
    );
  }
  if (meta.name !== pkg.name) disagreements.push(`name: package.json "${pkg.name}", runtime "${meta.name}"`);
  if (meta.version !== version)
    disagreements.push(`version: package.json "${version}", runtime "${meta.version}"`);
  if (disagreements.length > 0) {
    throw spoolError(
      ErrorCode.META_MISMATCH,
      `${pkg.name}@${version} (${pkg.dir}): the runtime meta disagrees with package.json — ${disagreements.join('; ')}`,
      'Rebuild the provider (a stale dist/ is the usual cause), and feed defineProvider() from package.json so they cannot drift.',
      { provider: pkg.name, version, path: pkg.dir, disagreements },
    );
  }
  return candidate as TransportProvider;
}
