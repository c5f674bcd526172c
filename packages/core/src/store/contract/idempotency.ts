import assert from 'node:assert/strict';
import type { CaseGroup } from './harness.js';
import { claim, ids, must, outbound } from './messages.js';

export const idempotency: CaseGroup = {
  name: 'idempotency',
  cases: [
    {
      name: 'an insert with a stored idempotency key stores nothing and returns the stored ids',
      async run(t) {
        const store = await t.open();
        const first = outbound(t, { idempotencyKey: 'order-42' });
        const again = outbound(t, { idempotencyKey: 'order-42', subject: 'the retried submit' });
        assert.deepEqual(await store.insert(first), {
          id: first.id,
          messageId: first.messageId,
          duplicate: false,
        });
        assert.deepEqual(
          await store.insert(again),
          { id: first.id, messageId: first.messageId, duplicate: true },
          'the duplicate names the stored message',
        );
        assert.deepEqual(
          await store.insert(first),
          { id: first.id, messageId: first.messageId, duplicate: true },
          'the very same message again: a duplicate too',
        );
        assert.equal(await store.get(again.id), undefined, 'the duplicate was not stored');
        assert.equal((await must(store, first.id)).subject, first.subject, 'the stored one is unchanged');
        assert.deepEqual(ids(await store.list('Outbox')), [first.id], 'listed once');
        assert.equal((await claim(store, 'r1')).length, 1, 'queued once');
        assert.equal(await store.countDue(null), 1);
      },
    },
    {
      name: 'the key holds across instances and for inserts racing each other',
      async run(t) {
        const a = await t.open();
        const b = await t.open();
        const racing = Array.from({ length: 6 }, () => outbound(t, { idempotencyKey: 'race' }));
        const results = await Promise.all(racing.map((m, i) => (i % 2 === 0 ? a : b).insert(m)));
        const stored = results.filter((r) => !r.duplicate);
        assert.equal(stored.length, 1, 'exactly one insert stored the message');
        const winner = racing.find((m) => m.id === stored[0]!.id);
        assert.ok(winner, 'the stored id is one of the inserted ones');
        for (const r of results) assert.deepEqual([r.id, r.messageId], [winner.id, winner.messageId]);
        assert.deepEqual(ids(await a.list('Outbox')), [winner.id], 'one message, seen from A');
        assert.deepEqual(ids(await b.list('Outbox')), [winner.id], 'and from B');
        const late = outbound(t, { idempotencyKey: 'race' });
        assert.equal((await b.insert(late)).duplicate, true, 'a later insert through another instance too');
      },
    },
    {
      name: 'messages without an idempotency key are never taken for duplicates',
      async run(t) {
        const store = await t.open();
        const one = outbound(t, { subject: 'same' });
        const two = outbound(t, { subject: 'same', messageId: one.messageId });
        assert.equal((await store.insert(one)).duplicate, false);
        assert.equal((await store.insert(two)).duplicate, false);
        assert.deepEqual(ids(await store.list('Outbox')), [one.id, two.id]);
      },
    },
  ],
};
