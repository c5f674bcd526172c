import type { Sql } from './rows.js';

/**
 * The next folder position. Read once per transaction and written back once before its COMMIT (the group
 * commit's hooks): a transaction holds the write lock from BEGIN IMMEDIATE, so no other process can take
 * a number in between, and one UPDATE per commit replaces one per message. Cursor order is therefore commit
 * order, which is what lets `list({ after })` never skip a committed message. Gaps (a rolled-back write) are
 * fine.
 */
export class CursorSequence {
  readonly #sql: Sql;
  /** The cursor sequence while a transaction runs; null outside one. */
  #current: { value: number; dirty: boolean } | null = null;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  /** The next position; only inside a write of the group commit. */
  next(): number {
    if (this.#current === null) {
      const row = this.#sql("SELECT value FROM sequence WHERE name = 'cursor'").get() as { value: number };
      this.#current = { value: Number(row.value), dirty: false };
    }
    this.#current.value += 1;
    this.#current.dirty = true;
    return this.#current.value;
  }

  /** Before COMMIT: stores the last position taken, if this transaction took one. */
  writeBack(): void {
    if (this.#current?.dirty)
      this.#sql("UPDATE sequence SET value = ? WHERE name = 'cursor'").run(this.#current.value);
  }

  /** After the transaction committed or rolled back: the next one reads the sequence again. */
  reset(): void {
    this.#current = null;
  }
}
