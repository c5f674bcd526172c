import type { Attachment, JsonValue, RecipientType } from '@spool/spi';

/**
 * The records the store ports take and return: plain data that survives `structuredClone` and JSON (but for
 * attachment bytes), so a store may live in another process or on another machine.
 */

/** The folders every store has. Inbound messages may also land in custom folders (receiveFolders). */
export const FOLDERS = ['Outbox', 'Sent', 'Inbox', 'Deleted'] as const;

/** One of the built-in folders. */
export type FolderName = (typeof FOLDERS)[number];

/** Where a recipient stands. `pending` is the only non-final outcome. */
export type RecipientState = 'pending' | 'delivered' | 'failed' | 'cancelled';

/** Where a message stands. */
export type MessageState = 'queued' | 'finished' | 'cancelled' | 'received';

/**
 * A position in a folder, opaque to everyone but the store that made it. `watch()` and `list({ after })`
 * resume after it. Cursors of the embedded store are decimal integers, so a number kept from an earlier
 * release (when cursors were numbers) is still a valid cursor written as a string.
 */
export type Cursor = string;

/** A recipient as the store keeps it: address, route, responsibility and outcome. */
export interface StoredRecipient {
  /** Index within the message (stable; the SPI recipient id is its string form). */
  readonly index: number;
  readonly address: string;
  readonly addressType: string;
  readonly value: string;
  readonly type: RecipientType;
  /** The logon id this recipient is routed to, once routed. */
  readonly route: string | null;
  /** Logons that already declined it (not-mine), so routing moves on. */
  readonly tried: readonly string[];
  /** True once a logon took final responsibility (delivered or failed). */
  readonly responsibility: boolean;
  readonly outcome: RecipientState;
  readonly attempts: number;
  /** Epoch ms of the next attempt (pending only), on the store's clock. */
  readonly nextAttemptAt: number;
  readonly lastError: string | null;
}

/** A message as the store returns it. */
export interface StoredMessage {
  readonly id: string;
  readonly folder: string;
  readonly state: MessageState;
  /** RFC 5322 Message-ID, kept across every retry. */
  readonly messageId: string;
  readonly from: string | null;
  readonly subject: string;
  readonly text: string | null;
  readonly html: string | null;
  readonly messageClass: string;
  readonly properties: Readonly<Record<string, JsonValue>>;
  readonly deleteAfterSubmit: boolean;
  readonly reports: { readonly delivery: boolean; readonly nonDelivery: boolean };
  readonly idempotencyKey: string | null;
  /** Epoch ms when accepted (outbound) or stored (inbound). */
  readonly submittedAt: number;
  readonly finishedAt: number | null;
  /** Position in its folder; `watch()` and `list({ after })` resume after it. */
  readonly cursor: Cursor;
  readonly recipients: readonly StoredRecipient[];
  readonly attachments: readonly Attachment[];
}

/** A message to store: a stored message without what the store assigns (cursor, finish time, routing state). */
export type NewMessage = Omit<StoredMessage, 'cursor' | 'finishedAt' | 'recipients'> & {
  readonly recipients: readonly (Pick<StoredRecipient, 'address' | 'addressType' | 'value' | 'type'> & {
    /** The logon to hand it to, when the submitter already routed it; otherwise the spooler routes it later. */
    readonly route?: string | null;
  })[];
};

/** What an insert did: the id stored, or the id already stored under the same idempotency key. */
export interface InsertResult {
  readonly id: string;
  /** The RFC Message-ID of the stored message (the earlier one's, for a duplicate). */
  readonly messageId: string;
  readonly duplicate: boolean;
}

/** One claimed hand-off: a message and the recipients of it that one route takes now. */
export interface Claim {
  readonly message: StoredMessage;
  readonly recipients: readonly StoredRecipient[];
  /** Preprocess run ids recorded for this hand-off, in preprocessor order, before any ran. */
  readonly runIds: readonly string[];
}

