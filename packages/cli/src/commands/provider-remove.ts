import { findInstalledProvider, type InstallMode, removeProvider } from '@spool/core/install';
import { isPathSpec, resolveProviderPackage } from '@spool/core/internal';
import { builtinProviders } from '../builtins.js';
import type { Command } from '../context.js';
import { ExitCode } from '../errors.js';
import { loadCliProfile } from '../host.js';
import { removeProviderEntry } from '../profile-edit.js';
import {
  type DaemonReload,
  entryIndex,
  entryNamesPackage,
  findProfileEntry,
  notifyDaemonReload,
  reportDaemonReload,
} from './provider-common.js';

/** What `spool provider remove --json` prints. */
export interface RemoveReport {
  readonly file: string;
  /** The id of the removed entry. */
  readonly id: string;
  /** What the entry's `provider` said. */
  readonly provider: string;
  /** The package uninstalled, or `null` when nothing was (built-in, linked folder, or still used by another entry). */
  readonly uninstalled: {
    readonly name: string;
    readonly version: string;
    readonly mode: InstallMode;
    readonly dir: string;
  } | null;
  readonly daemon: DaemonReload;
}

/**
 * `spool provider remove <name>`: uninstalls the package when `provider add` installed it (in the project or
 * the managed directory) and no other entry still names it, then removes the entry from the profile. The
 * uninstall goes first: if it fails, the profile still describes what is installed.
 */
export const providerRemove: Command = async (context) => {
  const { args, options, out, env } = context;
  const profile = await loadCliProfile(context);
  const file = profile.file!;
  const entry = findProfileEntry(profile, args[0]!);

  let name: string | undefined;
  if (!isPathSpec(entry.provider)) {
    try {
      name = resolveProviderPackage(entry.provider, {
        profileDir: profile.dir,
        builtins: builtinProviders(),
      }).name;
    } catch {
      // Not installed anywhere: there is nothing to uninstall, only the entry to remove.
    }
  }
  const sharedWith = profile.providers.filter(
    (other) => other !== entry && name !== undefined && entryNamesPackage(other, name),
  );
  let uninstalled: RemoveReport['uninstalled'] = null;
  if (name !== undefined && sharedWith.length === 0 && (await findInstalledProvider(name, profile.dir))) {
    const removed = await removeProvider({ name, profileDir: profile.dir, env });
    uninstalled = { name, ...removed };
  }
  await removeProviderEntry(file, entryIndex(entry), `${entry.keyPath} (${entry.provider})`);
  const daemon = await notifyDaemonReload(profile);

  const report: RemoveReport = { file, id: entry.id, provider: entry.provider, uninstalled, daemon };
  if (options.json) {
    out.json(report);
    reportDaemonReload(context, daemon);
    return ExitCode.OK;
  }
  if (uninstalled)
    out.line(
      `${out.style.green('uninstalled')} ${uninstalled.name}@${uninstalled.version} from ${uninstalled.dir} (${uninstalled.mode})`,
    );
  else if (sharedWith.length > 0)
    out.line(`kept ${name} installed: ${sharedWith.map((other) => `"${other.id}"`).join(', ')} still use it`);
  out.line(`removed "${entry.id}" (${entry.provider}) from ${file}`);
  reportDaemonReload(context, daemon);
  return ExitCode.OK;
};
