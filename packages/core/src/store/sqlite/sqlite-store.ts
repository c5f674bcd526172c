import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { ErrorCode, isSpoolError, messageOf, spoolError } from '../../errors.js';
import type { MessageStore, StoreAdmin } from '../ports.js';
import {
  afterCancel,
  afterRouting,
  afterUpdate,
  assertCancellable,
  assertFileable,
  isFinal,
  messageAfter,
  messageNotFound,
} from '../recipient-state.js';
import type {
  Claim,
  ClaimOptions,
  Cursor,
  Disposition,
  InsertResult,
  MessageState,
  NewMessage,
  OpenPreprocessRun,
  PendingRecipient,
  RecipientUpdate,
  RetentionRule,
  RouteDecision,
  SearchQuery,
  Settlement,
  SettleResult,
  StoredMessage,
  StoredRecipient,
  UnroutedRecipient,
} from '../types.js';
import { DataVersionFeed } from './change-feed.js';
import { GroupCommit } from './group-commit.js';
import { closeOwner, isGoneOwner, openOwner } from './owners.js';
import { JustQueued, metaJson, runIdTag, toRow } from './row-cache.js';
import {
  FIELD_COLUMNS,
  leasedFields,
  loadMessage,
  loadMessages,
  MESSAGE_WITH_BODY,
  type Row,
  toFields,
  toRecipient,
  withFields,
  writeRecipient,
} from './rows.js';
import { migrate } from './schema.js';

/** Hand-offs in flight whose message this store keeps (see #inFlight); more than any route's maxInFlight needs. */
const IN_FLIGHT_MAX = 4096;

/**
 * A hand-off in flight: the message as claimed without its content (text, HTML and attachments are read back
 * when it finishes), its body id, and how many routes hold it. Keeping the content here too made every
 * claimed body outlive V8's young generation during a drain (+15–20 MB peak RSS on 10,000 messages,
 * measured): the provider has the content while it needs it; the store needs only the envelope and the
 * recipients to settle without reading them back.
 */
interface InFlight {
  readonly message: StoredMessage;
  readonly body: number;
  readonly hasAttachments: boolean;
  claims: number;
}

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
 * Every write goes through {@link GroupCommit}: writes that are ready together share one transaction and
 * one fsync, which is what makes a durable `submit()` cheap under load. What a recipient may become is the
 * recipient state machine's decision (`../recipient-state.ts`); this class only persists it.
 */
export class SqliteStore implements MessageStore {
  readonly file: string;
  readonly description: string;
  readonly admin: StoreAdmin;
  readonly #db: DatabaseSync;
  readonly #group: GroupCommit;
  readonly #clock: { now(): number };
  readonly #feed: DataVersionFeed;
  readonly #statements = new Map<string, StatementSync>();
  /** The lease owner of this instance (see owners.ts). */
  readonly #owner: string;
  readonly #justQueued = new JustQueued();
  /**
   * The messages of hand-offs in flight, by store id, so a settle that finishes one returns it without
   * reading its body and attachments again; and by RFC Message-ID the body ids, because a provider that
   * delivers a message back into this store (loopback does, for every message) would otherwise store its
   * body a second time: a received message with the same Message-ID, text and HTML shares the stored body
   * (see #shareBody). Only ids are kept in the second map: keeping texts measured ~25 MB more peak RSS.
   */
  readonly #inFlight = new Map<string, InFlight>();
  readonly #handedOff = new Map<string, number>();
  /** Makes preprocess run ids unique across processes and restarts (with #runCount within this one). */
  readonly #runTag = runIdTag();
  #runCount = 0;
  /** The cursor sequence while a transaction runs (see #nextCursor); null outside one. */
  #cursor: { value: number; dirty: boolean } | null = null;
  readonly #migrated: { from: number; to: number };

