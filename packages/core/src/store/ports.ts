import type {
  Claim,
  ClaimOptions,
  Cursor,
  Disposition,
  InsertResult,
  NewMessage,
  OpenPreprocessRun,
  PendingRecipient,
  RetentionRule,
  RouteDecision,
  SearchQuery,
  Settlement,
  SettleResult,
  StoredMessage,
  UnroutedRecipient,
} from './types.js';

/**
 * The store ports: everything the pipeline, the CLI and the daemon may ask of a message store, grouped by
 * concern. The contract every store keeps is written here and checked by the contract suite
 * (`@spool/core/store-contract`), which every store runs.
 *
 * General rules:
 * - Every operation is async and takes and returns plain data. No operation calls back into its caller.
 * - "Commits atomically" means: after a crash, either all of the call's effects are durable or none is, and
 *   the returned promise resolves only after they are durable.
 * - Instants (epoch ms) the store writes are read off the store's own clock (the embedded store: the clock it
 *   was opened with; a database server: its own time). Callers pass durations, never instants, except the
 *   `dueBy` cut-off, which is an instant the store itself returned from {@link QueueStore.now}. So a spooler
 *   whose clock is skewed cannot take a live lease from another.
 * - Leases: a claim leases recipients to the store instance it was made through (one opened store per
 *   spooler). A lease lasts `leaseMs` unless renewed (heartbeat, {@link QueueStore.renewLeases}); once it has
 *   expired, anyone may take the recipients. A store may also tell sooner that an instance is gone (the
 *   embedded store: a process on this machine that has exited): that is an optimisation, never the rule a
 *   correct result depends on.
 * - Idempotency: an insert with an idempotency key already stored stores nothing and returns the stored id.
 */
export interface QueueStore {
  /** The store's clock (epoch ms): the instant a `dueBy` cut-off refers to. */
  now(): Promise<number>;
  /** Accepts a message into a folder durably (one commit); a repeated idempotency key stores nothing. */
  insert(message: NewMessage): Promise<InsertResult>;
  /** Pending recipients that have no route yet, oldest first, at most `limit`. Reads only. */
  unrouted(limit: number): Promise<UnroutedRecipient[]>;
  /**
   * Records routing decisions in one commit: a route, or a permanent failure with the pipeline's reason.
   * Recipients routed or finished meanwhile are left as they are. Returns the messages this finished.
   */
  route(decisions: readonly RouteDecision[]): Promise<{ finished: StoredMessage[] }>;
  /**
   * Leases up to `limit` hand-offs for `route` — FIFO by submit time, due and unleased recipients only, each
   * message with all of its due recipients on the route — and records `preprocessors` preprocess runs for
   * each, in one commit. Two store instances never lease the same recipient at once.
   */
  claim(route: string, options: ClaimOptions): Promise<Claim[]>;
  /**
   * Ends a hand-off in one commit: records each recipient's update (through the recipient state machine),
   * releases its leases, forgets the removed runs, marks the message finished when every recipient is final
   * and, when it did, applies `ifFinished`. A recipient already final is left as it was.
   */
  settle(settlement: Settlement): Promise<SettleResult>;
  /** Files a finished message (a folder, delete or keep) and stores its report messages, in one commit. */
  finish(
    messageId: string,
    finish: { readonly disposition: Disposition; readonly reports: readonly NewMessage[] },
  ): Promise<void>;
  /** Messages whose recipients are all final but that were never filed (a crash in between, or hooks). */
  unfinished(): Promise<StoredMessage[]>;
  /**
   * Cancels a queued message in one commit: unleased pending recipients become cancelled, the message moves to
   * `folder`. Leased recipients stay pending: their hand-off settles them (as cancelled). Refuses a message
   * that is not queued (`SPOOL_E_ALREADY_FINISHED`) or unknown (`SPOOL_E_MESSAGE_NOT_FOUND`).
   */
  cancel(messageId: string, options: { readonly folder: string }): Promise<StoredMessage>;
  /** Un-routes the pending, unleased recipients of a route that no longer exists, so routing starts over. */
  unroute(route: string): Promise<void>;
  /**
   * Records, durably, the address types a provider entry claimed at its logon, replacing what was recorded
   * for it: an entry that later cannot load keeps claiming them, so its mail waits instead of bouncing.
   * Store ports 1.1 (optional: a 1.0 store lacks it, and its entries fall back to the profile's types).
   */
  saveAddressTypes?(entryId: string, addressTypes: readonly string[]): Promise<void>;
  /** Entry id → the address types last recorded for it (every store instance sees every entry's). 1.1. */
  savedAddressTypes?(): Promise<Map<string, readonly string[]>>;
  /** Extends the leases this store instance holds to `leaseMs` from now (the heartbeat). */
  renewLeases(leaseMs: number): Promise<void>;
  /** Releases leases that expired (their holder stopped renewing them); returns how many recipients. */
  releaseExpiredLeases(): Promise<number>;
  /**
   * What instances that are gone left behind: releases their leases (expired ones, and those of instances the
   * store knows are gone) and returns their preprocess runs that were never removed.
   */
  recoverAbandoned(): Promise<OpenPreprocessRun[]>;
  /** Forgets preprocess runs whose removal ran (they matter only while open, for crash recovery). */
  markRunsRemoved(runIds: readonly string[]): Promise<void>;
  /** How long until the earliest routed, unleased pending recipient that is not due yet is due; null if none. */
  nextDueInMs(): Promise<number | null>;
  /** Pending recipients routed to `route` (every route when null) that are due by `dueBy` (default now), leased or not. */
  countDue(route: string | null, options?: { readonly dueBy?: number }): Promise<number>;
  /** Pending recipients with their next attempt, soonest first, at most `limit` (default 1,000). */
  pending(options?: { readonly limit?: number }): Promise<PendingRecipient[]>;
  /** Makes every pending recipient of `route` (or of every route) due now (a flush). */
  makeDue(route?: string): Promise<void>;
  /** Deletes finished messages older than each rule allows, at most `batch` in all; returns how many. */
  applyRetention(rules: readonly RetentionRule[], batch: number): Promise<number>;
}

