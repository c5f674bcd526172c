import { ErrorCode, normalizeProfile, type Profile } from '@spool/core';
import { ProviderHost } from '@spool/core/internal';
import { isSpoolError } from '@spool/spi';
import { builtinProviders } from '../builtins.js';
import type { Command } from '../context.js';
import { ExitCode } from '../errors.js';
import { loadCliProfile, warningSink } from '../host.js';
import { table } from '../output.js';
import { findProfileEntry } from './provider-common.js';
import { describeEntry, type ProviderListRow } from './provider-list.js';

/** What `spool provider info --json` prints: the `provider list` row plus the package and account facts. */
export interface InfoReport extends ProviderListRow {
  /** False when the name is no entry of the profile and was looked up as a package visible from it. */
  readonly inProfile: boolean;
  /** The package's description, from its package.json. */
  readonly description: string | null;
  /** The manifest's address types (what the package declares; `addressTypes` is what the logons claim). */
  readonly manifestAddressTypes: readonly string[];
  /** Each account of the entry with its options (entry options merged in), every secret masked as `***`. */
  readonly accounts: readonly {
    readonly name: string;
    readonly options: Readonly<Record<string, unknown>>;
  }[];
  /** The logons and the address types each claims (none when the entry failed or is not in the profile). */
  readonly logons: readonly { readonly id: string; readonly addressTypes: readonly string[] }[];
}

/**
 * `spool provider info <name>`: one provider in detail. `name` is an entry id, what an entry's `provider`
 * says, or a package name; a name that is no entry is looked up from the profile's directory as a package
 * (e.g. a built-in not in the profile yet), loaded but not logged on with any options.
 */
export const providerInfo: Command = async (context) => {
  const { args, options, out } = context;
  const profile = await loadCliProfile(context);
  const what = args[0]!;
  let one: Profile;
  let inProfile = true;
  try {
    one = { ...profile, providers: [findProfileEntry(profile, what)] };
  } catch (error) {
    if (!isSpoolError(error, ErrorCode.NOT_INSTALLED)) throw error;
    inProfile = false;
    one = normalizeProfile(
      { providers: [{ provider: what }] },
      { file: profile.file, dir: profile.dir, env: context.env },
    );
  }
  const host = await ProviderHost.start({
    profile: one,
    builtins: builtinProviders(),
    logSink: warningSink(context),
  });
  let report: InfoReport;
  try {
    const entry = host.entries[0]!;
    const redact = profile.redactor.text.bind(profile.redactor);
    const row = describeEntry(entry, profile.dir, redact);
    // Not in the profile and not found as a package either: the resolution error says where it looked.
    if (!inProfile && row.name === null && entry.error) throw entry.error;
    const pkg = entry.imported?.package.packageJson;
    // Looked up outside the profile, a provider logs on without options: missing ones are no failure here.
    const optionsOnly = !inProfile && entry.error?.code === ErrorCode.INVALID_OPTIONS;
    report = {
      ...row,
      inProfile,
      state: optionsOnly ? 'active' : row.state,
      error: optionsOnly ? null : row.error,
      description: typeof pkg?.description === 'string' ? pkg.description : null,
      manifestAddressTypes: [...(entry.imported?.manifest.addressTypes ?? [])],
      accounts: inProfile
        ? entry.config.accounts.map((account) => ({
            name: account.name,
            options: profile.redactor.value({ ...entry.config.options, ...account.options }),
          }))
        : [],
      logons: entry.logons.map((logon) => ({ id: logon.id, addressTypes: [...logon.addressTypes] })),
    };
  } finally {
    await host.stop();
  }
  if (options.json) {
    out.json(report);
    return ExitCode.OK;
  }
  const s = out.style;
  const rows: [string, string][] = [
    ['entry', report.inProfile ? `${report.id} (${report.provider})` : '(not in the profile)'],
    ['package', `${report.name ?? report.provider}@${report.version ?? '?'}`],
    ['description', report.description ?? '-'],
    ['source', `${report.source ?? '-'} ${report.path ?? ''}`.trim()],
    ['SPI', `${report.spiRange ?? '-'} → ${report.spiVersion ?? '(not negotiated)'}`],
    [
      'address types',
      `${report.addressTypes.join(', ') || '-'} (manifest: ${report.manifestAddressTypes.join(', ') || '-'})`,
    ],
    [
      'state',
      report.state === 'active' ? s.green('active') : s.red(`failed ${report.error?.code ?? ''}`.trim()),
    ],
  ];
  for (const line of table(rows.map(([key, value]) => [s.bold(key), value]))) out.line(line);
  for (const logon of report.logons)
    out.line(`logon ${logon.id}: ${logon.addressTypes.join(', ') || '(no types)'}`);
  for (const account of report.accounts)
    out.line(`account ${account.name}: ${JSON.stringify(account.options)}`);
  for (const copy of report.shadowed) out.line(s.dim(`shadows the ${copy.source} copy at ${copy.path}`));
  if (report.error) out.line(`${report.error.code}: ${report.error.message}`);
  return ExitCode.OK;
};
