import { ErrorCode, SpoolError, spoolError } from '../errors.js';
import type { ProviderInfo } from '../host/provider-port.js';
import { diffProfiles, type ProfileDiff } from '../profile/diff.js';
import type { Profile } from '../profile/profile.js';
import type { PipelineContext } from './context.js';
import type { Housekeeping } from './housekeeping.js';
import type { Passes } from './passes.js';
import type { Receiving } from './receiving.js';

/** What a checked reload will do: the diff, and the unchanged entries that had failed and now pass the check. */
export interface ReloadPlan {
  readonly changes: ProfileDiff;
  /** Unchanged entries that had failed (not installed, say) and pass the check now: they are started again. */
  readonly retry: readonly string[];
}

/**
 * Checks a profile for a reload without changing anything (all or nothing): the diff against the profile in
 * force, then every new and changed entry as a start would load it, without a logon (host/check-entry.ts:
 * resolve, manifest, SPI, import, `xpProviderInit`, options). Any refusal throws that entry's coded error,
 * prefixed "reload refused", with every refusal in `details.refusals`. Unchanged entries that had failed are
 * checked too; those that pass are started again by the reload, the others stay failed (they refuse nothing:
 * the profile in force has them failed already). Settings outside the entries: `SPOOL_E_RELOAD_NEEDS_RESTART`,
 * unless `settings: 'allow'` (a caller that restarts the spooler on such a profile checks its entries so).
 */
export async function checkReload(
  ctx: PipelineContext,
  profile: Profile,
  options: { readonly settings?: 'refuse' | 'allow' } = {},
): Promise<ReloadPlan> {
  const { port } = ctx;
  const changes = diffProfiles(ctx.profile(), profile);
  if (changes.settingsChanged && options.settings !== 'allow')
    throw spoolError(
      ErrorCode.RELOAD_NEEDS_RESTART,
      'the new profile changes settings outside the provider entries (store, retry, retention, folders or polling)',
      'Restart the spooler (the daemon does this by itself) to apply them.',
      {},
    );
  const refusals = await port.check(profile, [...changes.added, ...changes.changed]);
  if (refusals.length > 0) throw refused(refusals);
  const failed = new Set(
    port
      .providers()
      .filter((entry) => entry.status === 'failed')
      .map((entry) => entry.id),
  );
  const stuck = changes.unchanged.filter((id) => failed.has(id));
  const still = stuck.length === 0 ? [] : await port.check(profile, stuck);
  for (const refusal of still)
    port.logger.warn(
      { entry: refusal.details.entry, code: refusal.code },
      profile.redactor.text(`reload: still failed, left as it is: ${refusal.message}`),
    );
  const retry = stuck.filter((id) => !still.some((refusal) => refusal.details.entry === id));
  return { changes, retry };
}

/**
 * Applies a changed profile's provider entries without a restart, once {@link checkReload} passed: entries
 * removed or changed stop taking new work, their in-flight hand-offs and receive loops finish on the old
 * logons, then they log off in profile order; new and changed entries (and unchanged ones that had failed and
 * now pass the check) log on, and begin traffic when this spooler runs traffic; unchanged entries keep their
 * logons. Recipients routed to a logon that is gone are routed again. An entry that fails to log on after
 * the switch stays failed (its mail waits) and the reload rejects with `SPOOL_E_RELOAD_LOGON_FAILED` naming
 * it; the rest of the new profile is in force.
 */
export async function reload(
  ctx: PipelineContext,
  stages: { readonly passes: Passes; readonly receiving: Receiving; readonly housekeeping: Housekeeping },
  profile: Profile,
): Promise<ProfileDiff> {
  const { port, store, state } = ctx;
  const { changes, retry } = await checkReload(ctx, profile);
  const retire = [...changes.removed, ...changes.changed, ...retry];
  const retiring = port.logons().filter((logon) => retire.includes(logon.entryId));
  // Routes to let go of if nobody holds them after the switch: the retired logons' and failed entries' own.
  const released = new Set([
    ...retiring.map((logon) => logon.id),
    ...port
      .unavailable()
      .filter((entry) => retire.includes(entry.entryId))
      .map((entry) => entry.route),
  ]);
  for (const logon of retiring) state.retiring.add(logon.id);
  try {
    for (const logon of retiring) {
      await stages.passes.waitUntilSettled(logon.id);
      await stages.receiving.running(logon.id);
    }
    for (const id of retire) await port.retire(id);
  } finally {
    for (const logon of retiring) {
      state.retiring.delete(logon.id);
      stages.housekeeping.stopPolling(logon.id);
    }
  }
  const started = [...changes.added, ...changes.changed, ...retry];
  await port.adopt(profile, started);
  const live = new Set([
    ...port.logons().map((logon) => logon.id),
    ...port.unavailable().map((entry) => entry.route),
  ]);
  for (const route of released) if (!live.has(route)) await store.unroute(route);
  if (state.trafficStarted) await port.beginTraffic();
  if (stages.housekeeping.running) for (const logon of port.logons()) stages.housekeeping.startPolling(logon);
  ctx.events.changed();
  ctx.wake();
  const failed = port.providers().filter((entry) => entry.status === 'failed' && started.includes(entry.id));
  if (failed.length > 0) throw reloadLogonFailed(profile, failed, changes);
  return changes;
}

/** The refusal of a reload: the first entry's error (code, hint), every refusal listed in `details`. */
function refused(refusals: readonly SpoolError[]): SpoolError {
  const [first, ...more] = refusals as [SpoolError, ...SpoolError[]];
  const also = more.map((refusal) => `${refusal.code}: ${refusal.message}`).join('; ');
  return new SpoolError(
    first.code,
    `reload refused: ${first.message}${more.length > 0 ? ` (also ${also})` : ''}`,
    {
      ...(first.hint === undefined ? {} : { hint: first.hint }),
      details: {
        ...first.details,
        refused: true,
        refusals: refusals.map((refusal) => ({
          entry: refusal.details.entry,
          code: refusal.code,
          message: refusal.message,
        })),
      },
      cause: first,
    },
  );
}

/**
 * `SPOOL_E_RELOAD_LOGON_FAILED`: the switch to `profile` happened, but the entries `failed` it started did not
 * log on. Names each entry with its own code and message (also in `details.entries`).
 */
export function reloadLogonFailed(
  profile: Profile,
  failed: readonly ProviderInfo[],
  changes: ProfileDiff,
): SpoolError {
  const entries = failed.map((entry) => ({
    entry: entry.id,
    code: entry.error?.code ?? ErrorCode.LOGON_FAILED,
    message: entry.error?.message ?? 'failed to log on',
  }));
  const keyPaths = failed.map(
    (entry) => profile.providers.find((config) => config.id === entry.id)?.keyPath ?? entry.id,
  );
  const what = entries.map((e) => `entry "${e.entry}" (${e.code}: ${e.message})`).join('; ');
  const hint = failed[0]?.error?.hint;
  return spoolError(
    ErrorCode.RELOAD_LOGON_FAILED,
    `reload applied, but ${what} failed to log on after the switch; ${failed.length === 1 ? 'it stays' : 'they stay'} failed and ${failed.length === 1 ? 'its' : 'their'} mail waits, the rest of the new profile is in force`,
    `${hint ? `${hint} ` : ''}Fix ${profile.file ?? 'the profile'}: ${keyPaths.join(', ')} (or what the error names), then reload again.`,
    { entries, changes },
  );
}
