import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { CursorSequence } from './cursor-sequence.js';
import { GroupCommit } from './group-commit.js';
import { HandOffs } from './hand-offs.js';
import { openOwner } from './owners.js';
import { JustQueued, runIdTag } from './row-cache.js';
import type { Sql } from './rows.js';

/**
 * What the embedded store's operations share: the connection and its statement cache, the clock, this
 * instance's lease owner, the group commit every write goes through, and the caches that spare the hot
 * paths (insert, claim, settle) a read. A SqliteStore creates one when it opens; the modules beside
 * it are plain functions of it, so no operation allocates anything to reach the store's state.
 */
export interface StoreContext {
  readonly db: DatabaseSync;
  /** A prepared statement for a SQL text, prepared on first use and kept for the life of the connection. */
  readonly sql: Sql;
  readonly statements: Map<string, StatementSync>;
  /** The store's clock: lease expiry, due times and finish times are read off it. */
  readonly clock: { now(): number };
  /** The lease owner of this instance (see owners.ts). */
  readonly owner: string;
  readonly group: GroupCommit;
  readonly cursors: CursorSequence;
  readonly justQueued: JustQueued;
  readonly handOffs: HandOffs;
  /** Makes preprocess run ids unique across processes and restarts (with runCount within this one). */
  readonly runTag: string;
  runCount: number;
}

/** The context of a store instance opened on `db`. */
export function createStoreContext(db: DatabaseSync, clock: { now(): number }): StoreContext {
  const statements = new Map<string, StatementSync>();
  const sql: Sql = (text) => {
    let statement = statements.get(text);
    if (!statement) {
      statement = db.prepare(text);
      statements.set(text, statement);
    }
    return statement;
  };
  const cursors = new CursorSequence(sql);
  return {
    db,
    sql,
    statements,
    clock,
    owner: openOwner(),
    group: new GroupCommit(db, {
      beforeCommit: () => cursors.writeBack(),
      afterEnd: () => cursors.reset(),
    }),
    cursors,
    justQueued: new JustQueued(),
    handOffs: new HandOffs(),
    runTag: runIdTag(),
    runCount: 0,
  };
}
