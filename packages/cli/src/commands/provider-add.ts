import { HOST_SPI_VERSIONS, normalizeProfile } from '@spool/core';
import {
  type InstallMode,
  installProvider,
  type PackageManager,
  planProviderInstall,
  type SkippedVersion,
} from '@spool/core/install';
import { SpoolError } from '@spool/spi';
import type { Command } from '../context.js';
import { CliErrorCode, ExitCode } from '../errors.js';
import { loadCliProfile } from '../host.js';
import { addProviderEntry, assertProfileEditable } from '../profile-edit.js';
import {
  type DaemonReload,
  entryNamesPackage,
  notifyDaemonReload,
  reportDaemonReload,
  type TrialLoad,
  trialLoad,
} from './provider-common.js';

/** What `spool provider add --json` prints. */
export interface AddReport {
  /** The profile file. */
  readonly file: string;
  /** The id of the profile entry that loads the provider (new, or the one that already named it). */
  readonly id: string;
  /** False when the profile already had an entry for this package (it now loads the installed copy). */
  readonly entryAdded: boolean;
  readonly name: string;
  readonly version: string;
  /** What the user asked for (`latest` when no range was given). */
  readonly requested: string;
  readonly registry: string;
  readonly spiRange: string;
  readonly spiVersion: string;
  readonly addressTypes: readonly string[];
  /** Newer versions in the requested range that were passed over, newest first, and why. */
  readonly skipped: readonly SkippedVersion[];
  /** `project`: into the profile's package with its package manager; `managed`: into `.spool/providers`. */
  readonly mode: InstallMode;
  readonly packageManager: PackageManager;
  /** The directory whose package.json records the dependency. */
  readonly dir: string;
  readonly packageDir: string;
  /** The install scripts the version declares, and whether they ran (only with --allow-scripts). */
  readonly installScripts: { readonly names: readonly string[]; readonly ran: boolean };
  readonly warnings: readonly string[];
  /** What asking a running daemon to reload came to; `null` when none runs. */
  readonly daemon: DaemonReload;
}

/**
 * `spool provider add <name>[@range]`: reads the registry's full metadata, picks the newest version in the
 * range whose SPI range this host accepts (refusing with SPOOL_E_SPI_MISMATCH before any download when none
 * does), installs exactly that version (install scripts off unless --allow-scripts), loads it through the
 * real loader (rolling the install back if that fails), then adds it to the profile.
 */
export const providerAdd: Command = async (context) => {
  const { args, options, out, env } = context;
  const profile = await loadCliProfile(context);
  const file = profile.file!;
  const allowScripts = options.allowScripts;

  const plan = await planProviderInstall({
    spec: args[0]!,
    hostSpiVersions: HOST_SPI_VERSIONS,
    cwd: profile.dir,
    env,
  });

  // Decide about the profile before installing anything: an existing entry for the package is reused, a new
  // one must be writable and must not take an id already used.
  const existing = profile.providers.find((entry) => entryNamesPackage(entry, plan.name));
  const newEntry = { provider: plan.name, ...(options.id ? { id: options.id } : {}) };
  // The manifest's address types go into the entry: should it fail to load later, its mail still waits.
  const written = { ...newEntry, addressTypes: plan.manifest.addressTypes };
  if (!existing) {
    assertProfileEditable(file, written);
    const id = normalizeProfile({ providers: [newEntry] }, { file, dir: profile.dir, env }).providers[0]!.id;
    const taken = profile.providers.find((entry) => entry.id === id);
    if (taken) {
      throw new SpoolError(
        CliErrorCode.ALREADY_LINKED,
        `${file}: entry id "${id}" is taken by ${taken.keyPath} (${taken.provider})`,
        {
          hint: `Pass --id <another-id> to give the new entry its own id: spool provider add ${args[0]} --id ${id}-2`,
          details: { file, id },
        },
      );
    }
  }

  if (!options.json) {
    out.line(
      `${plan.name}: chose ${plan.version} (SPI ${plan.manifest.spi} → ${plan.negotiatedSpi}) for "${plan.requested}" from ${plan.registry}`,
    );
    for (const skipped of plan.skipped) out.line(`  skipped ${skipped.reason}`);
  }

  let trial: TrialLoad | undefined;
  const result = await installProvider({
    plan,
    profileDir: profile.dir,
    allowScripts,
    env,
    verify: async () => {
      trial = await trialLoad(context, profile, existing ? { provider: plan.name } : newEntry);
    },
  });

  const warnings: string[] = [...(trial?.warnings ?? [])];
  if (plan.installScripts.length > 0 && !allowScripts) {
    warnings.push(
      `${plan.name}@${plan.version} declares install scripts (${plan.installScripts.join(', ')}) that did not run; if it needs them, run \`spool provider add ${args[0]} --allow-scripts\``,
    );
  }
  if (trial?.packageDir !== undefined && trial.packageDir !== result.packageDir) {
    warnings.push(
      `the loader resolves ${plan.name} to ${trial.packageDir}, not to the copy just installed in ${result.packageDir}; \`spool provider doctor\` shows the copies`,
    );
  }
  if (!existing) await addProviderEntry(file, written);
  const daemon = await notifyDaemonReload(profile);

  const report: AddReport = {
    file,
    id: existing?.id ?? trial?.id ?? plan.name,
    entryAdded: !existing,
    name: plan.name,
    version: plan.version,
    requested: plan.requested,
    registry: plan.registry,
    spiRange: plan.manifest.spi,
    spiVersion: plan.negotiatedSpi,
    addressTypes: plan.manifest.addressTypes,
    skipped: plan.skipped,
    mode: result.mode,
    packageManager: result.packageManager,
    dir: result.dir,
    packageDir: result.packageDir,
    installScripts: { names: plan.installScripts, ran: allowScripts && plan.installScripts.length > 0 },
    warnings,
    daemon,
  };
  if (options.json) {
    out.json(report);
    reportDaemonReload(context, daemon);
    return ExitCode.OK;
  }
  for (const warning of warnings) out.warn(warning);
  const scripts =
    plan.installScripts.length === 0
      ? 'no install scripts'
      : allowScripts
        ? 'install scripts ran'
        : 'install scripts not run';
  out.line(
    `${out.style.green('installed')} ${plan.name}@${plan.version} into ${result.dir} (${result.mode}, ${result.packageManager}, ${scripts})`,
  );
  out.line(
    existing
      ? `the profile entry "${existing.id}" (${existing.keyPath}) now loads it`
      : `added "${report.id}" to ${file} (address types ${plan.manifest.addressTypes.join(', ')})`,
  );
  reportDaemonReload(context, daemon);
  return ExitCode.OK;
};
