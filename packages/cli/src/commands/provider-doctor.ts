import { readFileSync, realpathSync } from 'node:fs';
import { join, sep } from 'node:path';
import type { Profile } from '@spool/core';
import type { EntryState, LogonHandle } from '@spool/core/internal';
import { isSpoolError } from '@spool/spi';
import type { Command } from '../context.js';
import { ExitCode } from '../errors.js';
import { loadCliProfile, startHost } from '../host.js';
import { describeEntry, type ProviderListRow } from './provider-list.js';

/**
 * How a recipient of an address type can reach a logon that claims it. The spooler routes each recipient to
 * the first logon (profile order) claiming its type, and on to the next claimer only when a logon answers
 * `not-mine`:
 * - `first`: no earlier logon claims the type;
 * - `fallback`: an earlier logon claims it; this one only gets recipients the earlier ones answer `not-mine`;
 * - `never`: an earlier logon of the same package and version with the same options claims it. It answers
 *   every recipient as this one would, so whatever it passes on, this one passes on too: nothing is ever
 *   handed off here.
 */
export type ClaimReach = 'first' | 'fallback' | 'never';

/** One address type one logon claims, and whether recipients can get there. */
export interface DoctorClaim {
  readonly addressType: string;
  readonly reach: ClaimReach;
  /** The earlier logons claiming the same type, in routing order. */
  readonly after: readonly string[];
}

/** One problem `spool provider doctor` found, with the fix. */
export interface DoctorProblem {
  /** The entry it concerns. */
  readonly entry: string;
  /**
   * What kind: `profile-invalid` (the profile itself is refused: then nothing was started, and `entry` is
   * `(profile)`), `load-failed`, `unreachable-claim`, `no-claims`, `spi-override`, `shadowed-copy`.
   */
  readonly kind:
    | 'profile-invalid'
    | 'load-failed'
    | 'unreachable-claim'
    | 'no-claims'
    | 'spi-override'
    | 'shadowed-copy';
  /** The error code for `profile-invalid` and `load-failed`; `null` otherwise. */
  readonly code: string | null;
  readonly message: string;
  readonly fix: string;
}

/** One provider entry in `spool provider doctor --json`. */
export interface DoctorProvider extends ProviderListRow {
  /** Copies this one shadows, with their versions (`null` when unreadable). */
  readonly copies: readonly {
    readonly path: string;
    readonly source: string;
    readonly version: string | null;
  }[];
  readonly logons: readonly { readonly id: string; readonly claims: readonly DoctorClaim[] }[];
  /** Facts worth knowing that need no fix (e.g. a built-in overridden on purpose, a fallback claim). */
  readonly notes: readonly string[];
}

/** What `spool provider doctor --json` prints. */
export interface DoctorReport {
  /** True when no problem was found (the exit code is then 0). */
  readonly ok: boolean;
  /** The profile file. */
  readonly profile: string;
  readonly providers: readonly DoctorProvider[];
  readonly problems: readonly DoctorProblem[];
}

/** Profile errors the doctor reports as problems (the others, such as no profile at all, it throws). */
const PROFILE_CODES = new Set(['SPOOL_E_PROFILE_INVALID', 'SPOOL_E_PROFILE_EMPTY', 'SPOOL_E_ENV_MISSING']);

/**
 * Every problem of a profile that does not load, coded: a `SPOOL_E_PROFILE_INVALID` lists each bad key in
 * `details.problems` (unknown keys as `SPOOL_E_PROFILE_UNKNOWN_KEY`); other errors are one problem.
 */
function profileReport(error: unknown, fallbackFile: string): DoctorReport | undefined {
  if (!isSpoolError(error) || !PROFILE_CODES.has(error.code)) return undefined;
  const listed = (error.details as { problems?: unknown }).problems;
  const problems = (
    Array.isArray(listed)
      ? (listed as { code: string; message: string; hint: string }[])
      : [{ code: error.code, message: error.message, hint: error.hint ?? '' }]
  ).map(
    (problem): DoctorProblem => ({
      entry: '(profile)',
      kind: 'profile-invalid',
      code: problem.code,
      message: problem.message,
      fix: problem.hint || 'See docs/profile.md for the keys of a profile.',
    }),
  );
  const file = (error.details as { file?: unknown }).file;
  return { ok: false, profile: typeof file === 'string' ? file : fallbackFile, providers: [], problems };
}

