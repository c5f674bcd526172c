import { ErrorCode, spoolError } from '../errors.js';
import { diffProfiles, type ProfileDiff } from '../profile/diff.js';
import type { Profile } from '../profile/profile.js';
import type { PipelineContext } from './context.js';
import type { Housekeeping } from './housekeeping.js';
import type { Passes } from './passes.js';
import type { Receiving } from './receiving.js';

/**
 * Applies a changed profile's provider entries without a restart: entries removed or changed stop taking
 * new work, their in-flight hand-offs and receive loops finish on the old logons, then they log off in profile
 * order; new and changed entries log on (and begin traffic when this spooler runs traffic); unchanged entries
 * keep their logons. Recipients routed to a logon that is gone are routed again. Anything else changed needs
 * a new spooler: `SPOOL_E_RELOAD_NEEDS_RESTART`.
 */
export async function reload(
  ctx: PipelineContext,
  stages: { readonly passes: Passes; readonly receiving: Receiving; readonly housekeeping: Housekeeping },
  profile: Profile,
): Promise<ProfileDiff> {
  const { port, store, state } = ctx;
  const changes = diffProfiles(ctx.profile(), profile);
  if (changes.settingsChanged)
    throw spoolError(
      ErrorCode.RELOAD_NEEDS_RESTART,
      'the new profile changes settings outside the provider entries (store, retry, retention, folders or polling)',
      'Restart the spooler (the daemon does this by itself) to apply them.',
      {},
    );
  const retire = [...changes.removed, ...changes.changed];
  const retiring = port.logons().filter((logon) => retire.includes(logon.entryId));
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
  await port.adopt(profile, [...changes.added, ...changes.changed]);
  const live = new Set(port.logons().map((logon) => logon.id));
  for (const logon of retiring) if (!live.has(logon.id)) await store.unroute(logon.id);
  if (state.trafficStarted) await port.beginTraffic();
  if (stages.housekeeping.running) for (const logon of port.logons()) stages.housekeeping.startPolling(logon);
  ctx.events.changed();
  ctx.wake();
  return changes;
}
