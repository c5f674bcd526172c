import type { DatabaseSync, StatementSync } from 'node:sqlite';

interface Outcome {
  readonly write: PendingWrite;
  readonly ok: boolean;
  readonly value: unknown;
}

interface PendingWrite {
  readonly apply: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/** State a store keeps per transaction: flushed into the transaction before COMMIT, dropped after it ends. */
export interface GroupCommitHooks {
  /** Runs inside the transaction, after the last write and before COMMIT. */
  beforeCommit?(): void;
  /** Runs after the transaction committed or rolled back. */
  afterEnd?(): void;
}

/**
 * Group commit without waiting: every write is queued; a commit starts on the next turn of the event loop
 * after the previous one ended and takes every write queued by then, in one transaction and one fsync.
 * One failing write is rolled back and rejected alone while the others commit (see #transaction). Callers are resolved only after COMMIT returned, i.e. once their write is on disk.
 */
export class GroupCommit {
  readonly #db: DatabaseSync;
  // Prepared once: parsing these on every write was a measurable share of a busy spooler's time.
  readonly #savepoint: StatementSync;
  readonly #release: StatementSync;
  readonly #rollbackTo: StatementSync;
  #queue: PendingWrite[] = [];
  #scheduled = false;
  #idle: (() => void)[] = [];
  commits = 0;

  readonly #hooks: GroupCommitHooks;

  constructor(db: DatabaseSync, hooks: GroupCommitHooks = {}) {
    this.#db = db;
    this.#hooks = hooks;
    this.#savepoint = db.prepare('SAVEPOINT w');
    this.#release = db.prepare('RELEASE w');
    this.#rollbackTo = db.prepare('ROLLBACK TO w');
  }

  /** Queues a write; resolves with its result once committed. */
  write<T>(apply: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ apply, resolve: resolve as (value: unknown) => void, reject });
      this.#schedule();
    });
  }

  /** Resolves when every queued write has been committed. */
  drain(): Promise<void> {
    if (this.#queue.length === 0 && !this.#scheduled) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.#commit());
  }

  #commit(): void {
    this.#scheduled = false;
    const batch = this.#queue;
    this.#queue = [];
    if (batch.length > 0) {
      // The common case runs the writes back to back. A savepoint per write costs a copy of every page it
      // touches (SQLite's sub-journal), which measured as much work as the writes themselves; so savepoints
      // are only paid for when a write of this batch threw: the batch is rolled back and run again isolated.
      const results = this.#transaction(batch, false) ?? this.#transaction(batch, true)!;
      for (const { write, ok, value } of results) (ok ? write.resolve : write.reject)(value);
    }
    if (this.#queue.length > 0) this.#schedule();
    else for (const resolve of this.#idle.splice(0)) resolve();
  }

  /**
   * Runs the batch in one transaction and commits it. Without `isolated`, a write that throws rolls the whole
   * transaction back and returns null (the caller runs the batch again, isolated): a write may therefore be
   * applied twice, which is why writes must not have effects outside the database. With `isolated`, each
   * write runs in its own savepoint, so a failing one is rolled back and rejected alone. A failure of the
   * transaction itself (BEGIN or COMMIT: a busy lock past the timeout, a full disk) rejects every write.
   */
  #transaction(batch: readonly PendingWrite[], isolated: boolean): Outcome[] | null {
    try {
      this.#db.exec('BEGIN IMMEDIATE');
      const results = isolated ? this.#applyIsolated(batch) : this.#applyAll(batch);
      if (results === null) {
        this.#db.exec('ROLLBACK');
        return null;
      }
      this.#hooks.beforeCommit?.();
      this.#db.exec('COMMIT');
      this.commits += 1;
      return results;
    } catch (error) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      return batch.map((write) => ({ write, ok: false, value: error }));
    } finally {
      this.#hooks.afterEnd?.();
    }
  }

  /** Applies every write; null as soon as one throws (its error comes back when the batch runs isolated). */
  #applyAll(batch: readonly PendingWrite[]): Outcome[] | null {
    try {
      return batch.map((write) => ({ write, ok: true, value: write.apply() }));
    } catch {
      return null;
    }
  }

  /** Applies each write in its own savepoint: a failing one is rolled back and rejected alone. */
  #applyIsolated(batch: readonly PendingWrite[]): Outcome[] {
    return batch.map((write) => {
      this.#savepoint.run();
      try {
        const value = write.apply();
        this.#release.run();
        return { write, ok: true, value };
      } catch (error) {
        this.#rollbackTo.run();
        this.#release.run();
        return { write, ok: false, value: error };
      }
    });
  }
}
