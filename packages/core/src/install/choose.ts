import { MANIFEST_KEY, type ProviderManifest, SpoolError } from '@spool/spi';
import semver from 'semver';
import { parseManifest } from '../host/manifest.js';
import { maxSatisfying } from '../host/spi-range.js';
import { InstallErrorCode } from './errors.js';

/** One version's document in a full packument (only the fields `provider add` reads). */
export interface PackumentVersion {
  readonly name?: string;
  readonly version?: string;
  readonly deprecated?: unknown;
  readonly keywords?: unknown;
  readonly spool?: unknown;
  /** The version's package.json scripts (install scripts are reported, and run only when allowed). */
  readonly scripts?: unknown;
  readonly dist?: { readonly tarball?: string; readonly integrity?: string };
}

/** A full (not abbreviated) packument: `GET <registry>/<name>`; abbreviated ones lack `spool`. */
export interface Packument {
  readonly name: string;
  readonly 'dist-tags'?: Readonly<Record<string, string>>;
  readonly versions: Readonly<Record<string, PackumentVersion>>;
}

/** A version newer than the chosen one that was passed over, and why. */
export interface SkippedVersion {
  readonly version: string;
  /** Its `spool.spi` range, or `null` when it has no valid manifest. */
  readonly spi: string | null;
  /** Why, in words: `2.0.0 needs SPI ^2.0.0 but this host implements 1.0.0`. */
  readonly reason: string;
  /** Machine-readable reason. */
  readonly kind: 'spi' | 'not-a-provider' | 'deprecated' | 'prerelease';
}

/** Options of {@link chooseProviderVersion}. */
export interface ChooseOptions {
  /** The user's range (or dist-tag); `undefined` or `latest` means any version. */
  readonly range?: string | undefined;
  /** The SPI versions the host implements. */
  readonly hostSpiVersions: readonly string[];
  /** Consider prereleases too. Default false (a range or tag naming a prerelease still matches it). */
  readonly includePrerelease?: boolean;
  /** Consider deprecated versions too. Default false. */
  readonly includeDeprecated?: boolean;
  /** The registry URL, for error messages. */
  readonly registry?: string;
}

/** The version {@link chooseProviderVersion} picked. */
export interface ChosenVersion {
  readonly name: string;
  readonly version: string;
  /** The SPI version the host will offer it: `maxSatisfying(hostSpiVersions, manifest.spi)`. */
  readonly negotiatedSpi: string;
  readonly manifest: ProviderManifest;
  /** Newer versions in the requested range that were passed over, newest first. */
  readonly skipped: readonly SkippedVersion[];
  /** The range actually applied (a dist-tag resolved to its version). */
  readonly range: string;
  readonly tarball: string | undefined;
  readonly integrity: string | undefined;
  /** The install lifecycle scripts the version declares (`preinstall`, `install`, `postinstall`), by name. */
  readonly installScripts: readonly string[];
}

/** The lifecycle scripts a package manager runs on install that `doc` declares, in the order they run. */
export function installScriptsOf(doc: PackumentVersion): string[] {
  const scripts = doc.scripts;
  if (typeof scripts !== 'object' || scripts === null) return [];
  return ['preinstall', 'install', 'postinstall'].filter(
    (name) => typeof (scripts as Record<string, unknown>)[name] === 'string',
  );
}

/** Reads and validates the `"spool"` manifest of one version document (the loader's own rule); `undefined` when absent or invalid. */
export function readManifest(doc: PackumentVersion): ProviderManifest | undefined {
  const manifest = parseManifest(doc[MANIFEST_KEY]);
  return 'problem' in manifest ? undefined : manifest;
}

/** The SPI version the loader would negotiate for `range`, or `null` when the host implements none of it. */
export function negotiateSpi(hostSpiVersions: readonly string[], range: string): string | null {
  return maxSatisfying(hostSpiVersions, range);
}

