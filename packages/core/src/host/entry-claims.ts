import { ErrorCode } from '../errors.js';
import type { EntryState } from './logon-handle.js';

/**
 * Who holds an address type (issue: "a configured address type stays claimed"). A profile entry that cannot
 * serve — not installed, import failed, SPI mismatch, invalid options, its logon threw — keeps claiming its
 * address types, so its mail waits in the Outbox, deferred with the entry's coded error, instead of bouncing
 * with "no transport provider claims …" (Postfix defers mail for a transport that is misconfigured or down;
 * MAPI would NDR it: spool departs from MAPI here on purpose, see docs/spi.md). Only a type that no entry
 * claims is undeliverable at once.
 *
 * A failed entry's types come, in this order, from its manifest (when loading got that far), from the
 * entry's `addressTypes:` key, or from the types the store recorded at the entry's last logon. A failed entry
 * whose types are still unknown holds every type that no other entry claims.
 */

/** Where routing may send a recipient: a serving logon, or the route a failed entry holds for it. */
export interface RouteTarget {
  /** The logon id (`entry/account`); for a failed entry, the logon its first account will have. */
  readonly id: string;
  readonly entryId: string;
  /** The entry's `failover: true`: while it cannot serve, the next target takes its mail. */
  readonly failover: boolean;
  /** Set when the entry cannot serve: the recipient waits on this route, deferred with this error. */
  readonly unavailable?: UnavailableEntry;
}

/** A profile entry that cannot serve, as routing and the waiting stage see it (plain data). */
export interface UnavailableEntry {
  readonly entryId: string;
  /** The route its mail waits on: the id its first account's logon will have. */
  readonly route: string;
  /** Its address types, upper-case, or undefined when no source knows them (it then holds the rest). */
  readonly addressTypes: readonly string[] | undefined;
  /** Its coded error. */
  readonly code: string;
  readonly message: string;
}

/** The route an entry's mail waits on: the logon id of its first account (accounts are never empty). */
export function waitingRouteOf(entry: EntryState): string {
  return `${entry.config.id}/${entry.config.accounts[0]?.name ?? 'default'}`;
}

/** The failed entries of the host, in profile order, with what they claim. */
export function unavailableEntries(
  entries: readonly EntryState[],
  recorded: ReadonlyMap<string, readonly string[]>,
): UnavailableEntry[] {
  const out: UnavailableEntry[] = [];
  for (const entry of entries) {
    if (entry.status !== 'failed') continue;
    const types =
      entry.imported?.manifest.addressTypes ??
      entry.manifestTypes ??
      entry.config.addressTypes ??
      recorded.get(entry.config.id);
    out.push({
      entryId: entry.config.id,
      route: waitingRouteOf(entry),
      addressTypes: types?.map((t) => t.toUpperCase()),
      code: entry.error?.code ?? ErrorCode.PROVIDER_FAILED,
      message: entry.error?.message ?? 'the provider entry could not start',
    });
  }
  return out;
}

/**
 * The targets for one address type, in profile order: each logon that claims it (a logon whose call timed
 * out included: its mail waits until it is logged on again), and the route of each failed entry that
 * claims it. When none does, the first failed entry whose types are unknown holds it.
 */
export function routeTargets(
  entries: readonly EntryState[],
  unavailable: readonly UnavailableEntry[],
  addressType: string,
): RouteTarget[] {
  const type = addressType.toUpperCase();
  const byEntry = new Map(unavailable.map((u) => [u.entryId, u]));
  const targets: RouteTarget[] = [];
  for (const entry of entries) {
    const failed = byEntry.get(entry.config.id);
    if (failed) {
      if (failed.addressTypes?.includes(type))
        targets.push({ ...targetOf(entry, failed.route), unavailable: failed });
      continue;
    }
    // A failed logon (a call timed out; it is logged on again) keeps its types: its mail waits for it.
    for (const logon of entry.logons)
      if (logon.state !== 'closed' && logon.addressTypes.includes(type))
        targets.push(targetOf(entry, logon.id));
  }
  if (targets.length > 0) return targets;
  const holder = unavailable.find((u) => u.addressTypes === undefined);
  const entry = holder && entries.find((e) => e.config.id === holder.entryId);
  return holder && entry ? [{ ...targetOf(entry, holder.route), unavailable: holder }] : [];
}

function targetOf(entry: EntryState, id: string): RouteTarget {
  return { id, entryId: entry.config.id, failover: entry.config.failover };
}
