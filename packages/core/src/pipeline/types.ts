import type { Profile } from '../profile/profile.js';
import type { MessageStore } from '../store/ports.js';
import type { Cursor, PendingRecipient, StoredMessage } from '../store/types.js';
import type { LogSink } from '../util/logger.js';

export type { ProviderInfo } from '../host/provider-port.js';

/** The spooler's sense of time; tests inject a fake one. */
export interface Clock {
  now(): number;
}

/** What a sent-mail hook may decide for a finished message (MAPI spooler hooks). `default`/undefined: next hook. */
export type SentMailDecision = 'default' | 'keep' | 'delete' | { readonly folder: string };

/** A sent-mail hook: runs after a message is finished and unlocked; the first non-default decision wins. */
export type SentMailHook = (
  message: StoredMessage,
) => SentMailDecision | undefined | Promise<SentMailDecision | undefined>;

/** Everything `createSpooler` takes besides the profile. */
export interface SpoolerOptions {
  readonly profile: Profile;
  /** Providers that ship with the CLI: package name → directory. */
  readonly builtins?: Readonly<Record<string, string>>;
  readonly logSink?: LogSink;
  /** Time source (default: the wall clock). */
  readonly clock?: Clock;
  /** Random source for retry jitter (default Math.random). */
  readonly random?: () => number;
  /**
   * A store to use instead of the one the profile names (`store:`), e.g. one from `openEmbeddedStore()` or
   * `openStore()` that the caller keeps a reference to (for its admin capability, its counters). The spooler
   * closes it when it stops.
   */
  readonly store?: MessageStore;
  /** Start scheduling at once (default true). `run --once` passes false and calls `runOnce()`. */
  readonly autoStart?: boolean;
  /** How long an orderly stop waits for in-flight hand-offs before it hurries (default 30 s). */
  readonly stopTimeoutMs?: number;
  /** Lease length; leases are renewed while a hand-off runs (default 5 min). */
  readonly leaseMs?: number;
  /** Sent-mail hooks, in order. */
  readonly sentMailHooks?: readonly SentMailHook[];
  /** Override the implemented SPI versions (tests only). */
  readonly hostSpiVersions?: readonly string[];
  /** How often another process's writes are looked for (default 50 ms, so they are seen within 100 ms). */
  readonly changePollMs?: number;
  /** How often idle() is offered to logons when the queue is quiet (default 30 s). */
  readonly idleIntervalMs?: number;
}

/** Progress of a flush, per logon and direction. */
export interface FlushProgress {
  readonly logonId: string;
  readonly direction: 'outbound' | 'inbound';
  readonly done: number;
  readonly total: number;
}

/** What a pass (`runOnce`) or a flush did. */
export interface PassReport {
  readonly delivered: number;
  readonly failed: number;
  readonly deferred: number;
  readonly received: number;
  /** Recipients still pending afterwards, with their next attempt. */
  readonly pending: readonly PendingRecipient[];
}

/** One message seen by `watch()`, with the cursor to resume after it. */
export interface WatchItem {
  readonly message: StoredMessage;
  readonly cursor: Cursor;
}