function deprecation(doc: PackumentVersion): string | undefined {
  // npm marks an undeprecated version with an empty string.
  return typeof doc.deprecated === 'string' && doc.deprecated !== '' ? doc.deprecated : undefined;
}

/** The SPI version a host would need for `range`: its lowest `MAJOR.MINOR.0`. */
function spiNeeded(range: string): string | undefined {
  const min = semver.minVersion(range);
  return min === null ? undefined : `${min.major}.${min.minor}.0`;
}

/**
 * Picks the newest version (semver order) that is in the user's range, is not a prerelease or deprecated
 * (unless allowed), carries a valid `"spool"` manifest, and whose `spool.spi` accepts one of the host's SPI
 * versions. Pure: reads only the packument. Throws `SPOOL_E_SPI_MISMATCH`, `SPOOL_E_NOT_A_PROVIDER` or
 * `SPOOL_E_VERSION_NOT_FOUND` when nothing fits, naming every candidate and the fix.
 */
export function chooseProviderVersion(packument: Packument, options: ChooseOptions): ChosenVersion {
  const host = options.hostSpiVersions;
  const hostText = host.join(', ');
  const name = packument.name;
  const requested = options.range ?? 'latest';
  let range = options.range === undefined || options.range === 'latest' ? '*' : options.range;
  let includePrerelease = options.includePrerelease ?? false;
  const tags = packument['dist-tags'] ?? {};
  if (
    options.range !== undefined &&
    options.range !== 'latest' &&
    semver.validRange(options.range) === null
  ) {
    const tagged = tags[options.range];
    if (tagged === undefined) {
      throw new SpoolError(
        InstallErrorCode.VERSION_NOT_FOUND,
        `${name} has no dist-tag "${options.range}" (tags: ${Object.keys(tags).join(', ') || 'none'}).`,
        { hint: `Use a version range, e.g. ${name}@^1.`, details: { name, range: options.range, tags } },
      );
    }
    range = tagged;
    if (semver.prerelease(tagged) !== null) includePrerelease = true;
  }

  const all = Object.keys(packument.versions)
    .filter((version) => semver.valid(version) !== null)
    .sort(semver.rcompare);
  // Candidates: the versions in the user's range (prereleases too, so they can be reported).
  const inRange = all.filter((version) => semver.satisfies(version, range, { includePrerelease: true }));

  const skipped: SkippedVersion[] = [];
  for (const version of inRange) {
    const doc = packument.versions[version]!;
    const manifest = readManifest(doc);
    const spi = manifest?.spi ?? null;
    if (semver.prerelease(version) !== null && !includePrerelease && !semver.satisfies(version, range)) {
      skipped.push({ version, spi, kind: 'prerelease', reason: `${version} is a prerelease` });
      continue;
    }
    const deprecated = deprecation(doc);
    if (deprecated !== undefined && !(options.includeDeprecated ?? false)) {
      skipped.push({ version, spi, kind: 'deprecated', reason: `${version} is deprecated: ${deprecated}` });
      continue;
    }
    if (manifest === undefined) {
      skipped.push({
        version,
        spi,
        kind: 'not-a-provider',
        reason: `${version} is not a spool provider (no valid "${MANIFEST_KEY}" manifest)`,
      });
      continue;
    }
    const negotiated = negotiateSpi(host, manifest.spi);
    if (negotiated === null) {
      skipped.push({
        version,
        spi,
        kind: 'spi',
        reason: `${version} needs SPI ${manifest.spi} but this host implements ${hostText}`,
      });
      continue;
    }
    return {
      name,
      version,
      negotiatedSpi: negotiated,
      manifest,
      skipped,
      range,
      tarball: doc.dist?.tarball,
      integrity: doc.dist?.integrity,
      installScripts: installScriptsOf(doc),
    };
  }
  throw noneFits(packument, { requested, range, host, inRange, skipped, registry: options.registry });
}

