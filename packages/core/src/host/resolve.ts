import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { ErrorCode, spoolError } from '../errors.js';
import { closestName } from '../util/closest-name.js';

/** Where a provider package was found. */
export type ProviderSource = 'path' | 'installed' | 'managed' | 'builtin';

/** A provider package located on disk, before any of its code runs. */
export interface ResolvedPackage {
  /** What the profile said (`fax-sim`, `@acme/x`, `./my-provider`). */
  readonly spec: string;
  /** The package name from its package.json. */
  readonly name: string;
  /** The package directory. */
  readonly dir: string;
  /** How it was found. */
  readonly source: ProviderSource;
  /** The parsed package.json. */
  readonly packageJson: Readonly<Record<string, unknown>>;
  /** Other copies of the same package that this one shadows (later in the search order). */
  readonly shadowed: readonly { readonly dir: string; readonly source: ProviderSource }[];
}

/** What the resolver needs to know besides the spec. */
export interface ResolveOptions {
  /** The directory of the profile file: providers resolve from here, never from core's own location. */
  readonly profileDir: string;
  /** Providers that ship with the CLI: package name → package directory. Installed copies override them. */
  readonly builtins?: Readonly<Record<string, string>>;
  /** Where this resolution is asked for, for error messages (e.g. `spool.config.yaml: providers[1]`). */
  readonly where?: string;
  /**
   * Shared by the resolutions of one host start (see {@link newResolveCache}): the folders on the way up are
   * the same for every entry, so each is looked at once, not once per entry.
   */
  readonly cache?: ResolveCache;
  /** What kind of package is resolved: how short names expand and what messages call it (default: providers). */
  readonly family?: PackageFamily;
}

/**
 * A kind of package the host loads from the profile's directory (providers, store packages): how its short
 * names expand, what errors call it and how to install one. Resolution is otherwise the same for every family.
 */
export interface PackageFamily {
  /** What messages call one: `provider`, `store`. */
  readonly noun: string;
  /** The scoped prefix a short name expands to first: `@spool/provider-`. */
  readonly scopedPrefix: string;
  /** The unscoped prefix it expands to next: `spool-provider-`. */
  readonly prefix: string;
  /** The fix when nothing of that name is installed. */
  readonly installHint: (spec: string) => string;
  /** The fix when a path spec holds no package.json. */
  readonly pathHint: string;
}

/** Transport provider packages: `fax-sim` → `@spool/provider-fax-sim`, `spool-provider-fax-sim`, `fax-sim`. */
export const PROVIDER_PACKAGES: PackageFamily = {
  noun: 'provider',
  scopedPrefix: '@spool/provider-',
  prefix: 'spool-provider-',
  installHint: (spec) => `Install it: spool provider add ${spec}`,
  pathHint:
    'Point the profile at the provider folder that holds its package.json, relative to the profile file.',
};

/** Which `node_modules` folders exist, per profile directory; valid for one batch of resolutions. */
export type ResolveCache = Map<string, readonly string[]>;

/** A cache for resolutions done together. Not kept longer: a later `spool provider add` may create folders. */
export function newResolveCache(): ResolveCache {
  return new Map();
}

/** The managed install directory next to a profile (`spool provider add` outside a package). */
export function managedNodeModules(profileDir: string): string {
  return join(profileDir, '.spool', 'providers', 'node_modules');
}

/** True when `spec` names a folder rather than a package. */
export function isPathSpec(spec: string): boolean {
  return spec.startsWith('./') || spec.startsWith('../') || spec === '.' || isAbsolute(spec);
}

/**
 * The package names a provider spec may mean, in the order they are tried. Short names expand the way
 * ESLint's do: `fax-sim` → `@spool/provider-fax-sim`, `spool-provider-fax-sim`, then `fax-sim` itself.
 */
export function candidateNames(spec: string, family: PackageFamily = PROVIDER_PACKAGES): string[] {
  if (spec.startsWith('@') || spec.startsWith(family.prefix)) return [spec];
  return [`${family.scopedPrefix}${spec}`, `${family.prefix}${spec}`, spec];
}

