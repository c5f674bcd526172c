import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { ErrorCode, isSpoolError, messageOf, spoolError } from '../../errors.js';
import { migrate } from './schema.js';

/**
 * Opens (creating on first use) the store file with the settings durability depends on — WAL journal,
 * `synchronous=FULL` (a commit is on disk when it returns), a busy timeout so a CLI can write while a daemon
 * drains — and migrates its schema. Returns the connection and what the migration did.
 */
export async function openDatabase(
  file: string,
  busyTimeoutMs: number,
): Promise<{ db: DatabaseSync; migrated: { from: number; to: number } }> {
  const { DatabaseSync } = await import('node:sqlite');
  mkdirSync(dirname(file), { recursive: true });
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(file);
    db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
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
  return { db, migrated };
}

/** The journal mode and sync level in force on a connection. */
export function readPragmas(db: DatabaseSync): { journalMode: string; synchronous: number } {
  const journal = db.prepare('PRAGMA journal_mode').get() as { journal_mode: string };
  const sync = db.prepare('PRAGMA synchronous').get() as { synchronous: number };
  return { journalMode: journal.journal_mode, synchronous: Number(sync.synchronous) };
}
