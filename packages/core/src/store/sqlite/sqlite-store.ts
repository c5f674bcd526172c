import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import type { Attachment, JsonValue, RecipientType } from '@spool/spi';
import { ErrorCode, isSpoolError, messageOf, spoolError } from '../../errors.js';
import { randomHex } from '../../util/random-hex.js';
import type {
  Claim,
  Disposition,
  FinishedMessage,
  MessageState,
  MessageStore,
  NewMessage,
  OpenPreprocessRun,
  RecipientState,
  RecipientUpdate,
  SettleOptions,
  SettleResult,
  StoredMessage,
  StoredRecipient,
} from '../types.js';
import { GroupCommit } from './group-commit.js';
import { migrate } from './schema.js';

type Row = Record<string, SQLInputValue>;

/** How many just-queued rows the store keeps for their claims (see #justQueued), and their bodies' total size. */
const JUST_QUEUED_MAX = 1024;
const JUST_QUEUED_MAX_CHARS = 4 * 1024 * 1024;

/** Body ids of hand-offs in flight kept for sharing (see #handedOff); more than any route's maxInFlight needs. */
const HANDED_OFF_MAX = 4096;

/** What the message row keeps as JSON beside its columns (the body is a row of its own). */
interface MessageMeta {
  properties: Record<string, JsonValue>;
  reports: { delivery: boolean; nonDelivery: boolean };
  deleteAfterSubmit: boolean;
  /**
   * The recipients of a received message. They are part of its content: nothing routes, leases or retries
   * them, so they stay out of the recipients table, which holds the Outbox's per-recipient state (one row
   * less to write, and to index, per received message). Absent for queued messages and for messages stored
   * before this field existed: their recipients are rows.
   */
  recipients?: readonly { address: string; addressType: string; value: string; type: RecipientType }[];
  /** How many attachments the message has (absent in older rows): 0 saves looking for them. */
  attachments?: number;
}

/** Options of the embedded store. */
export interface SqliteStoreOptions {
  /** How long a writer waits for another process's write lock, in ms. */
  readonly busyTimeoutMs?: number;
}

/**
 * The embedded message store: SQLite through Node's built-in `node:sqlite`, WAL journal, `synchronous=FULL`
 * (a commit is on disk when it returns), a busy timeout so a CLI can write while a daemon drains.
 * Every write goes through {@link GroupCommit}: writes that are ready together share one transaction and
 * one fsync, which is what makes a durable `submit()` cheap under load.
 */
export class SqliteStore implements MessageStore {
  readonly file: string;
  readonly #db: DatabaseSync;
  readonly #group: GroupCommit;
  readonly #statements = new Map<string, StatementSync>();
  /**
   * The rows of messages this process just stored as queued, kept for the claim that hands each one off,
   * usually moments later, so that claim reads only recipients and attachments. A queued message's row and
   * body do not change until it is cancelled or finished, which drop the entry, as does its claim.
   * Bounded in count and characters: what is left out (the newest, when full) is read from the store as usual. An entry of a write that was rolled back is
   * never asked for (claims only see committed ids).
   */
  readonly #justQueued = new Map<string, Row>();
  /** Text and HTML characters held by #justQueued. */
  #justQueuedChars = 0;
  /**
   * The body ids of messages handed to a provider and not yet settled, by RFC Message-ID: a provider that
   * delivers a message back into this store (loopback does, for every message) would otherwise store its
   * body a second time. A received message with the same Message-ID, text and HTML shares the stored body
   * instead (see #shareBody). Equal content is what makes sharing right; the Message-ID only finds the
   * candidate. Only ids are kept: keeping the texts here too measured ~25 MB more peak RSS on a drain.
   */
  readonly #handedOff = new Map<string, number>();
  /** Makes preprocess run ids unique across processes and restarts (with #runCount within this one). */
  readonly #runTag = randomHex(8);
  #runCount = 0;
  /** The cursor sequence while a transaction runs (see #nextCursor); null outside one. */
  #cursor: { value: number; dirty: boolean } | null = null;

