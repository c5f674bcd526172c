import type { DatabaseSync, StatementSync } from 'node:sqlite';

/**
 * The embedded store's change feed: SQLite's `PRAGMA data_version` changes when another connection (another
 * process) committed, and reading it costs a few microseconds, so a timer polls it while anyone listens.
 * Commits through this connection do not change it: their writer knows.
 */
export class DataVersionFeed {
  readonly #version: StatementSync;
  readonly #intervalMs: number;
  readonly #listeners = new Set<() => void>();
  #timer: NodeJS.Timeout | undefined;
  #last = 0;

  constructor(db: DatabaseSync, intervalMs: number) {
    this.#version = db.prepare('PRAGMA data_version');
    this.#intervalMs = intervalMs;
  }

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    if (!this.#timer) {
      this.#last = this.#read();
      this.#timer = setInterval(() => this.#poll(), this.#intervalMs);
      this.#timer.unref();
    }
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.stop();
    };
  }

  /** Stops polling (the store is closing). */
  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #read(): number {
    return Number((this.#version.get() as { data_version: number }).data_version);
  }

  #poll(): void {
    const version = this.#read();
    if (version === this.#last) return;
    this.#last = version;
    for (const listener of [...this.#listeners]) listener();
  }
}