/** What a claim takes, besides the route. */
export interface ClaimOptions {
  /** At most this many messages (each with all of its due recipients on the route). */
  readonly limit: number;
  /** How long the lease lasts unless renewed, on the store's clock. */
  readonly leaseMs: number;
  /** How many preprocess runs to record per hand-off (the route's registered preprocessors). */
  readonly preprocessors: number;
  /**
   * Only recipients due at or before this instant of the store's clock (from {@link QueueStore.now}); default:
   * the store's now. A pass that must not retry what it deferred itself (`run --once`) passes its start.
   */
  readonly dueBy?: number;
}

/** The outcome of one recipient of a hand-off, as the pipeline decided it. */
export type RecipientUpdate =
  | {
      readonly index: number;
      readonly outcome: 'delivered' | 'failed' | 'cancelled';
      readonly error?: string;
    }
  | {
      readonly index: number;
      readonly outcome: 'retry';
      /** Due again this long after the store's now (a duration: the store's clock sets the instant). */
      readonly delayMs: number;
      readonly error?: string;
      /** False for a hand-off interrupted by a stop: it goes back as if never tried. */
      readonly countAttempt: boolean;
    }
  | { readonly index: number; readonly outcome: 'reroute'; readonly tried: string; readonly error?: string };

/** Where a finished message goes: a folder, nowhere (deleted), or where it is (keep). */
export type Disposition = { readonly folder: string } | 'delete' | 'keep';

/**
 * The finish a settle applies in its own commit when it finishes the message, decided by the pipeline in
 * advance as data. `unlessFailed`: apply it only if no recipient failed (a failure needs a non-delivery report,
 * which the pipeline builds and files with {@link QueueStore.finish}, a second commit).
 */
export interface FinishIfDone {
  readonly disposition: Disposition;
  readonly unlessFailed?: boolean;
}

/** The end of one hand-off: outcomes, removed preprocess runs, and the finish to apply if it is the last. */
export interface Settlement {
  readonly messageId: string;
  readonly route: string;
  readonly updates: readonly RecipientUpdate[];
  /** Preprocess runs whose `removePreprocessInfo` already ran, forgotten in the same commit. */
  readonly removedRuns?: readonly string[];
  /** Absent: a message this settle finishes stays finished but undisposed (see {@link QueueStore.unfinished}). */
  readonly ifFinished?: FinishIfDone;
}

/** What a settle did: the message if it finished (with its final recipients), and whether it was disposed. */
export interface SettleResult {
  readonly finished: StoredMessage | null;
  readonly disposed: boolean;
}

/** An unrouted pending recipient, for the pipeline to route. */
export interface UnroutedRecipient {
  readonly messageId: string;
  readonly index: number;
  readonly addressType: string;
  /** Logons that declined it already. */
  readonly tried: readonly string[];
}

/** The pipeline's routing decision for one recipient: a route, or a permanent failure with its reason. */
export type RouteDecision =
  | { readonly messageId: string; readonly index: number; readonly route: string }
  | { readonly messageId: string; readonly index: number; readonly fail: string };

/** A preprocess run recorded by a store instance that is gone, and never removed. */
export interface OpenPreprocessRun {
  readonly runId: string;
  readonly messageId: string;
  readonly logonId: string;
  /** Which of the route's preprocessors it was (0-based, as in {@link ClaimOptions.preprocessors}). */
  readonly preprocessor: number;
}

/** One pending recipient as `spool queue` shows it. */
export interface PendingRecipient {
  readonly id: string;
  readonly subject: string;
  readonly address: string;
  readonly route: string | null;
  readonly attempts: number;
  readonly nextAttemptAt: number;
  readonly lastError: string | null;
}

/** How old finished messages of a folder may get before retention deletes them. */
export interface RetentionRule {
  readonly folder: string;
  readonly olderThanMs: number;
}

/** What a search looks for: text in the subject, an address (from or a recipient) or the id. */
export interface SearchQuery {
  readonly text: string;
  /** Only this folder (default: every folder). */
  readonly folder?: string;
  readonly limit?: number;
  /** Resume after this cursor (results come in cursor order within a folder, folders by name). */
  readonly after?: Cursor;
}
