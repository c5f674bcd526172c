import type { Profile } from '../profile/profile.js';
import type { LogSink } from '../util/logger.js';
import { loadStorePackage } from './load-store.js';
import type { Mailbox, MessageStore } from './ports.js';
import { SqliteStore, type SqliteStoreOptions } from './sqlite/sqlite-store.js';

/**
 * The one place outside `store/sqlite/` that knows the embedded store exists (scripts/check-architecture.mjs
 * enforces it): everything else opens a store through here and sees only the ports. A profile whose
 * `store.kind` names a store package gets that package's store instead (store/load-store.ts).
 */

export { SCHEMA_VERSION } from './sqlite/schema.js';

/** The embedded store, for callers that use what only it has (its file, its pragmas). */
export type EmbeddedStore = SqliteStore;

/** What opening a store takes besides the profile. */
export interface OpenStoreOptions {
  /** The clock the embedded store reads lease expiry and due times off (the spooler's); a store package gets it too. */
  readonly clock?: { now(): number };
  /** How often the embedded store's change feed looks for other processes' commits (default 50 ms). */
  readonly changePollMs?: number;
  /** Where a store package's log records go (default: stderr, `warn` and above). */
  readonly logSink?: LogSink;
}

/** Opens the embedded SQLite store at `file` (created on first use, migrated to this release's schema). */
export function openEmbeddedStore(file: string, options: SqliteStoreOptions = {}): Promise<EmbeddedStore> {
  return SqliteStore.open(file, options);
}

/**
 * Opens the profile's message store: the embedded one at `store.path`, or the store package `store.kind`
 * names (resolved from the profile's directory, its store-port range checked before it is imported).
 */
export function openStore(profile: Profile, options: OpenStoreOptions = {}): Promise<MessageStore> {
  const { store } = profile;
  if (store.kind === 'package') {
    return loadStorePackage({
      spec: store.spec,
      options: store.options,
      profileDir: profile.dir,
      where: `${profile.file ?? 'profile'}: store.kind`,
      redactor: profile.redactor,
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.logSink ? { logSink: options.logSink } : {}),
    });
  }
  return SqliteStore.open(store.path, {
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.changePollMs === undefined ? {} : { changePollMs: options.changePollMs }),
  });
}

/**
 * Opens the profile's store to read and file messages only: no provider is loaded and no provider option is
 * read, so `list`, `show`, `queue`, `move` and `delete` need no provider secrets and never start a listener.
 */
export async function openMailbox(
  profile: Profile,
  options: Pick<OpenStoreOptions, 'logSink'> = {},
): Promise<Mailbox & Pick<MessageStore, 'pending'>> {
  return openStore(profile, options);
}
