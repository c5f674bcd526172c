import { isDeepStrictEqual } from 'node:util';
import type { Profile, ProviderEntryConfig } from './profile.js';

/** What a reload changed, entry by entry (entry ids, in profile order). */
export interface ProfileDiff {
  /** Entries only in the new profile. */
  readonly added: readonly string[];
  /** Entries only in the old profile. */
  readonly removed: readonly string[];
  /** Entries in both whose provider, options, accounts, timeouts or SPI override differ. */
  readonly changed: readonly string[];
  /** Entries in both, identical. */
  readonly unchanged: readonly string[];
  /** Whether anything outside the provider entries changed (store, retry, retention, folders, …). */
  readonly settingsChanged: boolean;
}

/** The part of an entry that decides how it logs on (keyPath only says where it sits in the file). */
function essence(entry: ProviderEntryConfig): unknown {
  const { keyPath: _where, ...rest } = entry;
  return rest;
}

/** Compares two profiles for a reload. Secrets compare by value, so a rotated password counts as a change. */
export function diffProfiles(before: Profile, after: Profile): ProfileDiff {
  const old = new Map(before.providers.map((entry) => [entry.id, entry]));
  const next = new Map(after.providers.map((entry) => [entry.id, entry]));
  const added: string[] = [];
  const changed: string[] = [];
  const unchanged: string[] = [];
  for (const [id, entry] of next) {
    const previous = old.get(id);
    if (!previous) added.push(id);
    else if (isDeepStrictEqual(essence(previous), essence(entry))) unchanged.push(id);
    else changed.push(id);
  }
  const removed = [...old.keys()].filter((id) => !next.has(id));
  const settings = (profile: Profile) => ({
    defaultAddressType: profile.defaultAddressType,
    store: profile.store,
    retry: profile.retry,
    retention: profile.retention,
    pollIntervalMs: profile.pollIntervalMs,
    receiveFolders: profile.receiveFolders,
  });
  return {
    added,
    removed,
    changed,
    unchanged,
    settingsChanged: !isDeepStrictEqual(settings(before), settings(after)),
  };
}