  private constructor(
    file: string,
    db: DatabaseSync,
    options: SqliteStoreOptions,
    migrated: { from: number; to: number },
  ) {
    this.file = file;
    this.description = `sqlite ${file}`;
    this.#db = db;
    this.#clock = options.clock ?? { now: () => Date.now() };
    this.#migrated = migrated;
    this.#owner = openOwner();
    this.#feed = new DataVersionFeed(db, options.changePollMs ?? 50);
    this.#group = new GroupCommit(db, {
      beforeCommit: () => {
        if (this.#cursor?.dirty)
          this.#sql("UPDATE sequence SET value = ? WHERE name = 'cursor'").run(this.#cursor.value);
      },
      afterEnd: () => {
        this.#cursor = null;
      },
    });
    this.admin = {
      backup: (target) => this.#backup(target),
      vacuum: () => this.#vacuum(),
      migrate: () => Promise.resolve({ ...this.#migrated }),
      counters: () => ({ commits: this.#group.commits }),
    };
  }

  /** Opens (creating on first use) the store file and migrates its schema. */
  static async open(file: string, options: SqliteStoreOptions = {}): Promise<SqliteStore> {
    const { DatabaseSync } = await import('node:sqlite');
    mkdirSync(dirname(file), { recursive: true });
    let db: DatabaseSync;
    try {
      db = new DatabaseSync(file);
      db.exec(`PRAGMA busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
      db.exec('PRAGMA journal_mode = WAL');
      db.exec('PRAGMA synchronous = FULL');
      db.exec('PRAGMA temp_store = MEMORY');
      // node:sqlite turns foreign keys on by default; migrations run with them off (see migrate()).
      db.exec('PRAGMA foreign_keys = OFF');
    } catch (error) {
      throw spoolError(
        ErrorCode.STORE_FAILED,
        `could not open the store ${file}: ${messageOf(error)}`,
        'Check that the directory is writable and the file is a spool store (SQLite).',
        { file },
        error,
      );
    }
    let migrated: { from: number; to: number };
    try {
      migrated = migrate(db, file); // with foreign keys still off: see migrate()
    } catch (error) {
      db.close();
      if (isSpoolError(error)) throw error;
      throw spoolError(
        ErrorCode.STORE_FAILED,
        `could not bring the store ${file} up to date: ${messageOf(error)}`,
        'Nothing was changed (the migration was rolled back). Restore a backup, or report the message above.',
        { file },
        error,
      );
    }
    db.exec('PRAGMA foreign_keys = ON');
    return new SqliteStore(file, db, options, migrated);
  }

  /** The journal mode and sync level in force (asserted by tests: durability depends on them). */
  pragmas(): { journalMode: string; synchronous: number } {
    const journal = this.#db.prepare('PRAGMA journal_mode').get() as { journal_mode: string };
    const sync = this.#db.prepare('PRAGMA synchronous').get() as { synchronous: number };
    return { journalMode: journal.journal_mode, synchronous: Number(sync.synchronous) };
  }

  #sql = (sql: string): StatementSync => {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  };

  #now(): number {
    return this.#clock.now();
  }

  now(): Promise<number> {
    return Promise.resolve(this.#now());
  }

  /**
   * The next folder position. Read once per transaction and written back once before its COMMIT (the group
   * commit's hooks): a transaction holds the write lock from BEGIN IMMEDIATE, so no other process can take
   * a number in between, and one UPDATE per commit replaces one per message. Cursor order is therefore commit
   * order, which is what lets `list({ after })` never skip a committed message. Gaps (a rolled-back write) are fine.
   */
  #nextCursor(): number {
    if (this.#cursor === null) {
      const row = this.#sql("SELECT value FROM sequence WHERE name = 'cursor'").get() as { value: number };
      this.#cursor = { value: Number(row.value), dirty: false };
    }
    this.#cursor.value += 1;
    this.#cursor.dirty = true;
    return this.#cursor.value;
  }

  // ---------------------------------------------------------------- queue: insert and routing

  insert(message: NewMessage): Promise<InsertResult> {
    return this.#group.write(() => this.#insertNow(message));
  }

  #insertNow(message: NewMessage): InsertResult {
    if (message.idempotencyKey !== null) {
      const existing = this.#sql('SELECT id, message_id FROM messages WHERE idempotency_key = ?').get(
        message.idempotencyKey,
      ) as { id: string; message_id: string } | undefined;
      if (existing) return { id: existing.id, messageId: existing.message_id, duplicate: true };
    }
    const cursor = this.#nextCursor();
    const queued = message.state === 'queued';
    const body =
      (message.state === 'received' ? this.#shareBody(message) : null) ??
      Number(
        this.#sql('INSERT INTO bodies (text, html) VALUES (?, ?)').run(message.text, message.html)
          .lastInsertRowid,
      );
    const meta = metaJson(message);
    this.#sql(
      `INSERT INTO messages (id, folder, state, message_id, idempotency_key, from_addr, subject, message_class, submitted_at, cursor, body, meta)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      message.id,
      message.folder,
      message.state,
      message.messageId,
      message.idempotencyKey,
      message.from,
      message.subject,
      message.messageClass,
      message.submittedAt,
      cursor,
      body,
      meta,
    );
    if (queued) {
      // Only a queued message's row is kept (for its claim); a received one is written and forgotten.
      this.#justQueued.keep(toRow(message, cursor, body, meta));
      const insertRecipient = this.#sql(
        `INSERT INTO recipients (message, idx, address, address_type, value, type, route, outcome, next_attempt_at, submitted_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
      );
      message.recipients.forEach((r, index) => {
        insertRecipient.run(
          message.id,
          index,
          r.address,
          r.addressType,
          r.value,
          r.type,
          r.route ?? null,
          message.submittedAt,
          message.submittedAt,
        );
      });
    }
    const insertAttachment = this.#sql(
      'INSERT INTO attachments (message, idx, filename, content_type, content_id, content) VALUES (?, ?, ?, ?, ?, ?)',
    );
    message.attachments.forEach((a, index) => {
      insertAttachment.run(message.id, index, a.filename, a.contentType, a.contentId ?? null, a.content);
    });
    return { id: message.id, messageId: message.messageId, duplicate: false };
  }

  /**
   * The stored body a received message can point at instead of a copy of its own (single-instance storage),
   * counted as one more share; null when no hand-off in flight has the same Message-ID and content.
   */
  #shareBody(message: NewMessage): number | null {
    const candidate = this.#handedOff.get(message.messageId);
    if (candidate === undefined) return null;
    // Counted only when the content is the same, and while the body exists: it goes with its last message.
    const shared = this.#sql(
      `INSERT INTO body_shares (body, refs) SELECT id, 2 FROM bodies WHERE id = ? AND text IS ? AND html IS ?
       ON CONFLICT (body) DO UPDATE SET refs = refs + 1`,
    ).run(candidate, message.text, message.html);
    return Number(shared.changes) === 1 ? candidate : null;
  }

  unrouted(limit: number): Promise<UnroutedRecipient[]> {
    const rows = this.#sql(
      "SELECT message, idx, address_type, tried FROM recipients INDEXED BY recipients_unrouted WHERE outcome = 'pending' AND route IS NULL ORDER BY submitted_at LIMIT ?",
    ).all(limit) as { message: string; idx: number; address_type: string; tried: string }[];
    return Promise.resolve(
      rows.map((r) => ({
        messageId: r.message,
        index: Number(r.idx),
        addressType: r.address_type,
        tried: JSON.parse(r.tried) as string[],
      })),
    );
  }

  route(decisions: readonly RouteDecision[]): Promise<{ finished: StoredMessage[] }> {
    if (decisions.length === 0) return Promise.resolve({ finished: [] });
    return this.#group.write(() => {
      const now = this.#now();
      const read = this.#sql(`SELECT ${FIELD_COLUMNS} FROM recipients WHERE message = ? AND idx = ?`);
      const failedIn = new Set<string>();
      for (const decision of decisions) {
        const row = read.get(decision.messageId, decision.index) as Row | undefined;
        if (!row) continue;
        const before = toFields(row, now);
        const after = afterRouting(before, decision);
        if (!after) continue;
        writeRecipient(this.#sql, decision.messageId, decision.index, before, after);
        if (after.outcome === 'failed') failedIn.add(decision.messageId);
      }
      const finished: StoredMessage[] = [];
      for (const id of failedIn) {
        const message = this.#markIfFinished(id, now);
        if (message) finished.push(message);
      }
      return { finished };
    });
  }

  /** Marks a queued message finished when its recipients are all final; returns it then. */
  #markIfFinished(id: string, now: number): StoredMessage | null {
    const state = this.#stateOf(id);
    if (state === undefined) return null;
    const outcomes = (
      this.#sql('SELECT outcome FROM recipients WHERE message = ?').all(id) as { outcome: string }[]
    ).map((r) => r.outcome as 'pending');
    const next = messageAfter(state, outcomes);
    if (next.state === state) {
      if (state === 'cancelled' && next.ended) this.#stampCancelledEnd(id, now);
      return null;
    }
    this.#justQueued.drop(id);
    this.#sql("UPDATE messages SET state = 'finished' WHERE id = ?").run(id);
    return loadMessage(this.#sql, id) ?? null;
  }

  #stateOf(id: string): MessageState | undefined {
    return (
      this.#sql('SELECT state FROM messages WHERE id = ?').get(id) as { state: MessageState } | undefined
    )?.state;
  }

  /** A cancelled message whose last in-flight recipient just settled: stamp when it ended. */
  #stampCancelledEnd(id: string, now: number): void {
    this.#sql(
      "UPDATE messages SET finished_at = ? WHERE id = ? AND state = 'cancelled' AND finished_at IS NULL",
    ).run(now, id);
  }

  // ---------------------------------------------------------------- queue: hand-offs

  claim(route: string, options: ClaimOptions): Promise<Claim[]> {
    if (options.limit <= 0) return Promise.resolve([]);
    return this.#group.write(() => {
      const now = this.#now();
      // Recipients of one message are adjacent in this order: read until `limit` messages are complete.
      const rows = this.#sql(
        `SELECT message, idx FROM recipients INDEXED BY recipients_claimable
         WHERE outcome = 'pending' AND lease_owner IS NULL AND route = ? AND next_attempt_at <= ?
         ORDER BY submitted_at, message, idx`,
      ).iterate(route, options.dueBy ?? now) as IterableIterator<{ message: string; idx: number }>;
      const byMessage = new Map<string, number[]>();
      for (const row of rows) {
        const list = byMessage.get(row.message);
        if (list) list.push(Number(row.idx));
        else if (byMessage.size < options.limit) byMessage.set(row.message, [Number(row.idx)]);
        else break; // the first recipient of one message too many: the iterator is closed by the break
      }
      const lease = this.#sql(
        'UPDATE recipients SET lease_owner = ?, lease_expires = ? WHERE message = ? AND idx = ?',
      );
      const record = this.#sql(
        'INSERT INTO preprocess_runs (run_id, message, logon, owner, recorded_at) VALUES (?, ?, ?, ?, ?)',
      );
      const claims: Claim[] = [];
      const routeLabel = route.replace(/[^A-Za-z0-9._-]/g, '_');
      for (const [messageId, indexes] of byMessage) {
        for (const index of indexes) lease.run(this.#owner, now + options.leaseMs, messageId, index);
        const runIds: string[] = [];
        for (let k = 0; k < options.preprocessors; k++) {
          // Unique without a clock or a random number per run: this store's tag and a counter. The last
          // segment is the preprocessor's index, which recoverAbandoned reads back.
          const runId = `${messageId}.${routeLabel}.${this.#runTag}${(++this.#runCount).toString(36)}.${k}`;
          record.run(runId, messageId, route, this.#owner, now);
          runIds.push(runId);
        }
        const row = this.#justQueued.take(messageId) ?? this.#readRow(messageId);
        const message = loadMessage(this.#sql, messageId, row)!;
        this.#rememberHandOff(message, Number(row?.body));
        const chosen = new Set(indexes);
        claims.push({ message, recipients: message.recipients.filter((r) => chosen.has(r.index)), runIds });
      }
      return claims;
    });
  }

  /** The claimed envelope with its content read back: the body by its id, and attachments if it has any. */
  #withContent(claimed: InFlight): StoredMessage {
    const body = this.#sql('SELECT text, html FROM bodies WHERE id = ?').get(claimed.body) as
      | { text: string | null; html: string | null }
      | undefined;
    const attachments = claimed.hasAttachments
      ? (loadMessage(this.#sql, claimed.message.id)?.attachments ?? [])
      : [];
    return { ...claimed.message, text: body?.text ?? null, html: body?.html ?? null, attachments };
  }

  #readRow(id: string): Row | undefined {
    return this.#sql(`${MESSAGE_WITH_BODY} WHERE m.id = ?`).get(id) as Row | undefined;
  }

  /** Keeps a message being handed off, for its settle and for a copy of it the provider may bring back. */
  #rememberHandOff(message: StoredMessage, body: number): void {
    const known = this.#inFlight.get(message.id);
    if (known) known.claims += 1;
    else {
      if (this.#inFlight.size >= IN_FLIGHT_MAX) this.#inFlight.delete(this.#inFlight.keys().next().value!);
      this.#inFlight.set(message.id, {
        message: { ...message, text: null, html: null, attachments: [] },
        body,
        hasAttachments: message.attachments.length > 0,
        claims: 1,
      });
    }
    if (this.#handedOff.size >= IN_FLIGHT_MAX) this.#handedOff.delete(this.#handedOff.keys().next().value!);
    this.#handedOff.set(message.messageId, body);
  }

  /** The hand-off ended: forget its message once no other route holds it. */
  #forgetHandOff(id: string): InFlight | undefined {
    const known = this.#inFlight.get(id);
    if (!known) return undefined;
    // A copy the provider brings back from now on is stored in full.
    this.#handedOff.delete(known.message.messageId);
    known.claims -= 1;
    if (known.claims <= 0) this.#inFlight.delete(id);
    return known;
  }

  settle(settlement: Settlement): Promise<SettleResult> {
    return this.#group.write((): SettleResult => {
      const { messageId } = settlement;
      const claimed = this.#forgetHandOff(messageId);
      if (settlement.removedRuns) this.#deleteRuns(settlement.removedRuns);
      const state = this.#stateOf(messageId);
      if (state === undefined) return { finished: null, disposed: false }; // deleted meanwhile
      const now = this.#now();
      const recipients =
        (claimed && state === 'queued'
          ? this.#settleFromClaim(claimed.message, settlement.updates, now)
          : undefined) ?? this.#settleFromRows(messageId, settlement.updates, state, now);
      const next = messageAfter(
        state,
        recipients.map((r) => r.outcome),
      );
      if (next.state === state) {
        if (state === 'cancelled' && next.ended) this.#stampCancelledEnd(messageId, now);
        return { finished: null, disposed: false };
      }
      // The claimed envelope is right (it does not change while queued): only the outcomes are new.
      const base = claimed ? this.#withContent(claimed) : loadMessage(this.#sql, messageId)!;
      const finished: StoredMessage = { ...base, state: 'finished', recipients };
      const plan = settlement.ifFinished;
      if (!plan || (plan.unlessFailed && recipients.some((r) => r.outcome === 'failed'))) {
        this.#justQueued.drop(messageId);
        this.#sql("UPDATE messages SET state = 'finished' WHERE id = ?").run(messageId);
        return { finished, disposed: false };
      }
      this.#finishNow(messageId, plan.disposition, [], now);
      return { finished, disposed: true };
    });
  }