interface NoneFits {
  readonly requested: string;
  readonly range: string;
  readonly host: readonly string[];
  readonly inRange: readonly string[];
  readonly skipped: readonly SkippedVersion[];
  readonly registry: string | undefined;
}

function noneFits(packument: Packument, facts: NoneFits): SpoolError {
  const { name } = packument;
  const { requested, host, skipped } = facts;
  const hostText = host.join(', ');
  const candidates = skipped.map((entry) => ({ ...entry }));
  const details = {
    name,
    range: requested,
    hostSpiVersions: [...host],
    candidates,
    registry: facts.registry,
  };

  // Which published version (in any range, not deprecated, not a prerelease) would fit this host?
  let fitting: string | undefined;
  for (const version of Object.keys(packument.versions)
    .filter((v) => semver.valid(v) !== null && semver.prerelease(v) === null)
    .sort(semver.rcompare)) {
    const doc = packument.versions[version]!;
    const manifest = readManifest(doc);
    if (
      manifest !== undefined &&
      deprecation(doc) === undefined &&
      negotiateSpi(host, manifest.spi) !== null
    ) {
      fitting = version;
      break;
    }
  }

  if (
    facts.inRange.length === 0 ||
    skipped.every((entry) => entry.kind === 'prerelease' || entry.kind === 'deprecated')
  ) {
    const only = skipped.length === 0 ? '' : ` (only ${skipped.map((entry) => entry.reason).join('; ')})`;
    return new SpoolError(
      InstallErrorCode.VERSION_NOT_FOUND,
      `${name} has no published version matching "${requested}"${only}.`,
      {
        hint:
          fitting === undefined
            ? `Published versions: ${Object.keys(packument.versions).join(', ') || 'none'}.`
            : `${name}@${fitting} fits this host: spool provider add ${name}@${fitting}`,
        details: { ...details, fitting },
      },
    );
  }
  if (skipped.every((entry) => entry.kind !== 'spi')) {
    return new SpoolError(
      InstallErrorCode.NOT_A_PROVIDER,
      `${name}@${requested} is not a spool provider: no version in range has a valid "${MANIFEST_KEY}" manifest in its package.json.`,
      {
        hint: 'A provider package declares "spool": { "spi": "^1.0.0", "addressTypes": [...] } and the keyword spool-provider. Check the package name.',
        details,
      },
    );
  }

  const list = skipped.map(
    (entry) =>
      `  ${entry.version}: SPI ${entry.spi ?? '(none)'}${entry.kind === 'spi' ? '' : ` (${entry.reason})`}`,
  );
  const wanted = skipped.find((entry) => entry.kind === 'spi')!;
  const needed = wanted.spi === null ? undefined : spiNeeded(wanted.spi);
  const newest = [...host].sort(semver.rcompare)[0];
  let hostFix: string;
  if (needed === undefined || newest === undefined)
    hostFix = 'use a @spool/cli whose host implements a matching SPI version';
  else if (semver.gt(needed, newest)) hostFix = `upgrade @spool/cli to a version implementing SPI ${needed}`;
  else hostFix = `use an older @spool/cli that still implements SPI ${needed}`;
  const fixes = [
    fitting === undefined
      ? undefined
      : `install ${name}@${fitting}, which fits this host (spool provider add ${name}@${fitting})`,
    hostFix,
  ].filter((fix): fix is string => fix !== undefined);
  return new SpoolError(
    InstallErrorCode.SPI_MISMATCH,
    [
      `No version of ${name} matching "${requested}" works with this host.`,
      `This host implements SPI ${hostText}; the candidates need:`,
      ...list,
      `Fix: ${fixes.join('; or ')}.`,
    ].join('\n'),
    {
      hint: `${fixes.join('; or ')}.`.replace(/^./, (c) => c.toUpperCase()),
      details: { ...details, fitting, spiNeeded: needed },
    },
  );
}