  private constructor(file: string, db: DatabaseSync) {
    this.file = file;
    this.#db = db;
    this.#group = new GroupCommit(db, {
      beforeCommit: () => {
        if (this.#cursor?.dirty)
          this.#sql("UPDATE sequence SET value = ? WHERE name = 'cursor'").run(this.#cursor.value);
      },
      afterEnd: () => {
        this.#cursor = null;
      },
    });
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
    try {
      migrate(db, file); // with foreign keys still off: see migrate()
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
    return new SqliteStore(file, db);
  }

  /** The journal mode and sync level in force (asserted by tests: durability depends on them). */
  pragmas(): { journalMode: string; synchronous: number } {
    const journal = this.#db.prepare('PRAGMA journal_mode').get() as { journal_mode: string };
    const sync = this.#db.prepare('PRAGMA synchronous').get() as { synchronous: number };
    return { journalMode: journal.journal_mode, synchronous: Number(sync.synchronous) };
  }

  get commits(): number {
    return this.#group.commits;
  }

  #sql(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /**
   * The next folder position. Read once per transaction and written back once before its COMMIT (the group
   * commit's hooks): a transaction holds the write lock from BEGIN IMMEDIATE, so no other process can take
   * a number in between, and one UPDATE per commit replaces one per message. Gaps (a rolled-back write) are fine.
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

  #insertNow(message: NewMessage): { id: string; duplicate: boolean } {
    if (message.idempotencyKey !== null) {
      const existing = this.#sql('SELECT id FROM messages WHERE idempotency_key = ?').get(
        message.idempotencyKey,
      ) as { id: string } | undefined;
      if (existing) return { id: existing.id, duplicate: true };
    }
    const cursor = this.#nextCursor();
    const pending = message.state === 'queued';
    const meta: MessageMeta = {
      properties: { ...message.properties },
      reports: message.reports,
      deleteAfterSubmit: message.deleteAfterSubmit,
      attachments: message.attachments.length,
      ...(pending
        ? {}
        : {
            recipients: message.recipients.map(({ address, addressType, value, type }) => ({
              address,
              addressType,
              value,
              type,
            })),
          }),
    };
    const metaJson = JSON.stringify(meta);
    const body =
      (message.state === 'received' ? this.#shareBody(message) : null) ?? this.#insertBody(message);
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
      metaJson,
    );
    const chars = (message.text?.length ?? 0) + (message.html?.length ?? 0);
    // Claims take the oldest queued messages first: when the cache is full, the newest are the ones left
    // out (they are read back from the store), so the entries kept are those claimed next.
    if (
      message.state === 'queued' &&
      this.#justQueued.size < JUST_QUEUED_MAX &&
      this.#justQueuedChars + chars <= JUST_QUEUED_MAX_CHARS
    ) {
      this.#justQueuedChars += chars;
      this.#justQueued.set(message.id, {
        id: message.id,
        folder: message.folder,
        state: message.state,
        message_id: message.messageId,
        idempotency_key: message.idempotencyKey,
        from_addr: message.from,
        subject: message.subject,
        message_class: message.messageClass,
        submitted_at: message.submittedAt,
        finished_at: null,
        cursor,
        body,
        meta: metaJson,
        text: message.text,
        html: message.html,
      });
    }
    if (pending) {
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
    return { id: message.id, duplicate: false };
  }

  #insertBody(message: NewMessage): number {
    return Number(
      this.#sql('INSERT INTO bodies (text, html) VALUES (?, ?)').run(message.text, message.html)
        .lastInsertRowid,
    );
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

  /** Keeps the body id of a message being handed off, for a copy of it the provider may bring back (#shareBody). */
  #rememberHandOff(messageId: string, row: Row | undefined): void {
    if (row === undefined) return;
    if (this.#handedOff.size >= HANDED_OFF_MAX) this.#handedOff.delete(this.#handedOff.keys().next().value!);
    this.#handedOff.set(messageId, Number(row.body));
  }

  /** Forgets a just-queued row (claimed, cancelled or finished). */
  #dropJustQueued(id: string): Row | undefined {
    const row = this.#justQueued.get(id);
    if (row !== undefined) {
      this.#justQueued.delete(id);
      this.#justQueuedChars -= String(row.text ?? '').length + String(row.html ?? '').length;
    }
    return row;
  }

  insert(message: NewMessage): Promise<{ id: string; duplicate: boolean }> {
    return this.#group.write(() => this.#insertNow(message));
  }

  #finishIfDone(messageId: string, now: number, claimed?: StoredMessage): FinishedMessage | null {
    const open = this.#sql(
      "SELECT count(*) AS n FROM recipients WHERE message = ? AND outcome = 'pending'",
    ).get(messageId) as { n: number };
    if (Number(open.n) > 0) return null;
    this.#dropJustQueued(messageId);
    const updated = this.#sql(
      "UPDATE messages SET state = 'finished' WHERE id = ? AND state = 'queued' RETURNING id",
    ).get(messageId);
    if (!updated) {
      // A cancelled message whose last in-flight recipient just settled: stamp when it ended.
      this.#sql(
        "UPDATE messages SET finished_at = ? WHERE id = ? AND state = 'cancelled' AND finished_at IS NULL",
      ).run(now, messageId);
      return null;
    }
    // The caller's copy of a queued message has the right content (it does not change while queued): only
    // the recipients' outcomes need reading, not the body and attachments again.
    if (claimed?.id === messageId)
      return {
        message: { ...claimed, state: 'finished', recipients: this.#loadRecipients(messageId) },
      };
    return { message: this.#load(messageId)! };
  }

  /**
   * The common case without a query: the hand-off just gave a final outcome to every recipient of the
   * claimed copy that was still pending (final outcomes never change), so the message is finished and its
   * recipients are known. Returns null when that cannot be told from the copy (another route still works on
   * it). Unlike #finishIfDone, it does not mark the message finished: settle does, with the disposition.
   */
  #finishedByThese(
    messageId: string,
    claimed: StoredMessage | undefined,
    finals: ReadonlyMap<number, { outcome: 'delivered' | 'failed'; error: string | null }>,
  ): FinishedMessage | null {
    if (claimed?.id !== messageId) return null;
    if (claimed.recipients.some((r) => r.outcome === 'pending' && !finals.has(r.index))) return null;
    // The state is written by the caller, together with the disposition when there is one (one UPDATE).
    const recipients = claimed.recipients.map((r): StoredRecipient => {
      const final = finals.get(r.index);
      return final
        ? {
            ...r,
            outcome: final.outcome,
            responsibility: true,
            attempts: r.attempts + 1,
            lastError: final.error,
          }
        : r;
    });
    return { message: { ...claimed, state: 'finished', recipients } };
  }

  routePending(
    route: (addressType: string, tried: readonly string[]) => string | null,
    now: number,
  ): Promise<{ finished: FinishedMessage[]; failed: number }> {
    // Most passes have nothing to route: a read keeps them from costing a commit.
    if (
      !this.#sql(
        "SELECT 1 FROM recipients INDEXED BY recipients_unrouted WHERE outcome = 'pending' AND route IS NULL LIMIT 1",
      ).get()
    ) {
      return Promise.resolve({ finished: [], failed: 0 });
    }
    return this.#group.write(() => {
      const rows = this.#sql(
        "SELECT message, idx, address_type, tried FROM recipients INDEXED BY recipients_unrouted WHERE outcome = 'pending' AND route IS NULL LIMIT 2000",
      ).all() as { message: string; idx: number; address_type: string; tried: string }[];
      const touched = new Set<string>();
      let failed = 0;
      for (const row of rows) {
        const tried = JSON.parse(row.tried) as string[];
        const target = route(row.address_type, tried);
        if (target !== null) {
          this.#sql('UPDATE recipients SET route = ? WHERE message = ? AND idx = ?').run(
            target,
            row.message,
            row.idx,
          );
          continue;
        }
        const reason =
          tried.length === 0
            ? `no transport provider claims address type ${row.address_type}`
            : `no transport provider accepted it (declined by ${tried.join(', ')})`;
        this.#sql(
          "UPDATE recipients SET outcome = 'failed', last_error = ? WHERE message = ? AND idx = ?",
        ).run(reason, row.message, row.idx);
        touched.add(row.message);
        failed++;
      }
      const finished: FinishedMessage[] = [];
      for (const id of touched) {
        const done = this.#finishIfDone(id, now);
        if (done) finished.push(done);
      }
      return { finished, failed };
    });
  }

  claim(
    route: string,
    limit: number,
    now: number,
    owner: string,
    leaseMs: number,
    preprocessors: number,
  ): Promise<Claim[]> {
    if (limit <= 0) return Promise.resolve([]);
    return this.#group.write(() => {
      // Recipients of one message are adjacent in this order: read until `limit` messages are complete.
      const rows = this.#sql(
        `SELECT message, idx FROM recipients INDEXED BY recipients_claimable
         WHERE outcome = 'pending' AND lease_owner IS NULL AND route = ? AND next_attempt_at <= ?
         ORDER BY submitted_at, message, idx`,
      ).iterate(route, now) as IterableIterator<{ message: string; idx: number }>;
      const byMessage = new Map<string, number[]>();
      for (const row of rows) {
        const list = byMessage.get(row.message);
        if (list) list.push(Number(row.idx));
        else if (byMessage.size < limit) byMessage.set(row.message, [Number(row.idx)]);
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
        for (const index of indexes) lease.run(owner, now + leaseMs, messageId, index);
        const runIds: string[] = [];
        for (let k = 0; k < preprocessors; k++) {
          // Unique without a clock or a random number per run: this store's tag and a counter. Recovery reads
          // the preprocessor's index back from the last segment.
          const runId = `${messageId}.${routeLabel}.${this.#runTag}${(++this.#runCount).toString(36)}.${k}`;
          record.run(runId, messageId, route, owner, now);
          runIds.push(runId);
        }
        const row = this.#dropJustQueued(messageId) ?? this.#readRow(messageId);
        const message = this.#load(messageId, row)!;
        this.#rememberHandOff(message.messageId, row);
        const chosen = new Set(indexes);
        claims.push({ message, recipients: message.recipients.filter((r) => chosen.has(r.index)), runIds });
      }
      return claims;
    });
  }

  settle(
    messageId: string,
    route: string,
    updates: readonly RecipientUpdate[],
    now: number,
    options: SettleOptions = {},
  ): Promise<SettleResult> {
    return this.#group.write((): SettleResult => {
      // The hand-off is over: a copy the provider brings back from now on is stored in full.
      if (options.claimed) this.#handedOff.delete(options.claimed.messageId);
      if (options.removedRuns) this.#deleteRuns(options.removedRuns);
      const state = (
        this.#sql('SELECT state FROM messages WHERE id = ?').get(messageId) as
          | { state: MessageState }
          | undefined
      )?.state;
      if (state === undefined) return { finished: null, disposed: false }; // deleted meanwhile
      const finals = new Map<number, { outcome: 'delivered' | 'failed'; error: string | null }>();
      for (const update of updates) {
        const coerced: RecipientUpdate =
          state === 'cancelled' && (update.outcome === 'retry' || update.outcome === 'reroute')
            ? { index: update.index, outcome: 'cancelled' }
            : update;
        switch (coerced.outcome) {
          case 'delivered':
          case 'failed':
            if (
              this.#sql(
                `UPDATE recipients SET outcome = ?, responsibility = 1, attempts = attempts + 1, last_error = ?, lease_owner = NULL, lease_expires = NULL
               WHERE message = ? AND idx = ? AND outcome = 'pending'`,
              ).run(coerced.outcome, coerced.error ?? null, messageId, coerced.index).changes === 1
            )
              finals.set(coerced.index, { outcome: coerced.outcome, error: coerced.error ?? null });
            break;
          case 'cancelled':
            this.#sql(
              "UPDATE recipients SET outcome = 'cancelled', lease_owner = NULL, lease_expires = NULL WHERE message = ? AND idx = ? AND outcome = 'pending'",
            ).run(messageId, coerced.index);
            break;
          case 'retry':
            this.#sql(
              `UPDATE recipients SET next_attempt_at = ?, attempts = attempts + ?, last_error = ?, lease_owner = NULL, lease_expires = NULL
               WHERE message = ? AND idx = ? AND outcome = 'pending'`,
            ).run(
              coerced.nextAttemptAt,
              coerced.countAttempt ? 1 : 0,
              coerced.error ?? null,
              messageId,
              coerced.index,
            );
            break;
          case 'reroute':
            this.#sql(
              `UPDATE recipients SET route = NULL, tried = json_insert(tried, '$[#]', ?), last_error = ?, next_attempt_at = ?, lease_owner = NULL, lease_expires = NULL
               WHERE message = ? AND idx = ? AND outcome = 'pending'`,
            ).run(coerced.tried, coerced.error ?? null, now, messageId, coerced.index);
            break;
        }
      }
      void route;
      const known = state === 'queued' ? this.#finishedByThese(messageId, options.claimed, finals) : null;
      const finished = known ?? this.#finishIfDone(messageId, now, options.claimed);
      if (!finished) return { finished: null, disposed: false };
      const plan = options.finish?.(finished.message);
      if (!plan) {
        if (known) this.#sql("UPDATE messages SET state = 'finished' WHERE id = ?").run(messageId);
        return { finished: finished.message, disposed: false };
      }
      this.#finishNow(messageId, plan.disposition, plan.reports, now);
      return { finished: finished.message, disposed: true };
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

  unroute(route: string): Promise<void> {
    return this.#group.write(() => {
      this.#sql(
        "UPDATE recipients SET route = NULL WHERE route = ? AND outcome = 'pending' AND lease_owner IS NULL",
      ).run(route);
    });
  }

  releaseExpiredLeases(now: number): Promise<number> {
    // Most of the time nothing expired: a read keeps the periodic check from costing a commit. Both go
    // through the leased-rows index, so only what is in flight is looked at, never the delivered history.
    const expired = 'lease_owner IS NOT NULL AND lease_expires < ?';
    if (!this.#sql(`SELECT 1 FROM recipients INDEXED BY recipients_leased WHERE ${expired} LIMIT 1`).get(now))
      return Promise.resolve(0);
    return this.#group.write(() =>
      Number(
        this.#sql(
          `UPDATE recipients INDEXED BY recipients_leased SET lease_owner = NULL, lease_expires = NULL WHERE ${expired}`,
        ).run(now).changes,
      ),
    );
  }

  renewLeases(owner: string, until: number): Promise<void> {
    return this.#group.write(() => {
      this.#sql('UPDATE recipients SET lease_expires = ? WHERE lease_owner = ?').run(until, owner);
    });
  }

  reclaim(isDead: (owner: string) => boolean, now: number): Promise<OpenPreprocessRun[]> {
    return this.#group.write(() => {
      const owners = (
        this.#sql(
          'SELECT DISTINCT lease_owner AS owner FROM recipients WHERE lease_owner IS NOT NULL',
        ).all() as { owner: string }[]
      ).map((r) => r.owner);
      const runOwners = (
        this.#sql('SELECT DISTINCT owner FROM preprocess_runs').all() as {
          owner: string;
        }[]
      ).map((r) => r.owner);
      const dead = [...new Set([...owners, ...runOwners])].filter((owner) => isDead(owner));
      const release = this.#sql(
        'UPDATE recipients SET lease_owner = NULL, lease_expires = NULL WHERE lease_owner = ?',
      );
      for (const owner of dead) release.run(owner);
      this.#sql('UPDATE recipients SET lease_owner = NULL, lease_expires = NULL WHERE lease_expires < ?').run(
        now,
      );
      const runs: OpenPreprocessRun[] = [];
      const select = this.#sql(
        'SELECT run_id, message, logon FROM preprocess_runs WHERE owner = ? ORDER BY recorded_at',
      );
      for (const owner of dead) {
        for (const row of select.all(owner) as { run_id: string; message: string; logon: string }[]) {
          runs.push({ runId: row.run_id, messageId: row.message, logonId: row.logon });
        }
      }
      return runs;
    });
  }

  unfinished(): Promise<StoredMessage[]> {
    const ids = this.#sql(
      "SELECT id FROM messages WHERE state = 'finished' AND finished_at IS NULL ORDER BY submitted_at",
    ).all() as { id: string }[];
    return Promise.resolve(ids.map((r) => this.#load(r.id)!));
  }

  finish(
    messageId: string,
    disposition: Disposition,
    reports: readonly NewMessage[],
    now: number,
  ): Promise<void> {
    return this.#group.write(() => this.#finishNow(messageId, disposition, reports, now));
  }

  #finishNow(messageId: string, disposition: Disposition, reports: readonly NewMessage[], now: number): void {
    this.#dropJustQueued(messageId);
    for (const report of reports) this.#insertNow(report);
    if (disposition === 'delete') {
      this.#sql('DELETE FROM messages WHERE id = ?').run(messageId);
    } else if (disposition === 'keep') {
      this.#sql("UPDATE messages SET state = 'finished', finished_at = ? WHERE id = ?").run(now, messageId);
    } else {
      // state too: settle leaves a message it finished itself to this single UPDATE.
      this.#sql(
        "UPDATE messages SET state = 'finished', folder = ?, finished_at = ?, cursor = ? WHERE id = ?",
      ).run(disposition.folder, now, this.#nextCursor(), messageId);
    }
  }

  cancel(messageId: string, now: number): Promise<StoredMessage> {
    return this.#group.write(() => {
      this.#dropJustQueued(messageId);
      const row = this.#sql('SELECT state, folder FROM messages WHERE id = ?').get(messageId) as
        | { state: MessageState; folder: string }
        | undefined;
      if (!row) throw notFound(messageId);
      if (row.state !== 'queued') {
        throw spoolError(
          ErrorCode.ALREADY_FINISHED,
          `message ${messageId} cannot be cancelled: it is ${row.state === 'received' ? 'an inbound message' : row.state} (folder ${row.folder})`,
          'Only messages still in the Outbox can be cancelled; use `spool delete` to remove a finished one.',
          { id: messageId, state: row.state, folder: row.folder },
        );
      }
      // Recipients in flight keep their lease: the spooler aborts the hand-off and settles them as cancelled.
      this.#sql(
        "UPDATE recipients SET outcome = 'cancelled' WHERE message = ? AND outcome = 'pending' AND (lease_owner IS NULL OR lease_expires < ?)",
      ).run(messageId, now);
      const inFlight = this.#sql(
        "SELECT count(*) AS n FROM recipients WHERE message = ? AND outcome = 'pending'",
      ).get(messageId) as { n: number };
      this.#sql(
        "UPDATE messages SET state = 'cancelled', folder = 'Deleted', cursor = ?, finished_at = ? WHERE id = ?",
      ).run(this.#nextCursor(), Number(inFlight.n) === 0 ? now : null, messageId);
      return this.#load(messageId)!;
    });
  }

  get(id: string): Promise<StoredMessage | undefined> {
    return Promise.resolve(this.#load(id));
  }

  list(folder: string, options: { limit?: number; after?: number } = {}): Promise<StoredMessage[]> {
    const rows = this.#sql(
      'SELECT id FROM messages WHERE folder = ? AND cursor > ? ORDER BY cursor LIMIT ?',
    ).all(folder, options.after ?? 0, options.limit ?? 100) as { id: string }[];
    return Promise.resolve(rows.map((r) => this.#load(r.id)!));
  }

  /** Throws unless the message exists and is no longer queued: queued ones belong to the spooler until cancelled. */
  #requireNotQueued(id: string, action: 'moved' | 'deleted'): void {
    const row = this.#sql('SELECT state FROM messages WHERE id = ?').get(id) as
      | { state: MessageState }
      | undefined;
    if (!row) throw notFound(id);
    if (row.state === 'queued') {
      throw spoolError(
        ErrorCode.BAD_FOLDER,
        `message ${id} is queued in the Outbox and cannot be ${action}`,
        'Cancel it first (spool cancel <id>), or wait until it is sent.',
        { id },
      );
    }
  }

  move(id: string, folder: string): Promise<void> {
    return this.#group.write(() => {
      this.#requireNotQueued(id, 'moved');
      this.#sql('UPDATE messages SET folder = ?, cursor = ? WHERE id = ?').run(
        folder,
        this.#nextCursor(),
        id,
      );
    });
  }

  delete(id: string): Promise<void> {
    return this.#group.write(() => {
      this.#requireNotQueued(id, 'deleted');
      this.#sql('DELETE FROM messages WHERE id = ?').run(id);
    });
  }

  nextDueAt(now: number): Promise<number | null> {
    // Only future attempts: what is due now is either being claimed or waits for a busy route's next free
    // slot, whose hand-off wakes the spooler when it ends. Starting the index scan at `now` also skips the
    // in-flight rows at the head of the queue.
    const row = this.#sql(
      "SELECT min(next_attempt_at) AS at FROM recipients WHERE outcome = 'pending' AND next_attempt_at > ? AND route IS NOT NULL AND lease_owner IS NULL",
    ).get(now) as { at: number | null };
    return Promise.resolve(row.at === null ? null : Number(row.at));
  }

  pending(): ReturnType<MessageStore['pending']> {
    const rows = this.#sql(
      `SELECT m.id, m.subject, r.address, r.route, r.attempts, r.next_attempt_at, r.last_error
       FROM recipients r JOIN messages m ON m.id = r.message WHERE r.outcome = 'pending' ORDER BY r.next_attempt_at, r.submitted_at LIMIT 1000`,
    ).all() as {
      id: string;
      subject: string;
      address: string;
      route: string | null;
      attempts: number;
      next_attempt_at: number;
      last_error: string | null;
    }[];
    return Promise.resolve(
      rows.map((r) => ({
        id: r.id,
        subject: r.subject,
        address: r.address,
        route: r.route,
        attempts: Number(r.attempts),
        nextAttemptAt: Number(r.next_attempt_at),
        lastError: r.last_error,
      })),
    );
  }

  countDue(route: string | null, now: number): Promise<number> {
    const row = (
      route === null
        ? this.#sql(
            "SELECT count(*) AS n FROM recipients WHERE outcome = 'pending' AND next_attempt_at <= ?",
          ).get(now)
        : this.#sql(
            "SELECT count(*) AS n FROM recipients WHERE outcome = 'pending' AND route = ? AND next_attempt_at <= ?",
          ).get(route, now)
    ) as { n: number };
    return Promise.resolve(Number(row.n));
  }

  makeDue(now: number, route?: string): Promise<void> {
    return this.#group.write(() => {
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

  applyRetention(policy: { sentBefore?: number; deletedBefore?: number }, batch: number): Promise<number> {
    return this.#group.write(() => {
      let removed = 0;
      for (const [folder, before] of [
        ['Sent', policy.sentBefore],
        ['Deleted', policy.deletedBefore],
      ] as const) {
        if (before === undefined) continue;
        const result = this.#sql(
          'DELETE FROM messages WHERE id IN (SELECT id FROM messages WHERE folder = ? AND finished_at IS NOT NULL AND finished_at < ? LIMIT ?)',
        ).run(folder, before, batch - removed);
        removed += Number(result.changes);
      }
      return removed;
    });
  }

  changeCounter(): number {
    return Number((this.#sql('PRAGMA data_version').get() as { data_version: number }).data_version);
  }

  async vacuum(): Promise<void> {
    await this.#group.drain();
    this.#db.exec('VACUUM');
    this.#db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  }

  async backup(file: string): Promise<void> {
    await this.#group.drain();
    // VACUUM INTO writes a consistent, compacted copy while other connections keep reading and writing.
    this.#db.prepare('VACUUM INTO ?').run(file);
  }

  async close(): Promise<void> {
    await this.#group.drain();
    for (const statement of this.#statements.values()) void statement;
    this.#statements.clear();
    this.#db.close();
  }

  #readRow(id: string): Row | undefined {
    return this.#sql(
      'SELECT m.*, b.text, b.html FROM messages m JOIN bodies b ON b.id = m.body WHERE m.id = ?',
    ).get(id) as Row | undefined;
  }

  #loadRecipients(id: string): StoredRecipient[] {
    return (this.#sql('SELECT * FROM recipients WHERE message = ? ORDER BY idx').all(id) as Row[]).map(
      (r): StoredRecipient => ({
        index: Number(r.idx),
        address: String(r.address),
        addressType: String(r.address_type),
        value: String(r.value),
        type: String(r.type) as RecipientType,
        route: r.route === null ? null : String(r.route),
        tried: JSON.parse(String(r.tried)) as string[],
        responsibility: Number(r.responsibility) === 1,
        outcome: String(r.outcome) as RecipientState,
        attempts: Number(r.attempts),
        nextAttemptAt: Number(r.next_attempt_at),
        lastError: r.last_error === null ? null : String(r.last_error),
      }),
    );
  }

  /** Reads a whole message; `row` is its message row and body when the caller has them already. */
  #load(id: string, row: Row | undefined = this.#readRow(id)): StoredMessage | undefined {
    if (!row) return undefined;
    const meta = JSON.parse(String(row.meta)) as MessageMeta;
    const submittedAt = Number(row.submitted_at);
    const recipients = meta.recipients
      ? meta.recipients.map(
          (r, index): StoredRecipient => ({
            index,
            ...r,
            route: null,
            tried: [],
            responsibility: true,
            outcome: 'delivered',
            attempts: 0,
            nextAttemptAt: submittedAt,
            lastError: null,
          }),
        )
      : this.#loadRecipients(id);
    const attachmentRows =
      meta.attachments === 0
        ? []
        : (this.#sql('SELECT * FROM attachments WHERE message = ? ORDER BY idx').all(id) as Row[]);
    const attachments = attachmentRows.map(
      (a): Attachment => ({
        filename: String(a.filename),
        contentType: String(a.content_type),
        content: a.content as Uint8Array,
        ...(a.content_id === null ? {} : { contentId: String(a.content_id) }),
      }),
    );
    return {
      id,
      folder: String(row.folder),
      state: String(row.state) as MessageState,
      messageId: String(row.message_id),
      from: row.from_addr === null ? null : String(row.from_addr),
      subject: String(row.subject),
      text: row.text === null ? null : String(row.text),
      html: row.html === null ? null : String(row.html),
      messageClass: String(row.message_class),
      properties: meta.properties,
      deleteAfterSubmit: meta.deleteAfterSubmit,
      reports: meta.reports,
      idempotencyKey: row.idempotency_key === null ? null : String(row.idempotency_key),
      submittedAt,
      finishedAt: row.finished_at === null ? null : Number(row.finished_at),
      cursor: Number(row.cursor),
      recipients,
      attachments,
    };
  }
}

function notFound(id: string) {
  return spoolError(
    ErrorCode.MESSAGE_NOT_FOUND,
    `no message with id ${id} in the store`,
    'List messages with `spool list <folder>` to find the id.',
    { id },
  );
}