/**
 * `spool provider doctor`: loads every entry as `spool run` would and reports where each resolved from, its
 * version and negotiated SPI, the claims of its logons and whether they can be reached, the copies it
 * shadows, and problems with fixes. A profile that does not load is reported with every problem it has
 * (coded), and nothing is started. Exit code 1 when there is a problem.
 */
export const providerDoctor: Command = async (context) => {
  const { out, options } = context;
  let profile: Profile;
  try {
    profile = await loadCliProfile(context);
  } catch (error) {
    const report = profileReport(error, options.profile ?? context.cwd);
    if (!report) throw error;
    if (options.json) out.json(report);
    else print(context, report);
    return ExitCode.USER;
  }
  const host = await startHost(context, profile);
  const redact = profile.redactor.text.bind(profile.redactor);
  let report: DoctorReport;
  try {
    const problems: DoctorProblem[] = [];
    const claimed = new Map<string, LogonHandle[]>();
    const providers = host.entries.map((entry) => {
      const row = describeEntry(entry, profile.dir, redact);
      const notes: string[] = [];
      const copies = row.shadowed.map((copy) => ({ ...copy, version: versionAt(copy.path) }));
      problems.push(...entryProblems(entry, row, copies, notes, redact));
      const logons = entry.logons.map((logon) => {
        const claims = logon.addressTypes.map((type): DoctorClaim => {
          const earlier = claimed.get(type) ?? [];
          const twin = earlier.find((other) => sameLogon(other, logon));
          const after = earlier.map((other) => other.id);
          if (twin) {
            problems.push({
              entry: row.id,
              kind: 'unreachable-claim',
              code: null,
              message: `${logon.id} claims ${type}, but ${twin.id} (the same ${row.name}@${row.version} with the same options) claims it first and answers every recipient as ${logon.id} would, so nothing of type ${type} ever reaches ${logon.id}`,
              fix: `Remove the duplicate entry "${row.id}", or give it other options or addressTypes than ${twin.id}.`,
            });
            return { addressType: type, reach: 'never', after };
          }
          if (earlier.length > 0)
            notes.push(
              `${logon.id} gets ${type} recipients only when ${after.join(', ')} answer not-mine (they claim ${type} first)`,
            );
          return { addressType: type, reach: earlier.length > 0 ? 'fallback' : 'first', after };
        });
        for (const type of logon.addressTypes) claimed.set(type, [...(claimed.get(type) ?? []), logon]);
        if (logon.addressTypes.length === 0)
          problems.push({
            entry: row.id,
            kind: 'no-claims',
            code: null,
            message: `${logon.id} claims no address type, so no recipient is ever routed to it`,
            fix: `Check the options of "${row.id}" that choose its address types (its manifest declares ${entry.imported?.manifest.addressTypes.join(', ') || 'none'}).`,
          });
        return { id: logon.id, claims };
      });
      return { ...row, copies, logons, notes } satisfies DoctorProvider;
    });
    report = { ok: problems.length === 0, profile: profile.file ?? profile.dir, providers, problems };
  } finally {
    await host.stop();
  }
  if (options.json) out.json(report);
  else print(context, report);
  return report.ok ? ExitCode.OK : ExitCode.USER;
};

