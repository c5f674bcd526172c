import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate, SCHEMA_VERSION } from '../../src/store/sqlite/schema.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

/** A store as @spool/core 0.1.0 wrote it (schema 1): one received message with a body, a recipient, an attachment. */
function writeVersion1Store(file: string): void {
  const db = new DatabaseSync(file);
  db.exec('PRAGMA journal_mode = WAL; PRAGMA foreign_keys = OFF');
  migrate(db, file, 1);
  const body = {
    text: 'plain "text"\nwith lines',
    html: '<p>hi</p>',
    properties: { 'X-Custom': 'yes', nested: { n: 1 } },
    reports: { delivery: true, nonDelivery: false },
    deleteAfterSubmit: false,
  };
  db.prepare(
    `INSERT INTO messages (id, folder, state, message_id, idempotency_key, from_addr, subject, body, message_class, submitted_at, cursor)
     VALUES ('m1', 'Inbox', 'received', '<m1@test>', 'key-1', 'SMTP:a@example.com', 'old', ?, 'IPM.Note', 1000, 1)`,
  ).run(JSON.stringify(body));
  db.exec(`INSERT INTO messages (id, folder, state, message_id, idempotency_key, from_addr, subject, body, message_class, submitted_at, cursor)
     VALUES ('m2', 'Inbox', 'received', '<m2@test>', NULL, NULL, 'no html', '{"text":null,"html":null,"properties":{},"reports":{"delivery":false,"nonDelivery":false},"deleteAfterSubmit":true}', 'IPM.Note', 1001, 2)`);
  db.exec(`INSERT INTO recipients (message, idx, address, address_type, value, type, outcome, next_attempt_at, submitted_at, responsibility)
     VALUES ('m1', 0, 'LOOP:x', 'LOOP', 'x', 'to', 'delivered', 1000, 1000, 1)`);
  db.prepare(
    "INSERT INTO attachments (message, idx, filename, content_type, content) VALUES ('m1', 0, 'a.bin', 'application/octet-stream', ?)",
  ).run(new Uint8Array([1, 2, 3]));
  db.close();
}

describe('store migrations (real files)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'spool-migration-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a schema 1 store opens with every message intact, bodies split out, keys and cascades working', async () => {
    const file = join(dir, 'spool.db');
    writeVersion1Store(file);
    const store = await SqliteStore.open(file);
    try {
      const m1 = await store.get('m1');
      expect(m1).toMatchObject({
        subject: 'old',
        from: 'SMTP:a@example.com',
        text: 'plain "text"\nwith lines',
        html: '<p>hi</p>',
        properties: { 'X-Custom': 'yes', nested: { n: 1 } },
        reports: { delivery: true, nonDelivery: false },
        deleteAfterSubmit: false,
        idempotencyKey: 'key-1',
        recipients: [{ address: 'LOOP:x', outcome: 'delivered' }],
      });
      expect([...m1!.attachments[0]!.content]).toEqual([1, 2, 3]);
      expect(await store.get('m2')).toMatchObject({ text: null, html: null, deleteAfterSubmit: true });

      // The idempotency key still finds the migrated message.
      const again = await store.insert({ ...m1!, id: 'm3', recipients: [], attachments: [] });
      expect(again).toEqual({ id: 'm1', messageId: '<m1@test>', duplicate: true });

      // Deleting a message takes its body, recipients and attachments with it (foreign keys are back on).
      await store.delete('m1');
      expect(await store.get('m1')).toBeUndefined();
    } finally {
      await store.close();
    }
    const db = new DatabaseSync(file, { readOnly: true });
    const count = (table: string) =>
      Number((db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n);
    expect(Number((db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version)).toBe(
      SCHEMA_VERSION,
    );
    expect([count('messages'), count('bodies'), count('recipients'), count('attachments')]).toEqual([
      1, 1, 0, 0,
    ]);
    db.close();
  });
});
