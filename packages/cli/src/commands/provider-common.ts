import { ErrorCode, normalizeProfile, type Profile, type ProviderEntryConfig } from '@spool/core';
import { candidateNames, isPathSpec, ProviderHost } from '@spool/core/internal';
import { isSpoolError, SpoolError } from '@spool/spi';
import type { CommandContext } from '../context.js';
import { findDaemon } from '../daemon-client.js';
import { warningSink } from '../host.js';

/** What a trial load of one provider found (see {@link trialLoad}). */
export interface TrialLoad {
  /** The entry id the profile will derive for it. */
  readonly id: string;
  /** The package directory the loader resolved (it may differ from the one just installed if a nearer copy shadows it). */
  readonly packageDir: string | undefined;
  readonly spiVersion: string | undefined;
  /** Warnings to show (e.g. options still to fill in). */
  readonly warnings: readonly string[];
}

/**
 * Loads one provider the way `spool run` will, in a throw-away host on a profile holding only `entry`:
 * resolution from the profile's directory, manifest, SPI negotiation, import, `xpProviderInit`, logon. A
 * missing or invalid option is not a failure (the user fills options in next); anything else throws.
 */
export async function trialLoad(
  context: CommandContext,
  profile: Profile,
  entry: { readonly provider: string; readonly id?: string },
): Promise<TrialLoad> {
  const trial = normalizeProfile(
    { providers: [entry] },
    { file: profile.file, dir: profile.dir, env: context.env },
  );
  const id = trial.providers[0]!.id;
  const warnings: string[] = [];
  let packageDir: string | undefined;
  let spiVersion: string | undefined;
  try {
    const host = await ProviderHost.start({ profile: trial, strict: true, logSink: warningSink(context) });
    packageDir = host.entries[0]?.imported?.package.dir;
    spiVersion = host.entries[0]?.imported?.spiVersion;
    await host.stop();
  } catch (error) {
    // The provider loaded and initialised; only its options are incomplete, which the user fills in next.
    if (!isSpoolError(error, ErrorCode.INVALID_OPTIONS)) throw error;
    warnings.push(
      `${profile.redactor.text(error.message)}\n  Add its options under the entry "${id}" in ${profile.file}.`,
    );
  }
  return { id, packageDir, spiVersion, warnings };
}

/** True when a profile entry names package `name` (by its full name, or a short name that expands to it). */
export function entryNamesPackage(entry: ProviderEntryConfig, name: string): boolean {
  return !isPathSpec(entry.provider) && candidateNames(entry.provider).includes(name);
}

/**
 * The profile entry a user means by `what`: its id, what its `provider` says, or a package name it stands
 * for. Throws `SPOOL_E_NOT_INSTALLED` naming the entries there are when none matches.
 */
export function findProfileEntry(profile: Profile, what: string): ProviderEntryConfig {
  const found =
    profile.providers.find((entry) => entry.id === what) ??
    profile.providers.find((entry) => entry.provider === what) ??
    profile.providers.find((entry) => entryNamesPackage(entry, what)) ??
    profile.providers.find((entry) => candidateNames(what).some((name) => entryNamesPackage(entry, name)));
  if (found) return found;
  const ids = profile.providers.map((entry) => entry.id);
  throw new SpoolError(ErrorCode.NOT_INSTALLED, `${profile.file}: no provider entry "${what}"`, {
    hint:
      ids.length === 0
        ? 'The profile has no providers; add one with `spool provider add <name>`.'
        : `The entries are: ${ids.join(', ')} (\`spool provider list\` shows them).`,
    details: { file: profile.file, entry: what, entries: ids },
  });
}

/** The index of an entry in the profile's `providers` list, from its key path `providers[N]`. */
export function entryIndex(entry: ProviderEntryConfig): number {
  const match = /^providers\[(\d+)\]$/.exec(entry.keyPath);
  if (!match) throw new Error(`unexpected key path ${entry.keyPath}`);
  return Number(match[1]);
}

/** What asking a running daemon to reload came to: `null` when no daemon runs for the profile. */
export type DaemonReload =
  | { readonly reloaded: true }
  | { readonly reloaded: false; readonly code: string; readonly error: string; readonly hint: string | null }
  | null;

/**
 * Asks the daemon serving the profile, if one runs, to reload it (`POST /reload` through the daemon client)
 * after `provider add|remove|update` changed the profile or what is installed for it. A reload is all or
 * nothing: the daemon refuses a profile it cannot load (and keeps running the one it has), or applies it and
 * answers `SPOOL_E_RELOAD_LOGON_FAILED` when an entry did not log on. Either comes back as `reloaded: false`
 * with the daemon's code, message and hint.
 */
export async function notifyDaemonReload(profile: Profile): Promise<DaemonReload> {
  const daemon = await findDaemon(profile);
  if (!daemon) return null;
  try {
    await daemon.request('POST', '/reload');
    return { reloaded: true };
  } catch (error) {
    const { code, hint } = error as { code?: unknown; hint?: unknown };
    return {
      reloaded: false,
      code: typeof code === 'string' ? code : 'SPOOL_E_DAEMON_FAILED',
      error: error instanceof Error ? error.message : String(error),
      hint: typeof hint === 'string' ? hint : null,
    };
  }
}

/**
 * Says what {@link notifyDaemonReload} came to (nothing when no daemon runs; nothing on stdout with --json).
 * A reload the daemon refused or could not complete is thrown (after the command printed its report), so the
 * command exits non-zero with the daemon's coded error; a daemon that is stopping is only a warning (it reads
 * the profile when it starts again).
 */
export function reportDaemonReload(context: CommandContext, reload: DaemonReload): void {
  if (reload === null) return;
  if (reload.reloaded) {
    if (!context.options.json) context.out.line('the running daemon reloaded the profile');
    return;
  }
  if (reload.code === ErrorCode.STOPPED) {
    context.out.warn('the running daemon is stopping; it reads the changed profile when it starts again');
    return;
  }
  const applied = reload.code === ErrorCode.RELOAD_LOGON_FAILED;
  throw new SpoolError(
    reload.code,
    applied
      ? `the running daemon switched to the changed profile: ${reload.error}`
      : `the running daemon kept the profile it had (the changed one is saved): ${reload.error}`,
    {
      hint: `${reload.hint ?? 'Fix the profile.'} Then reload the daemon (kill -HUP <pid>, or POST /reload).`,
      details: { daemonReload: reload },
    },
  );
}
