import type { DatabaseSync } from 'node:sqlite';
import { ErrorCode, spoolError } from '../../errors.js';

/**
 * Migrations, in order; `PRAGMA user_version` records how many ran. Never edit a released migration:
 * append a new one. A store written by a newer spool (user_version beyond this list) is refused.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    folder TEXT NOT NULL,
    state TEXT NOT NULL,
    message_id TEXT NOT NULL,
    idempotency_key TEXT UNIQUE,
    from_addr TEXT,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,             -- JSON: text, html, properties, reports, deleteAfterSubmit
    message_class TEXT NOT NULL,
    submitted_at INTEGER NOT NULL,
    finished_at INTEGER,
    cursor INTEGER NOT NULL         -- position in its folder, from the sequence below; moves get a new one
  );
  CREATE INDEX messages_folder ON messages (folder, cursor);
  CREATE INDEX messages_finished ON messages (folder, finished_at) WHERE finished_at IS NOT NULL;
  CREATE TABLE attachments (
    message TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    content_id TEXT,
    content BLOB NOT NULL,
    PRIMARY KEY (message, idx)
  ) WITHOUT ROWID;
  CREATE TABLE recipients (
    message TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    address TEXT NOT NULL,
    address_type TEXT NOT NULL,
    value TEXT NOT NULL,
    type TEXT NOT NULL,
    route TEXT,
    tried TEXT NOT NULL DEFAULT '[]',
    responsibility INTEGER NOT NULL DEFAULT 0,
    outcome TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error TEXT,
    submitted_at INTEGER NOT NULL,  -- copied from the message: per-route FIFO needs it in this index
    lease_owner TEXT,
    lease_expires INTEGER,
    PRIMARY KEY (message, idx)
  ) WITHOUT ROWID;
  -- Claims scan a route in FIFO order and skip what is not due yet; the head of a queue is almost always due.
  CREATE INDEX recipients_fifo ON recipients (route, submitted_at, message, idx) WHERE outcome = 'pending';
  CREATE INDEX recipients_next ON recipients (next_attempt_at) WHERE outcome = 'pending';
  CREATE INDEX recipients_leased ON recipients (lease_owner) WHERE lease_owner IS NOT NULL;
  CREATE TABLE preprocess_runs (
    run_id TEXT PRIMARY KEY,
    message TEXT NOT NULL,
    logon TEXT NOT NULL,
    owner TEXT NOT NULL,
    recorded_at INTEGER NOT NULL,
    removed_at INTEGER
  );
  CREATE INDEX preprocess_open ON preprocess_runs (owner) WHERE removed_at IS NULL;
  CREATE TABLE sequence (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
  INSERT INTO sequence VALUES ('cursor', 0);
  `,
  // 2 (unreleased until @spool/core 0.2.0, so still edited in place):
  // - Claims no longer step over in-flight rows: leased recipients leave the claim index, so a route with
  //   hundreds of hand-offs in flight finds its next due recipient at once; expired leases are released by a
  //   periodic sweep instead of being matched by every claim. next_attempt_at rides along in the index, so
  //   a claim tells due from not-due without reading the row. countDue and flush use recipients_next.
  // - Routing finds unrouted recipients (submitted by another process, or declined) without scanning the queue.
  `
  DROP INDEX recipients_fifo;
  CREATE INDEX recipients_claimable ON recipients (route, submitted_at, message, idx, next_attempt_at)
    WHERE outcome = 'pending' AND lease_owner IS NULL;
  CREATE INDEX recipients_unrouted ON recipients (submitted_at) WHERE outcome = 'pending' AND route IS NULL;
  -- Preprocess runs are deleted when removed (they only matter while open, for crash recovery): the table no
  -- longer grows with every hand-off, and a run costs one B-tree instead of a table, a key index and a
  -- partial index. Recovery scans the open runs, which are at most the hand-offs that were in flight.
  DROP INDEX preprocess_open;
  CREATE TABLE preprocess_runs_open (
    run_id TEXT PRIMARY KEY,
    message TEXT NOT NULL,
    logon TEXT NOT NULL,
    owner TEXT NOT NULL,
    recorded_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  INSERT INTO preprocess_runs_open
    SELECT run_id, message, logon, owner, recorded_at FROM preprocess_runs WHERE removed_at IS NULL;
  DROP TABLE preprocess_runs;
  ALTER TABLE preprocess_runs_open RENAME TO preprocess_runs;

  -- Bodies leave the message row: they are written once and never change, while the row is updated as the
  -- message moves (Outbox to Sent). A ~2 KiB body filled a page of its own, so every move rewrote that whole
  -- page into the WAL; the row alone is a few hundred bytes. Text and HTML are columns (no JSON escaping of
  -- the largest values); the rest of what used to be the body JSON (properties, reports, deleteAfterSubmit)
  -- is small and per message, so it stays in the row as meta.
  -- A body can be shared (single-instance storage): a message that comes back into the store it was sent
  -- from (loopback, or a provider that receives what it sent) points at the body already stored instead of
  -- writing a second copy. body_shares counts the messages of a shared body (absent: exactly one); the
  -- trigger below deletes a body with its last message. messages.body carries no foreign key on purpose:
  -- SQLite would look for referencing messages on every body delete, which needs an index on messages.body
  -- that every insert would pay for; the trigger is the only code that deletes bodies.
  -- The idempotency key gets a partial unique index: most messages have none, and they no longer add an
  -- entry to it.
  CREATE TABLE bodies (
    id INTEGER PRIMARY KEY,
    text TEXT,
    html TEXT
  );
  CREATE TABLE body_shares (
    body INTEGER PRIMARY KEY,
    refs INTEGER NOT NULL           -- messages pointing at the body, always 2 or more
  );
  CREATE TABLE messages_new (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    folder TEXT NOT NULL,
    state TEXT NOT NULL,
    message_id TEXT NOT NULL,
    idempotency_key TEXT,
    from_addr TEXT,
    subject TEXT NOT NULL,
    message_class TEXT NOT NULL,
    submitted_at INTEGER NOT NULL,
    finished_at INTEGER,
    cursor INTEGER NOT NULL,
    body INTEGER NOT NULL,          -- bodies.id
    meta TEXT NOT NULL              -- JSON: properties, reports, deleteAfterSubmit
  );
  INSERT INTO bodies (id, text, html) SELECT rowid, body ->> '$.text', body ->> '$.html' FROM messages;
  INSERT INTO messages_new (seq, id, folder, state, message_id, idempotency_key, from_addr, subject, message_class, submitted_at, finished_at, cursor, body, meta)
    SELECT rowid, id, folder, state, message_id, idempotency_key, from_addr, subject, message_class, submitted_at, finished_at, cursor,
      rowid, json_remove(body, '$.text', '$.html') FROM messages;
  DROP TABLE messages;
  ALTER TABLE messages_new RENAME TO messages;
  CREATE TRIGGER messages_release_body AFTER DELETE ON messages BEGIN
    DELETE FROM bodies WHERE id = old.body AND NOT EXISTS (SELECT 1 FROM body_shares WHERE body = old.body);
    UPDATE body_shares SET refs = refs - 1 WHERE body = old.body;
    DELETE FROM body_shares WHERE body = old.body AND refs < 2;
  END;
  CREATE INDEX messages_folder ON messages (folder, cursor);
  CREATE INDEX messages_finished ON messages (folder, finished_at) WHERE finished_at IS NOT NULL;
  CREATE UNIQUE INDEX messages_idempotency ON messages (idempotency_key) WHERE idempotency_key IS NOT NULL;
  `,
  // 4: the address types each provider entry claimed at its last logon, so an entry that later cannot load
  // (uninstalled, its package renamed) keeps claiming them and its mail waits instead of bouncing.
  `
  CREATE TABLE entry_address_types (
    entry TEXT PRIMARY KEY,
    types TEXT NOT NULL,            -- JSON array of upper-case address types
    recorded_at INTEGER NOT NULL
  );
  `,
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the schema up to date (or up to `target`, which only tests use to write an older store), or refuses
 * a store written by a newer version. Returns the schema version it found and the one it left. Foreign keys must be off while it runs: a migration may rebuild a
 * table that others reference (SQLite's documented way to change a table), and dropping the old copy with
 * them on would delete the rows that reference it. Each migration is checked with foreign_key_check instead.
 */
export function migrate(
  db: DatabaseSync,
  file: string,
  target: number = SCHEMA_VERSION,
): { from: number; to: number } {
  const current = Number((db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version);
  if (current > SCHEMA_VERSION) {
    throw spoolError(
      ErrorCode.STORE_TOO_NEW,
      `the store ${file} has schema version ${current}, but this spool understands versions up to ${SCHEMA_VERSION}`,
      'It was written by a newer @spool/core. Upgrade spool, or restore a backup made by this version.',
      { file, version: current, supported: SCHEMA_VERSION },
    );
  }
  for (let version = current; version < target; version++) {
    db.exec('BEGIN IMMEDIATE');
    try {
      db.exec(MIGRATIONS[version]!);
      const broken = db.prepare('PRAGMA foreign_key_check').all();
      if (broken.length > 0)
        throw new Error(`migration ${version + 1} left ${broken.length} rows whose references are missing`);
      db.exec(`PRAGMA user_version = ${version + 1}`);
      db.exec('COMMIT');
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
  }
  return { from: current, to: Math.max(current, target) };
}
