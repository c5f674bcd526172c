import type { DatabaseSync } from 'node:sqlite';
import type { MessageStore, StoreAdmin } from '../ports.js';
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
} from '../types.js';
import { storeAdmin } from './admin.js';
import { DataVersionFeed } from './change-feed.js';
import { claimHandOffs } from './claim.js';
import { countDue, makeDue, nextDueInMs, pendingRecipients } from './due-times.js';
import { cancelMessage, finishMessage, unfinishedMessages } from './finish.js';
import { insertMessage } from './insert.js';
import { markRunsRemoved, recoverAbandoned, releaseExpiredLeases, renewLeases } from './leases.js';
import { deleteMessage, getMessage, listFolder, moveMessage, searchMessages } from './mailbox.js';
import { openDatabase, readPragmas } from './open-database.js';
import { closeOwner } from './owners.js';
import { applyRetention } from './retention.js';
import {
  routeRecipients,
  savedEntryAddressTypes,
  saveEntryAddressTypes,
  unroutedRecipients,
  unrouteRecipients,
} from './routing.js';
import { settleHandOff } from './settle.js';
import { createStoreContext, type StoreContext } from './store-context.js';

/** Options of the embedded store. */
export interface SqliteStoreOptions {
  /** How long a writer waits for another process's write lock, in ms. */
  readonly busyTimeoutMs?: number;
  /** The store's clock: lease expiry, due times and finish times are read off it (default: the wall clock). */
  readonly clock?: { now(): number };
  /** How often the change feed looks for other processes' commits (default 50 ms). */
  readonly changePollMs?: number;
}

/**
 * The embedded message store: SQLite through Node's built-in `node:sqlite`, WAL journal, `synchronous=FULL`
 * (a commit is on disk when it returns), a busy timeout so a CLI can write while a daemon drains.
 * Every write goes through the group commit (`group-commit.ts`): writes that are ready together share one
 * transaction and one fsync, which is what makes a durable `submit()` cheap under load. What a recipient may
 * become is the recipient state machine's decision (`../recipient-state.ts`); this class only persists it.
 *
 * The class is the store's face: each operation is a function of the instance's {@link StoreContext} in the
 * module named after its concern (insert, routing, claim, settle, finish, leases, due times, retention,
 * mailbox, admin), and this class only opens, delegates and closes.
 */
export class SqliteStore implements MessageStore {
  readonly file: string;
  readonly description: string;
  readonly admin: StoreAdmin;
  readonly #db: DatabaseSync;
  readonly #ctx: StoreContext;
  readonly #feed: DataVersionFeed;

  private constructor(
    file: string,
    db: DatabaseSync,
    options: SqliteStoreOptions,
    migrated: { from: number; to: number },
  ) {
    this.file = file;
    this.description = `sqlite ${file}`;
    this.#db = db;
    this.#ctx = createStoreContext(db, options.clock ?? { now: () => Date.now() });
    this.#feed = new DataVersionFeed(db, options.changePollMs ?? 50);
    this.admin = storeAdmin(this.#ctx, migrated);
  }

  /** Opens (creating on first use) the store file and migrates its schema. */
  static async open(file: string, options: SqliteStoreOptions = {}): Promise<SqliteStore> {
    const { db, migrated } = await openDatabase(file, options.busyTimeoutMs ?? 5000);
    return new SqliteStore(file, db, options, migrated);
  }

  /** The journal mode and sync level in force (asserted by tests: durability depends on them). */
  pragmas(): { journalMode: string; synchronous: number } {
    return readPragmas(this.#db);
  }

  now(): Promise<number> {
    return Promise.resolve(this.#ctx.clock.now());
  }

  // ---------------------------------------------------------------- queue: insert and routing

  insert(message: NewMessage): Promise<InsertResult> {
    return insertMessage(this.#ctx, message);
  }

  unrouted(limit: number): Promise<UnroutedRecipient[]> {
    return unroutedRecipients(this.#ctx, limit);
  }

  route(decisions: readonly RouteDecision[]): Promise<{ finished: StoredMessage[] }> {
    return routeRecipients(this.#ctx, decisions);
  }

  unroute(route: string): Promise<void> {
    return unrouteRecipients(this.#ctx, route);
  }

  saveAddressTypes(entryId: string, addressTypes: readonly string[]): Promise<void> {
    return saveEntryAddressTypes(this.#ctx, entryId, addressTypes);
  }

  savedAddressTypes(): Promise<Map<string, readonly string[]>> {
    return savedEntryAddressTypes(this.#ctx);
  }

  // ---------------------------------------------------------------- queue: hand-offs

  claim(route: string, options: ClaimOptions): Promise<Claim[]> {
    return claimHandOffs(this.#ctx, route, options);
  }

  settle(settlement: Settlement): Promise<SettleResult> {
    return settleHandOff(this.#ctx, settlement);
  }

  finish(
    messageId: string,
    finish: { readonly disposition: Disposition; readonly reports: readonly NewMessage[] },
  ): Promise<void> {
    return finishMessage(this.#ctx, messageId, finish);
  }

  unfinished(): Promise<StoredMessage[]> {
    return unfinishedMessages(this.#ctx);
  }

  cancel(messageId: string, options: { readonly folder: string }): Promise<StoredMessage> {
    return cancelMessage(this.#ctx, messageId, options);
  }

  // ---------------------------------------------------------------- queue: leases and recovery

  renewLeases(leaseMs: number): Promise<void> {
    return renewLeases(this.#ctx, leaseMs);
  }

  releaseExpiredLeases(): Promise<number> {
    return releaseExpiredLeases(this.#ctx);
  }

  recoverAbandoned(): Promise<OpenPreprocessRun[]> {
    return recoverAbandoned(this.#ctx);
  }

  markRunsRemoved(runIds: readonly string[]): Promise<void> {
    return markRunsRemoved(this.#ctx, runIds);
  }

  // ---------------------------------------------------------------- queue: reading and housekeeping

  nextDueInMs(): Promise<number | null> {
    return nextDueInMs(this.#ctx);
  }

  pending(options: { readonly limit?: number } = {}): Promise<PendingRecipient[]> {
    return pendingRecipients(this.#ctx, options);
  }

  countDue(route: string | null, options: { readonly dueBy?: number } = {}): Promise<number> {
    return countDue(this.#ctx, route, options);
  }

  makeDue(route?: string): Promise<void> {
    return makeDue(this.#ctx, route);
  }

  applyRetention(rules: readonly RetentionRule[], batch: number): Promise<number> {
    return applyRetention(this.#ctx, rules, batch);
  }

  // ---------------------------------------------------------------- mailbox

  get(id: string): Promise<StoredMessage | undefined> {
    return getMessage(this.#ctx, id);
  }

  list(folder: string, options: { after?: Cursor; limit?: number } = {}): Promise<StoredMessage[]> {
    return listFolder(this.#ctx, folder, options);
  }

  search(query: SearchQuery): Promise<StoredMessage[]> {
    return searchMessages(this.#ctx, query);
  }

  move(id: string, folder: string): Promise<void> {
    return moveMessage(this.#ctx, id, folder);
  }

  delete(id: string): Promise<void> {
    return deleteMessage(this.#ctx, id);
  }

  // ---------------------------------------------------------------- change feed, close

  subscribe(listener: () => void): () => void {
    return this.#feed.subscribe(listener);
  }

  async close(): Promise<void> {
    this.#feed.stop();
    await this.#ctx.group.drain();
    this.#ctx.statements.clear();
    this.#db.close();
    closeOwner(this.#ctx.owner);
  }
}