  /**
   * The common settle without reading the recipients back: this instance's claimed copy is their current
   * state when every recipient the settle does not update was already final at claim time (final outcomes
   * never change) and the ones it updates are still leased by this instance (nobody else writes them then).
   * Returns the recipients after the updates, or undefined when the copy cannot be trusted: then the updates
   * not yet written are applied from the rows (#settleFromRows).
   */
  #settleFromClaim(
    message: StoredMessage,
    updates: readonly RecipientUpdate[],
    now: number,
  ): StoredRecipient[] | undefined {
    // Most settles update one or two recipients: a scan is cheaper than a Map then; a large fan-out gets one.
    const byIndex = updates.length > 8 ? new Map(updates.map((u) => [u.index, u])) : undefined;
    const updateOf = (index: number) =>
      byIndex ? byIndex.get(index) : updates.find((u) => u.index === index);
    for (const r of message.recipients) if (!isFinal(r.outcome) && !updateOf(r.index)) return undefined;
    const recipients: StoredRecipient[] = [];
    for (const recipient of message.recipients) {
      const update = updateOf(recipient.index);
      const before = update && leasedFields(recipient);
      const after = update && afterUpdate(before!, update, 'queued', now);
      if (!after) {
        recipients.push(recipient);
        continue;
      }
      if (!writeRecipient(this.#sql, message.id, recipient.index, before!, after, this.#owner)) {
        // The lease was lost (it expired and another instance took the recipient): settle what is left
        // against the rows, as any other settle.
        const left = updates.filter((u) => u.index >= recipient.index);
        return this.#settleFromRows(message.id, left, 'queued', now);
      }
      recipients.push(withFields(recipient, after));
    }
    return recipients;
  }

  /** Applies recipient updates through the state machine to the recipients as stored; returns them all. */
  #settleFromRows(
    messageId: string,
    updates: readonly RecipientUpdate[],
    state: MessageState,
    now: number,
  ): StoredRecipient[] {
    const rows = this.#sql('SELECT * FROM recipients WHERE message = ? ORDER BY idx').all(messageId) as Row[];
    const byIndex = new Map(updates.map((u) => [u.index, u]));
    return rows.map((row) => {
      const recipient = toRecipient(row);
      const update = byIndex.get(recipient.index);
      if (!update) return recipient;
      const before = toFields(row, now);
      const after = afterUpdate(before, update, state, now);
      if (!after) return recipient;
      writeRecipient(this.#sql, messageId, recipient.index, before, after);
      return withFields(recipient, after);
    });
  }

  finish(
    messageId: string,
    finish: { readonly disposition: Disposition; readonly reports: readonly NewMessage[] },
  ): Promise<void> {
    return this.#group.write(() =>
      this.#finishNow(messageId, finish.disposition, finish.reports, this.#now()),
    );
  }

  #finishNow(messageId: string, disposition: Disposition, reports: readonly NewMessage[], now: number): void {
    this.#justQueued.drop(messageId);
    for (const report of reports) this.#insertNow(report);
    if (disposition === 'delete') {
      this.#sql('DELETE FROM messages WHERE id = ?').run(messageId);
    } else if (disposition === 'keep') {
      this.#sql("UPDATE messages SET state = 'finished', finished_at = ? WHERE id = ?").run(now, messageId);
    } else {
      // state too: a settle that finishes and files a message does both in this single UPDATE.
      this.#sql(
        "UPDATE messages SET state = 'finished', folder = ?, finished_at = ?, cursor = ? WHERE id = ?",
      ).run(disposition.folder, now, this.#nextCursor(), messageId);
    }
  }

  unfinished(): Promise<StoredMessage[]> {
    const rows = this.#sql(
      `${MESSAGE_WITH_BODY} WHERE m.state = 'finished' AND m.finished_at IS NULL ORDER BY m.submitted_at`,
    ).all() as Row[];
    return Promise.resolve(loadMessages(this.#sql, rows));
  }

  cancel(messageId: string, options: { readonly folder: string }): Promise<StoredMessage> {
    return this.#group.write(() => {
      const now = this.#now();
      this.#justQueued.drop(messageId);
      const row = this.#sql('SELECT state, folder FROM messages WHERE id = ?').get(messageId) as
        | { state: MessageState; folder: string }
        | undefined;
      if (!row) throw messageNotFound(messageId);
      assertCancellable(messageId, row.state, row.folder);
      let open = 0;
      for (const recipient of this.#sql(
        "SELECT * FROM recipients WHERE message = ? AND outcome = 'pending'",
      ).all(messageId) as Row[]) {
        const before = toFields(recipient, now);
        const after = afterCancel(before);
        if (after) writeRecipient(this.#sql, messageId, Number(recipient.idx), before, after);
        else open++; // in flight: its hand-off settles it as cancelled
      }
      this.#sql(
        "UPDATE messages SET state = 'cancelled', folder = ?, cursor = ?, finished_at = ? WHERE id = ?",
      ).run(options.folder, this.#nextCursor(), open === 0 ? now : null, messageId);
      return loadMessage(this.#sql, messageId)!;
    });
  }

  unroute(route: string): Promise<void> {
    return this.#group.write(() => {
      this.#sql(
        "UPDATE recipients SET route = NULL WHERE route = ? AND outcome = 'pending' AND lease_owner IS NULL",
      ).run(route);
    });
  }

  // ---------------------------------------------------------------- queue: leases and recovery

  renewLeases(leaseMs: number): Promise<void> {
    return this.#group.write(() => {
      this.#sql('UPDATE recipients SET lease_expires = ? WHERE lease_owner = ?').run(
        this.#now() + leaseMs,
        this.#owner,
      );
    });
  }

  releaseExpiredLeases(): Promise<number> {
    const now = this.#now();
    // Most of the time nothing expired: a read keeps the periodic check from costing a commit. Both go
    // through the leased-rows index, so only what is in flight is looked at, never the delivered history.
    const expired = 'lease_owner IS NOT NULL AND lease_expires < ?';
    if (!this.#sql(`SELECT 1 FROM recipients INDEXED BY recipients_leased WHERE ${expired} LIMIT 1`).get(now))
      return Promise.resolve(0);
    return this.#group.write(() =>
      Number(
        this.#sql(
          `UPDATE recipients INDEXED BY recipients_leased SET lease_owner = NULL, lease_expires = NULL WHERE ${expired}`,
        ).run(this.#now()).changes,
      ),
    );
  }

  recoverAbandoned(): Promise<OpenPreprocessRun[]> {
    return this.#group.write(() => {
      const owners = this.#sql(
        'SELECT DISTINCT lease_owner AS owner FROM recipients WHERE lease_owner IS NOT NULL UNION SELECT DISTINCT owner FROM preprocess_runs',
      ).all() as { owner: string }[];
      const gone = owners.map((r) => r.owner).filter((owner) => owner !== this.#owner && isGoneOwner(owner));
      const release = this.#sql(
        'UPDATE recipients SET lease_owner = NULL, lease_expires = NULL WHERE lease_owner = ?',
      );
      for (const owner of gone) release.run(owner);
      this.#sql('UPDATE recipients SET lease_owner = NULL, lease_expires = NULL WHERE lease_expires < ?').run(
        this.#now(),
      );
      const runs: OpenPreprocessRun[] = [];
      const select = this.#sql(
        'SELECT run_id, message, logon FROM preprocess_runs WHERE owner = ? ORDER BY recorded_at',
      );
      for (const owner of gone) {
        for (const row of select.all(owner) as { run_id: string; message: string; logon: string }[]) {
          runs.push({
            runId: row.run_id,
            messageId: row.message,
            logonId: row.logon,
            preprocessor: Number(row.run_id.split('.').at(-1)),
          });
        }
      }
      return runs;
    });
  }

  markRunsRemoved(runIds: readonly string[]): Promise<void> {
    if (runIds.length === 0) return Promise.resolve();
    return this.#group.write(() => this.#deleteRuns(runIds));
  }

  #deleteRuns(runIds: readonly string[]): void {
    // A removed run is of no further use: deleting it keeps the table as small as what is in flight.
    const remove = this.#sql('DELETE FROM preprocess_runs WHERE run_id = ?');
    for (const id of runIds) remove.run(id);
  }

  // ---------------------------------------------------------------- queue: reading and housekeeping

  nextDueInMs(): Promise<number | null> {
    const now = this.#now();
    // Only future attempts: what is due now is either being claimed or waits for a busy route's next free
    // slot, whose hand-off wakes the spooler when it ends. Starting the index scan at `now` also skips the
    // in-flight rows at the head of the queue.
    const row = this.#sql(
      "SELECT min(next_attempt_at) AS at FROM recipients WHERE outcome = 'pending' AND next_attempt_at > ? AND route IS NOT NULL AND lease_owner IS NULL",
    ).get(now) as { at: number | null };
    return Promise.resolve(row.at === null ? null : Number(row.at) - now);
  }

  pending(options: { readonly limit?: number } = {}): Promise<PendingRecipient[]> {
    const rows = this.#sql(
      `SELECT m.id, m.subject, r.address, r.route, r.attempts, r.next_attempt_at, r.last_error
       FROM recipients r JOIN messages m ON m.id = r.message WHERE r.outcome = 'pending' ORDER BY r.next_attempt_at, r.submitted_at LIMIT ?`,
    ).all(options.limit ?? 1000) as Row[];
    return Promise.resolve(
      rows.map((r) => ({
        id: String(r.id),
        subject: String(r.subject),
        address: String(r.address),
        route: r.route === null ? null : String(r.route),
        attempts: Number(r.attempts),
        nextAttemptAt: Number(r.next_attempt_at),
        lastError: r.last_error === null ? null : String(r.last_error),
      })),
    );
  }

  countDue(route: string | null, options: { readonly dueBy?: number } = {}): Promise<number> {
    const dueBy = options.dueBy ?? this.#now();
    const row = (
      route === null
        ? this.#sql(
            "SELECT count(*) AS n FROM recipients WHERE outcome = 'pending' AND next_attempt_at <= ?",
          ).get(dueBy)
        : this.#sql(
            "SELECT count(*) AS n FROM recipients WHERE outcome = 'pending' AND route = ? AND next_attempt_at <= ?",
          ).get(route, dueBy)
    ) as { n: number };
    return Promise.resolve(Number(row.n));
  }

  makeDue(route?: string): Promise<void> {
    return this.#group.write(() => {
      const now = this.#now();
      if (route === undefined)
        this.#sql(
          "UPDATE recipients SET next_attempt_at = ? WHERE outcome = 'pending' AND next_attempt_at > ?",
        ).run(now, now);
      else
        this.#sql(
          "UPDATE recipients SET next_attempt_at = ? WHERE outcome = 'pending' AND route = ? AND next_attempt_at > ?",
        ).run(now, route, now);
    });
  }

  applyRetention(rules: readonly RetentionRule[], batch: number): Promise<number> {
    return this.#group.write(() => {
      const now = this.#now();
      let removed = 0;
      for (const rule of rules) {
        if (removed >= batch) break;
        const result = this.#sql(
          'DELETE FROM messages WHERE id IN (SELECT id FROM messages WHERE folder = ? AND finished_at IS NOT NULL AND finished_at < ? LIMIT ?)',
        ).run(rule.folder, now - rule.olderThanMs, batch - removed);
        removed += Number(result.changes);
      }
      return removed;
    });
  }

  // ---------------------------------------------------------------- mailbox

  get(id: string): Promise<StoredMessage | undefined> {
    return Promise.resolve(loadMessage(this.#sql, id));
  }

  list(folder: string, options: { after?: Cursor; limit?: number } = {}): Promise<StoredMessage[]> {
    const rows = this.#sql(
      `${MESSAGE_WITH_BODY} WHERE m.folder = ? AND m.cursor > ? ORDER BY m.cursor LIMIT ?`,
    ).all(folder, cursorNumber(options.after), options.limit ?? 100) as Row[];
    return Promise.resolve(loadMessages(this.#sql, rows));
  }

  search(query: SearchQuery): Promise<StoredMessage[]> {
    const like = `%${query.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const rows = this.#sql(
      `${MESSAGE_WITH_BODY} WHERE (?1 IS NULL OR m.folder = ?1) AND m.cursor > ?2 AND (
         m.id LIKE ?3 ESCAPE '\\' OR m.subject LIKE ?3 ESCAPE '\\' OR m.from_addr LIKE ?3 ESCAPE '\\'
         OR EXISTS (SELECT 1 FROM recipients r WHERE r.message = m.id AND r.address LIKE ?3 ESCAPE '\\')
         OR EXISTS (SELECT 1 FROM json_each(m.meta, '$.recipients') j WHERE json_extract(j.value, '$.address') LIKE ?3 ESCAPE '\\'))
       ORDER BY m.cursor LIMIT ?4`,
    ).all(query.folder ?? null, cursorNumber(query.after), like, query.limit ?? 100) as Row[];
    return Promise.resolve(loadMessages(this.#sql, rows));
  }

  move(id: string, folder: string): Promise<void> {
    return this.#group.write(() => {
      this.#requireFileable(id, 'moved');
      this.#sql('UPDATE messages SET folder = ?, cursor = ? WHERE id = ?').run(
        folder,
        this.#nextCursor(),
        id,
      );
    });
  }

  delete(id: string): Promise<void> {
    return this.#group.write(() => {
      this.#requireFileable(id, 'deleted');
      this.#sql('DELETE FROM messages WHERE id = ?').run(id);
    });
  }

  #requireFileable(id: string, action: 'moved' | 'deleted'): void {
    const state = this.#stateOf(id);
    if (state === undefined) throw messageNotFound(id);
    assertFileable(id, state, action);
  }

  // ---------------------------------------------------------------- change feed, admin, close

  subscribe(listener: () => void): () => void {
    return this.#feed.subscribe(listener);
  }

  async #vacuum(): Promise<void> {
    await this.#group.drain();
    this.#db.exec('VACUUM');
    this.#db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  }

  async #backup(file: string): Promise<void> {
    await this.#group.drain();
    // VACUUM INTO writes a consistent, compacted copy while other connections keep reading and writing.
    this.#db.prepare('VACUUM INTO ?').run(file);
  }

  async close(): Promise<void> {
    this.#feed.stop();
    await this.#group.drain();
    this.#statements.clear();
    this.#db.close();
    closeOwner(this.#owner);
  }
}

/** A cursor as this store's number: decimal integers; none (or an empty string) is the start. */
function cursorNumber(cursor: Cursor | undefined): number {
  if (cursor === undefined || cursor === '') return 0;
  const value = Number(cursor);
  if (!Number.isSafeInteger(value) || value < 0)
    throw spoolError(
      ErrorCode.BAD_MESSAGE,
      `"${cursor}" is not a cursor of this store`,
      'Pass a cursor this store returned (a message’s `cursor`), or none to start at the beginning.',
      { cursor },
    );
  return value;
}
