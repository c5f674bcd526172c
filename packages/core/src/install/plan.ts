import { SpoolError } from '@spool/spi';
import { type ChosenVersion, chooseProviderVersion, type SkippedVersion } from './choose.js';
import { InstallErrorCode } from './errors.js';
import { fetchPackument, type NpmRegistryConfig, readNpmConfig } from './registry.js';
import { type ProviderSpec, parseProviderSpec } from './spec.js';

/** What {@link planProviderInstall} decided, from registry metadata only (nothing downloaded). */
export interface ProviderInstallPlan {
  /** The package name (a short name expanded). */
  readonly name: string;
  /** The exact version to install. */
  readonly version: string;
  /** The SPI version the host will negotiate with it. */
  readonly negotiatedSpi: string;
  /** Newer versions in the requested range that were passed over, and why. */
  readonly skipped: readonly SkippedVersion[];
  /** The manifest of the chosen version. */
  readonly manifest: ChosenVersion['manifest'];
  /** The range the user asked for (`latest` when none). */
  readonly requested: string;
  /** The registry the metadata came from. */
  readonly registry: string;
  readonly tarball: string | undefined;
  readonly integrity: string | undefined;
  /** The install lifecycle scripts the chosen version declares; they run only with `allowScripts`. */
  readonly installScripts: readonly string[];
}

/** Options of {@link planProviderInstall}. */
export interface PlanOptions {
  /** `name`, `name@range`, `name@tag` or a short name (`fax-sim`). */
  readonly spec: string;
  /** The SPI versions the host implements (`HOST_SPI_VERSIONS`). */
  readonly hostSpiVersions: readonly string[];
  /** Where npm's configuration is read (the profile directory). */
  readonly cwd: string;
  /** Environment for npm and `${VAR}` in .npmrc; default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  readonly includePrerelease?: boolean;
  readonly includeDeprecated?: boolean;
  /** The npm configuration to use instead of reading it (tests). */
  readonly npmConfig?: NpmRegistryConfig;
}

/**
 * Reads the registry's full metadata for the package (with the user's npm registry, scoped registries and
 * credentials) and picks the newest version in the requested range whose `spool.spi` accepts one of the
 * host's SPI versions. Downloads no tarball. Throws `SPOOL_E_PACKAGE_NOT_FOUND`, `SPOOL_E_SPI_MISMATCH`,
 * `SPOOL_E_VERSION_NOT_FOUND` or `SPOOL_E_NOT_A_PROVIDER`.
 */
export async function planProviderInstall(options: PlanOptions): Promise<ProviderInstallPlan> {
  return planFor(parseProviderSpec(options.spec), options);
}

async function planFor(spec: ProviderSpec, options: Omit<PlanOptions, 'spec'>): Promise<ProviderInstallPlan> {
  const config = options.npmConfig ?? (await readNpmConfig({ cwd: options.cwd, env: options.env }));
  const tried: { name: string; url: string }[] = [];
  for (const name of spec.names) {
    const { packument, registry, url } = await fetchPackument(name, config);
    if (packument === undefined) {
      tried.push({ name, url });
      continue;
    }
    const chosen = chooseProviderVersion(packument, {
      range: spec.range,
      hostSpiVersions: options.hostSpiVersions,
      includePrerelease: options.includePrerelease,
      includeDeprecated: options.includeDeprecated,
      registry,
    });
    return {
      name: chosen.name,
      version: chosen.version,
      negotiatedSpi: chosen.negotiatedSpi,
      skipped: chosen.skipped,
      manifest: chosen.manifest,
      requested: spec.range ?? 'latest',
      registry,
      tarball: chosen.tarball,
      integrity: chosen.integrity,
      installScripts: chosen.installScripts,
    };
  }
  const names = tried.map((entry) => entry.name).join(' or ');
  throw new SpoolError(
    InstallErrorCode.PACKAGE_NOT_FOUND,
    `No package ${names} on the registry (${tried.map((entry) => entry.url).join(', ')}).`,
    {
      hint:
        tried.length > 1
          ? `"${spec.raw}" is a short name; give the full package name if the provider is published under another.`
          : 'Check the name, and the registry your npm configuration points at (npm config get registry).',
      details: { spec: spec.raw, tried },
    },
  );
}

/** What {@link planProviderUpdate} decided. */
export interface ProviderUpdatePlan {
  readonly name: string;
  /** The installed version. */
  readonly installed: string;
  /** The install plan of the newer version, or `null` when nothing newer fits this host. */
  readonly plan: ProviderInstallPlan | null;
  /** Newer versions held back (SPI mismatch, deprecated, prerelease, not a provider), newest first. */
  readonly heldBack: readonly SkippedVersion[];
}

/** Options of {@link planProviderUpdate}. */
export interface UpdatePlanOptions extends Omit<PlanOptions, 'spec'> {
  /** The package name as installed. */
  readonly name: string;
  /** The installed version. */
  readonly installed: string;
  /** Limit the update to this range (default: any newer version the host accepts). */
  readonly range?: string;
}

/**
 * Plans an update that stays inside what the host accepts: the newest version above the installed one whose
 * SPI range the host implements; newer versions it had to pass over are reported in `heldBack`.
 */
export async function planProviderUpdate(options: UpdatePlanOptions): Promise<ProviderUpdatePlan> {
  const range = `>${options.installed}${options.range === undefined ? '' : ` ${options.range}`}`;
  try {
    const spec = { raw: `${options.name}@${range}`, names: [options.name], range };
    const plan = await planFor(spec, options);
    return { name: plan.name, installed: options.installed, plan, heldBack: plan.skipped };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (
      error instanceof SpoolError &&
      (code === InstallErrorCode.SPI_MISMATCH ||
        code === InstallErrorCode.VERSION_NOT_FOUND ||
        code === InstallErrorCode.NOT_A_PROVIDER)
    ) {
      const candidates = (error.details.candidates ?? []) as SkippedVersion[];
      return { name: options.name, installed: options.installed, plan: null, heldBack: candidates };
    }
    throw error;
  }
}
