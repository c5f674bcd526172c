import { HOST_SPI_VERSIONS, type Profile, type ProviderEntryConfig } from '@spool/core';
import {
  findInstalledProvider,
  installProvider,
  planProviderUpdate,
  type SkippedVersion,
} from '@spool/core/install';
import { isPathSpec, resolveProviderPackage } from '@spool/core/internal';
import { builtinProviders } from '../builtins.js';
import type { Command, CommandContext } from '../context.js';
import { ExitCode } from '../errors.js';
import { loadCliProfile } from '../host.js';
import {
  type DaemonReload,
  findProfileEntry,
  notifyDaemonReload,
  reportDaemonReload,
  trialLoad,
} from './provider-common.js';

/** One entry in `spool provider update --json`. */
export interface UpdateRow {
  readonly id: string;
  /** The package name, or `null` when it could not be resolved. */
  readonly name: string | null;
  /** The version installed before. */
  readonly from: string | null;
  /** The version installed now; equal to `from` when nothing newer fits. */
  readonly to: string | null;
  /** Newer versions held back (SPI mismatch, deprecated, prerelease, not a provider), newest first. */
  readonly heldBack: readonly SkippedVersion[];
  /** Why the entry was not considered: `builtin`, `path` or `not-installed`; `null` when it was. */
  readonly skipped: 'builtin' | 'path' | 'not-installed' | null;
}

/** What `spool provider update --json` prints. */
export interface UpdateReport {
  readonly updates: readonly UpdateRow[];
  readonly daemon: DaemonReload;
}

/**
 * `spool provider update [name]`: for each provider `provider add` installed (or the one named), the newest
 * version above the installed one whose SPI range this host accepts; newer versions outside that are held
 * back and reported. Each update goes through the same install, trial load and rollback as `provider add`.
 */
export const providerUpdate: Command = async (context) => {
  const { args, options, out } = context;
  const profile = await loadCliProfile(context);
  const entries = args[0] === undefined ? profile.providers : [findProfileEntry(profile, args[0])];
  const rows: UpdateRow[] = [];
  for (const entry of entries) {
    const row = await updateEntry(context, profile, entry, args[0] !== undefined);
    rows.push(row);
    if (!options.json) printRow(context, row);
  }
  const changed = rows.some((row) => row.to !== row.from);
  const daemon = changed ? await notifyDaemonReload(profile) : null;
  if (options.json) out.json({ updates: rows, daemon } satisfies UpdateReport);
  reportDaemonReload(context, daemon);
  // The reload starts again an entry that had failed; one that runs keeps the module it imported (Node keeps it).
  if (daemon?.reloaded && !options.json)
    out.warn('an updated provider that was running keeps its old version in the daemon until it restarts');
  return ExitCode.OK;
};

async function updateEntry(
  context: CommandContext,
  profile: Profile,
  entry: ProviderEntryConfig,
  named: boolean,
): Promise<UpdateRow> {
  const profileDir = profile.dir;
  const none = { from: null, to: null, heldBack: [] };
  if (isPathSpec(entry.provider)) return { id: entry.id, name: null, ...none, skipped: 'path' };
  let name: string;
  try {
    name = resolveProviderPackage(entry.provider, { profileDir, builtins: builtinProviders() }).name;
  } catch (error) {
    if (named) throw error;
    return { id: entry.id, name: null, ...none, skipped: 'not-installed' };
  }
  const installed = await findInstalledProvider(name, profileDir);
  if (!installed) return { id: entry.id, name, ...none, skipped: 'builtin' };
  const update = await planProviderUpdate({
    name,
    installed: installed.version,
    hostSpiVersions: HOST_SPI_VERSIONS,
    cwd: profileDir,
    env: context.env,
  });
  const base = { id: entry.id, name, from: installed.version, heldBack: update.heldBack, skipped: null };
  if (update.plan === null) return { ...base, to: installed.version };
  await installProvider({
    plan: update.plan,
    profileDir,
    allowScripts: context.options.allowScripts,
    env: context.env,
    verify: () => trialLoad(context, profile, { provider: name }),
  });
  return { ...base, to: update.plan.version };
}

function printRow({ out }: CommandContext, row: UpdateRow): void {
  const who = `${row.id}${row.name && row.name !== row.id ? ` (${row.name})` : ''}`;
  switch (row.skipped) {
    case 'path':
      out.line(`${who}: a linked folder; rebuild it to update`);
      return;
    case 'builtin':
      out.line(
        `${who}: built into @spool/cli; update @spool/cli, or \`spool provider add ${row.name}\` to pin a copy`,
      );
      return;
    case 'not-installed':
      out.line(`${who}: not installed; \`spool provider add\` it first`);
      return;
  }
  if (row.to !== row.from) out.line(`${out.style.green('updated')} ${who}: ${row.from} → ${row.to}`);
  else out.line(`${who}: ${row.from} is the newest version this host accepts`);
  for (const held of row.heldBack) out.line(`  held back ${held.reason}`);
}
