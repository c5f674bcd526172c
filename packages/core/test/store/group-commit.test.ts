import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GroupCommit } from '../../src/store/sqlite/group-commit.js';

describe('GroupCommit (a real SQLite file)', () => {
  let dir: string;
  let db: DatabaseSync;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'spool-group-commit-'));
    db = new DatabaseSync(join(dir, 'store.db'));
    db.exec('PRAGMA journal_mode = WAL; CREATE TABLE t (name TEXT PRIMARY KEY)');
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const names = () =>
    (db.prepare('SELECT name FROM t ORDER BY name').all() as { name: string }[]).map((r) => r.name);
  const insert = (name: string) => () => db.prepare('INSERT INTO t (name) VALUES (?)').run(name).changes;

  it('writes queued together share one commit and resolve after it', async () => {
    const group = new GroupCommit(db);
    const results = await Promise.all([
      group.write(insert('a')),
      group.write(insert('b')),
      group.write(insert('c')),
    ]);
    expect(results).toEqual([1, 1, 1]);
    expect(group.commits).toBe(1);
    expect(names()).toEqual(['a', 'b', 'c']);
  });

  it('a write that throws after writing is rolled back alone; the others of its batch commit', async () => {
    const group = new GroupCommit(db);
    let applied = 0;
    const failing = group.write(() => {
      applied++;
      db.prepare('INSERT INTO t (name) VALUES (?)').run('half-done');
      throw new Error('refused after a write');
    });
    const [first, third] = [group.write(insert('first')), group.write(insert('third'))];
    await expect(failing).rejects.toThrow('refused after a write');
    await expect(first).resolves.toBe(1);
    await expect(third).resolves.toBe(1);
    expect(names()).toEqual(['first', 'third']);
    // The batch ran once without savepoints, rolled back, then once more with one savepoint per write.
    expect(applied).toBe(2);
    expect(group.commits).toBe(1);
  });

  it('a constraint error rejects that write only, and the hooks see one transaction', async () => {
    const ends: string[] = [];
    const group = new GroupCommit(db, {
      beforeCommit: () => ends.push('before'),
      afterEnd: () => ends.push('end'),
    });
    await group.write(insert('dup'));
    ends.length = 0;
    const results = await Promise.allSettled([group.write(insert('x')), group.write(insert('dup'))]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    expect(names()).toEqual(['dup', 'x']);
    // The fast attempt ended (rolled back) before COMMIT; the isolated one committed.
    expect(ends).toEqual(['end', 'before', 'end']);
  });
});
