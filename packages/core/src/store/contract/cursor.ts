import assert from 'node:assert/strict';
import type { MessageStore } from '../ports.js';
import type { Cursor, NewMessage, StoredMessage } from '../types.js';
import type { CaseContext, CaseGroup } from './harness.js';
import { ids, inbound, insertAll, must } from './messages.js';

/** Asserts that the cursors of `messages` strictly increase, in the order given. */
function assertIncreasing(t: CaseContext, messages: readonly StoredMessage[], what: string): void {
  for (let i = 1; i < messages.length; i++) {
    const [a, b] = [messages[i - 1]!, messages[i]!];
    assert.ok(
      t.compareCursors(a.cursor, b.cursor) < 0,
      `${what}: cursor ${b.cursor} (${b.id}) should come after ${a.cursor} (${a.id})`,
    );
  }
}

/** Pages through a folder from `after` until a page is empty; returns what it read and the last cursor. */
async function pageAll(
  store: MessageStore,
  folder: string,
  after: Cursor | undefined,
  limit: number,
): Promise<{ read: StoredMessage[]; after: Cursor | undefined }> {
  const read: StoredMessage[] = [];
  for (;;) {
    const page = await store.list(folder, { ...(after === undefined ? {} : { after }), limit });
    assert.ok(page.length <= limit, `a page holds at most limit (${limit}), got ${page.length}`);
    if (page.length === 0) return { read, after };
    read.push(...page);
    after = page.at(-1)!.cursor;
  }
}

export const cursor: CaseGroup = {
  name: 'cursors and list',
  cases: [
    {
      name: 'list({ after }) pages without skipping or repeating; cursors increase in list order',
      async run(t) {
        const store = await t.open();
        const inserted: NewMessage[] = [];
        for (let i = 0; i < 7; i++) {
          inserted.push(inbound(t));
          if (i % 3 === 0) inserted.push(inbound(t, { folder: 'Other' }));
        }
        await insertAll(store, inserted);
        const inbox = inserted.filter((m) => m.folder === 'Inbox');
        const all = await store.list('Inbox');
        assert.deepEqual(ids(all), ids(inbox), 'the folder only, in commit order');
        assert.ok(
          all.every((m) => typeof m.cursor === 'string'),
          'cursors are strings',
        );
        assertIncreasing(t, all, 'list order');
        const { read } = await pageAll(store, 'Inbox', undefined, 3);
        assert.deepEqual(ids(read), ids(all), 'pages of 3 read every message once, in order');
        assertIncreasing(t, read, 'paged order');
        for (let i = 0; i < all.length; i++) {
          const next = await store.list('Inbox', { after: all[i]!.cursor, limit: 2 });
          assert.deepEqual(ids(next), ids(all.slice(i + 1, i + 3)), `the two after message ${i}`);
        }
        assert.equal((await store.list('Inbox', { limit: 4 })).length, 4, 'at most limit');
      },
    },
    {
      name: 'a moved message gets a later cursor in its new folder, so a reader paging there sees it',
      async run(t) {
        const store = await t.open();
        const [x1, x2, m] = await insertAll(store, [
          inbound(t, { folder: 'Archive' }),
          inbound(t, { folder: 'Archive' }),
          inbound(t),
        ]);
        const watermark = (await must(store, x2!.id)).cursor;
        const before = (await must(store, m!.id)).cursor;
        await store.move(m!.id, 'Archive');
        const moved = await must(store, m!.id);
        assert.notEqual(moved.cursor, before, 'a new cursor');
        assert.deepEqual(
          ids(await store.list('Archive', { after: watermark })),
          [m!.id],
          'after the watermark',
        );
        const archive = await store.list('Archive');
        assert.deepEqual(ids(archive), [x1!.id, x2!.id, m!.id], 'last in its new folder');
        assertIncreasing(t, archive, 'after the move');
        await store.move(m!.id, 'Inbox');
        assert.ok(
          t.compareCursors(moved.cursor, (await must(store, m!.id)).cursor) < 0,
          'moved again: later again',
        );
      },
    },
    {
      name: 'under two concurrent writers, a reader paging with list({ after }) sees every message exactly once',
      async run(t) {
        const a = await t.open();
        const b = await t.open();
        const reader = await t.open();
        const seen = new Map<string, number>();
        const order: StoredMessage[] = [];
        let after: Cursor | undefined;
        const readOn = async () => {
          const page = await pageAll(reader, 'Inbox', after, 7);
          after = page.after;
          for (const m of page.read) {
            seen.set(m.id, (seen.get(m.id) ?? 0) + 1);
            order.push(m);
          }
        };
        const written: string[] = [];
        for (let round = 0; round < 10; round++) {
          const batch: Promise<unknown>[] = [];
          for (let i = 0; i < 5; i++) {
            for (const [store, name] of [
              [a, 'a'],
              [b, 'b'],
            ] as const) {
              const message = inbound(t, { id: t.id(name) });
              written.push(message.id);
              batch.push(store.insert(message));
            }
          }
          batch.push(readOn()); // a read while the writes are in flight
          await Promise.all(batch);
          await readOn();
        }
        assert.equal(written.length, 100);
        const missing = written.filter((id) => !seen.has(id));
        assert.deepEqual(missing, [], 'the reader skipped no committed message');
        const repeated = [...seen].filter(([, n]) => n > 1).map(([id]) => id);
        assert.deepEqual(repeated, [], 'and read none twice');
        assert.equal(seen.size, 100);
        assertIncreasing(t, order, 'the order the reader saw');
      },
    },
  ],
};