/** Reading and filing messages: what `list`, `show`, `move` and `delete` need, and nothing that sends. */
export interface MailboxStore {
  get(id: string): Promise<StoredMessage | undefined>;
  /** Messages of a folder in cursor order after `after`, at most `limit` (default 100). */
  list(
    folder: string,
    options?: { readonly after?: Cursor; readonly limit?: number },
  ): Promise<StoredMessage[]>;
  /** Messages whose subject, sender, a recipient's address or id contains `text` (case-insensitive), in cursor order. */
  search(query: SearchQuery): Promise<StoredMessage[]>;
  /**
   * Moves a message that is not queued to `folder` (it gets a new cursor there). A queued message belongs to
   * the queue until it is finished or cancelled: `SPOOL_E_BAD_FOLDER`.
   */
  move(id: string, folder: string): Promise<void>;
  /** Deletes a message that is not queued, with its attachments. */
  delete(id: string): Promise<void>;
}

/**
 * A signal that the store changed, so work may be due or a folder may have grown. It says nothing of what
 * changed; a listener re-reads. A store signals commits made through other instances (another process, another
 * machine) within a bounded delay; commits through this instance are its caller's to know. Cursor order:
 * a message committed before a signal is visible to a `list` made after it, and a `list({ after })` never
 * skips a committed message, even when writers commit out of the order they started in.
 */
export interface ChangeFeed {
  /** Calls `listener` after changes; returns the function that unsubscribes. */
  subscribe(listener: () => void): () => void;
}

/** Maintenance that only some stores have; a store without it leaves `admin` undefined. */
export interface StoreAdmin {
  /** Writes a consistent copy of the store to `file` while the store stays in use. */
  backup(file: string): Promise<void>;
  /** Compacts the store. */
  vacuum(): Promise<void>;
  /** Brings the schema up to date; the embedded store does this when it opens and reports what it did. */
  migrate(): Promise<{ readonly from: number; readonly to: number }>;
  /** Counters for capacity planning and benchmarks (commits made through this instance, …). */
  counters(): { readonly commits: number };
}

/** A message store: the queue, the mailbox and the change feed, with maintenance where the store has it. */
export interface MessageStore extends QueueStore, MailboxStore, ChangeFeed {
  /** A short description for logs and errors (`sqlite /path/spool.db`), without credentials. */
  readonly description: string;
  readonly admin?: StoreAdmin;
  /** Waits for writes in progress, then releases the store. */
  close(): Promise<void>;
}

/** A store opened to read and file messages only (`openMailbox`): no queue operations. */
export interface Mailbox extends MailboxStore, ChangeFeed {
  readonly description: string;
  readonly admin?: StoreAdmin;
  close(): Promise<void>;
}