/** The `node_modules` folders searched, nearest first, then the managed directory. */
export function searchDirs(profileDir: string): string[] {
  const dirs: string[] = [];
  let dir = resolve(profileDir);
  for (;;) {
    if (basename(dir) !== 'node_modules') dirs.push(join(dir, 'node_modules'));
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  dirs.push(managedNodeModules(profileDir));
  return dirs;
}

function readPackageJson(dir: string): Record<string, unknown> | undefined {
  const file = join(dir, 'package.json');
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
}

/**
 * Finds a provider package (or another family's: `options.family`) named in the profile, reading only
 * package.json files. Resolution starts at the profile's directory and walks up through `node_modules`
 * folders like Node does, then the managed directory, then the built-ins; the first hit wins and later hits
 * are recorded as shadowed.
 */
export function resolveProviderPackage(spec: string, options: ResolveOptions): ResolvedPackage {
  const where = options.where ?? options.profileDir;
  const family = options.family ?? PROVIDER_PACKAGES;
  if (isPathSpec(spec)) {
    const dir = resolve(options.profileDir, spec);
    const packageJson = readPackageJson(dir);
    if (!packageJson) {
      throw spoolError(
        ErrorCode.NOT_INSTALLED,
        `${family.noun} "${spec}" (${where}) is not a package: no package.json in ${dir}`,
        family.pathHint,
        { spec, looked: [dir] },
      );
    }
    return { spec, name: String(packageJson.name ?? spec), dir, source: 'path', packageJson, shadowed: [] };
  }

  const hits: { dir: string; source: ProviderSource; name: string; packageJson: Record<string, unknown> }[] =
    [];
  const managed = managedNodeModules(options.profileDir);
  const names = candidateNames(spec, family);
  // Most folders on the way up have no node_modules: look once, not once per candidate name (or per entry).
  let bases = options.cache?.get(options.profileDir);
  if (!bases) {
    bases = searchDirs(options.profileDir).filter((base) => existsSync(base));
    options.cache?.set(options.profileDir, bases);
  }
  for (const name of names) {
    for (const base of bases) {
      const dir = join(base, name);
      const packageJson = readPackageJson(dir);
      if (packageJson)
        hits.push({ dir, source: base === managed ? 'managed' : 'installed', name, packageJson });
    }
    const builtin = options.builtins?.[name];
    if (builtin) {
      const packageJson = readPackageJson(builtin);
      if (packageJson) hits.push({ dir: builtin, source: 'builtin', name, packageJson });
    }
    if (hits.length > 0) break;
  }

  const [first, ...rest] = hits;
  if (!first) {
    const known = knownNames(options, family);
    const suggestion = closestName(spec, known);
    const install = family.installHint(spec);
    throw spoolError(
      ErrorCode.NOT_INSTALLED,
      `${family.noun} "${spec}" (${where}) is not installed: looked for ${names.join(', ')} in ${searchDirs(options.profileDir).join(', ')}${options.builtins ? ` and the built-in ${family.noun}s` : ''}`,
      suggestion
        ? `Did you mean "${suggestion}"? Otherwise ${install.charAt(0).toLowerCase()}${install.slice(1)}`
        : install,
      { spec, candidates: names, looked: searchDirs(options.profileDir), suggestion: suggestion ?? null },
    );
  }
  return {
    spec,
    name: first.name,
    dir: first.dir,
    source: first.source,
    packageJson: first.packageJson,
    shadowed: rest.map(({ dir, source }) => ({ dir, source })),
  };
}

/** Package names of the family visible from the profile, for "did you mean". Reads directory names only. */
function knownNames(options: ResolveOptions, family: PackageFamily): string[] {
  const names = new Set<string>();
  const [scope, scopedRest] = splitScope(family.scopedPrefix);
  const addShort = (name: string) => {
    names.add(name);
    const short = name.startsWith(family.scopedPrefix) ? name.slice(family.scopedPrefix.length) : name;
    names.add(short.startsWith(family.prefix) ? short.slice(family.prefix.length) : short);
  };
  for (const name of Object.keys(options.builtins ?? {})) addShort(name);
  for (const base of searchDirs(options.profileDir)) {
    if (!existsSync(base)) continue;
    for (const entry of readdirSync(base)) {
      if (entry.startsWith(family.prefix)) addShort(entry);
      if (entry === scope && existsSync(join(base, entry))) {
        for (const scoped of readdirSync(join(base, entry))) {
          if (scoped.startsWith(scopedRest)) addShort(`${scope}/${scoped}`);
        }
      }
    }
  }
  return [...names];
}

/** `@spool/provider-` → [`@spool`, `provider-`]. */
function splitScope(scopedPrefix: string): [string, string] {
  const slash = scopedPrefix.indexOf('/');
  return [scopedPrefix.slice(0, slash), scopedPrefix.slice(slash + 1)];
}