/** Problems of one entry itself: it failed to load, ignores its SPI range, or shadows another non-built-in copy. */
function entryProblems(
  entry: EntryState,
  row: ProviderListRow,
  copies: DoctorProvider['copies'],
  notes: string[],
  redact: (text: string) => string,
): DoctorProblem[] {
  const problems: DoctorProblem[] = [];
  if (entry.status === 'failed' && entry.error) {
    problems.push({
      entry: row.id,
      kind: 'load-failed',
      code: entry.error.code,
      message: redact(entry.error.message),
      fix: redact(entry.error.hint ?? `Run \`spool provider info ${row.id}\` for details.`),
    });
  }
  if (entry.imported?.spiOverride) {
    problems.push({
      entry: row.id,
      kind: 'spi-override',
      code: null,
      message: `${row.name}@${row.version} declares SPI ${row.spiRange}, which this host does not implement; it loads only because of ignoreSpiRange`,
      fix: `Install a version that fits this host (spool provider update ${row.id}) and remove ignoreSpiRange from "${row.id}".`,
    });
  }
  let here: string | undefined;
  try {
    here = row.path === null ? undefined : realpathSync(row.path);
  } catch {
    here = undefined;
  }
  for (const copy of copies) {
    let real: string | undefined;
    try {
      real = realpathSync(copy.path);
    } catch {
      real = undefined;
    }
    // pnpm links one store copy into several node_modules: the same files are not a second copy.
    if (real !== undefined && real === here) continue;
    const versions = `${row.version} at ${row.path} over ${copy.version ?? '?'} at ${copy.path}`;
    if (copy.source === 'builtin') {
      notes.push(`the ${row.source} copy overrides the built-in one (${versions})`);
      continue;
    }
    problems.push({
      entry: row.id,
      kind: 'shadowed-copy',
      code: null,
      message: `two copies of ${row.name} are on the resolution path; the ${row.source} one wins (${versions})`,
      fix:
        copy.source === 'managed'
          ? `Remove the managed copy: npm uninstall ${row.name} --prefix ${copy.path.slice(0, copy.path.lastIndexOf(`${sep}node_modules${sep}`))}`
          : `Keep one: remove ${row.name} from the package.json that installed ${copy.path}, or from the one that installed ${row.path}.`,
    });
  }
  return problems;
}

/** Same package, same version, same effective options: two logons that answer every recipient alike. */
function sameLogon(a: LogonHandle, b: LogonHandle): boolean {
  const pa = a.entry.imported;
  const pb = b.entry.imported;
  if (!pa || !pb || pa.package.name !== pb.package.name || pa.version !== pb.version) return false;
  return stable(optionsOf(a)) === stable(optionsOf(b));
}

function optionsOf(logon: LogonHandle): Record<string, unknown> {
  const { config } = logon.entry;
  const account = config.accounts.find((candidate) => candidate.name === logon.account);
  return { ...config.options, ...account?.options };
}

/** JSON with object keys sorted, so equal options compare equal whatever order they were written in. */
function stable(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner !== null && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}

function versionAt(dir: string): string | null {
  try {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : null;
  } catch {
    return null;
  }
}

function print(context: Parameters<Command>[0], report: DoctorReport): void {
  const { out } = context;
  const s = out.style;
  for (const provider of report.providers) {
    const state = provider.state === 'active' ? s.green('active') : s.red('failed');
    out.line(
      `${s.bold(provider.id)}  ${provider.name ?? provider.provider}@${provider.version ?? '?'}  ${state}`,
    );
    out.line(`  from      ${provider.source ?? '-'} ${provider.path ?? '(not found)'}`);
    out.line(`  SPI       ${provider.spiRange ?? '-'} → ${provider.spiVersion ?? '(not negotiated)'}`);
    for (const logon of provider.logons) {
      const claims = logon.claims.map((claim) =>
        claim.reach === 'first'
          ? claim.addressType
          : `${claim.addressType} (${claim.reach}, after ${claim.after.join(', ')})`,
      );
      out.line(`  logon     ${logon.id}: ${claims.join(', ') || '(no address types)'}`);
    }
    if (provider.logons.length === 0)
      out.line(`  types     ${provider.addressTypes.join(', ') || '-'} (manifest)`);
    for (const copy of provider.copies)
      out.line(`  shadows   ${copy.source} ${copy.version ?? '?'} at ${copy.path}`);
    for (const note of provider.notes) out.line(s.dim(`  note: ${note}`));
  }
  const refused = report.problems.some((problem) => problem.kind === 'profile-invalid');
  if (report.providers.length === 0 && !refused) out.line('no providers in the profile');
  if (!refused) out.line();
  if (report.ok) {
    out.line(s.green(`no problems found in ${report.profile}`));
    return;
  }
  out.line(
    s.red(
      `${report.problems.length} problem${report.problems.length === 1 ? '' : 's'} in ${report.profile}:`,
    ),
  );
  for (const problem of report.problems) {
    out.line(`- ${problem.entry}: ${problem.code ? `${problem.code}: ` : ''}${problem.message}`);
    out.line(`  fix: ${problem.fix}`);
  }
}
