import type { Attachment, JsonValue, RecipientType } from '@spool/spi';

/** The folders every store has. Inbound messages may also land in custom folders (receiveFolders). */
export const FOLDERS = ['Outbox', 'Sent', 'Inbox', 'Deleted'] as const;

/** One of the built-in folders. */
export type FolderName = (typeof FOLDERS)[number];

/** Where a recipient stands. `pending` is the only non-final outcome. */
export type RecipientState = 'pending' | 'delivered' | 'failed' | 'cancelled';

/** Where a message stands. */
export type MessageState = 'queued' | 'finished' | 'cancelled' | 'received';

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
  /** Epoch ms of the next attempt (pending only). */
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
  /** Position in its folder; `watch()` resumes after it. */
  readonly cursor: number;
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

/** One claimed hand-off: a message and the recipients of it that one route takes now. */
export interface Claim {
  readonly message: StoredMessage;
  readonly recipients: readonly StoredRecipient[];
  /** Preprocess run ids recorded for this hand-off (one per registered preprocessor), before any ran. */
  readonly runIds: readonly string[];
}

/** The outcome of one recipient of a hand-off, as the spooler decided it. */
export type RecipientUpdate =
  | {
      readonly index: number;
      readonly outcome: 'delivered' | 'failed' | 'cancelled';
      readonly error?: string;
    }
  | {
      readonly index: number;
      readonly outcome: 'retry';
      readonly nextAttemptAt: number;
      readonly error?: string;
      readonly countAttempt: boolean;
    }
  | { readonly index: number; readonly outcome: 'reroute'; readonly tried: string; readonly error?: string };

/** A message whose last recipient just got a final outcome. */
export interface FinishedMessage {
  readonly message: StoredMessage;
}

/** Where a finished message goes: a folder, nowhere (deleted), or where it is (keep). */
export type Disposition = { readonly folder: string } | 'delete' | 'keep';

/** What to do with a finished message, decided synchronously while its last outcome is being recorded. */
export interface FinishPlan {
  readonly disposition: Disposition;
  /** Report messages (NDR, DR) to store with it. */
  readonly reports: readonly NewMessage[];
}

/** Extra work a settle does in the same transaction, so a typical hand-off ends with one commit. */
export interface SettleOptions {
  /** Preprocess runs whose `removePreprocessInfo` already ran: marked removed in the same commit. */
  readonly removedRuns?: readonly string[];
  /** The message as claimed: lets the store skip re-reading its body and attachments when it finishes. */
  readonly claimed?: StoredMessage;
  /**
   * Called when this settle finished the message (every recipient final). Returns how to dispose of it, done
   * in the same commit, or null to leave the message finished but undisposed (the spooler runs async
   * sent-mail hooks and calls `finish` itself).
   */
  readonly finish?: (message: StoredMessage) => FinishPlan | null;
}

/** What a settle did: the message if it finished, and whether its disposition was applied too. */
export interface SettleResult {
  readonly finished: StoredMessage | null;
  readonly disposed: boolean;
}

/** A preprocess run recorded by a spooler and never removed. */
export interface OpenPreprocessRun {
  readonly runId: string;
  readonly messageId: string;
  readonly logonId: string;
}

/** What the spooler needs from a store. The embedded SQLite store implements it; a PostgreSQL one can too. */
export interface MessageStore {
  /** Accepts a message into a folder durably; returns the existing id for a repeated idempotency key. */
  insert(message: NewMessage): Promise<{ id: string; duplicate: boolean }>;
  /** Assigns a route to every unrouted pending recipient; `route` returns null when nobody claims it. */
  routePending(
    route: (addressType: string, tried: readonly string[]) => string | null,
    now: number,
  ): Promise<{ finished: FinishedMessage[]; failed: number }>;
  /**
   * Leases up to `limit` hand-offs for `route` (FIFO by submit time, due recipients only) and records
   * `preprocessors` preprocess runs for each, in one transaction.
   */
  claim(
    route: string,
    limit: number,
    now: number,
    owner: string,
    leaseMs: number,
    preprocessors: number,
  ): Promise<Claim[]>;
  /**
   * Records the outcomes of a hand-off, releases its lease, and marks the message finished when every
   * recipient is final; `options` adds the removed preprocess runs and the disposition to the same commit.
   */
  settle(
    messageId: string,
    route: string,
    updates: readonly RecipientUpdate[],
    now: number,
    options?: SettleOptions,
  ): Promise<SettleResult>;
  /** Forgets preprocess runs whose removal ran (they matter only while open, for crash recovery). */
  markRunsRemoved(runIds: readonly string[]): Promise<void>;
  /** Un-routes the pending, unleased recipients of a logon that no longer exists, so routing starts over. */
  unroute(route: string): Promise<void>;
  /** Releases leases that expired (their owner stopped renewing them); returns how many. */
  releaseExpiredLeases(now: number): Promise<number>;
  /** Extends the leases held by `owner`. */
  renewLeases(owner: string, until: number): Promise<void>;
  /** Releases the leases of owners `isDead` says are gone (now), or that expired; returns their open runs. */
  reclaim(isDead: (owner: string) => boolean, now: number): Promise<OpenPreprocessRun[]>;
  /** Moves a finished message to its folder (or deletes it) and stores report messages, in one transaction. */
  finish(
    messageId: string,
    disposition: Disposition,
    reports: readonly NewMessage[],
    now: number,
  ): Promise<void>;
  /** Messages whose recipients are all final but whose disposition never ran (a crash in between). */
  unfinished(): Promise<StoredMessage[]>;
  /** Cancels a queued message: pending recipients become cancelled, the message moves to Deleted. */
  cancel(messageId: string, now: number): Promise<StoredMessage>;
  get(id: string): Promise<StoredMessage | undefined>;
  list(folder: string, options?: { limit?: number; after?: number }): Promise<StoredMessage[]>;
  move(id: string, folder: string): Promise<void>;
  delete(id: string): Promise<void>;
  /** The earliest next attempt after `now` among routed pending recipients not leased, or null. */
  nextDueAt(now: number): Promise<number | null>;
  /** Pending recipients with their next attempt, for `spool queue` and `run --once`. */
  pending(): Promise<
    {
      id: string;
      subject: string;
      address: string;
      route: string | null;
      attempts: number;
      nextAttemptAt: number;
      lastError: string | null;
    }[]
  >;
  /** How many pending recipients are routed to `route` (all routes when null) and due at `now`, leased or not. */
  countDue(route: string | null, now: number): Promise<number>;
  /** Makes every pending recipient of `route` (or all) due now (a flush). */
  makeDue(now: number, route?: string): Promise<void>;
  /** Deletes finished messages older than the retention ages, at most `batch` at a time; returns how many. */
  applyRetention(policy: { sentBefore?: number; deletedBefore?: number }, batch: number): Promise<number>;
  /** A number that changes whenever another process committed (cheap to poll). */
  changeCounter(): number;
  /** Commits so far (for benchmarks). */
  readonly commits: number;
  vacuum(): Promise<void>;
  backup(file: string): Promise<void>;
  close(): Promise<void>;
}
