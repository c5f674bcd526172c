import assert from 'node:assert/strict';
import type { CaseGroup } from './harness.js';
import { deliver, ids, inbound, insertAll, must, outbound } from './messages.js';

export const retention: CaseGroup = {
  name: 'retention',
  cases: [
    {
      name: 'retention deletes only finished messages of the named folder older than olderThanMs',
      async run(t) {
        const store = await t.open();
        const { message: oldSent } = await deliver(t, store);
        const { message: oldArchived } = await deliver(t, store, {}, { folder: 'Archive' });
        const [queued, received] = await insertAll(store, [outbound(t), inbound(t, { folder: 'Sent' })]);
        t.clock.advance(10_000);
        const { message: newSent } = await deliver(t, store);
        t.clock.advance(1_000);
        // Finished 11 s and 1 s ago: a 5 s rule for Sent takes the old one only.
        assert.equal(await store.applyRetention([{ folder: 'Sent', olderThanMs: 5_000 }], 100), 1);
        assert.equal(await store.get(oldSent.id), undefined, 'the old Sent message is gone');
        await must(store, newSent.id);
        await must(store, oldArchived.id);
        await must(store, queued!.id);
        await must(store, received!.id);
        assert.equal(
          await store.applyRetention([{ folder: 'Outbox', olderThanMs: 0 }], 100),
          0,
          'queued: never',
        );
        assert.equal(
          await store.applyRetention([{ folder: 'Sent', olderThanMs: 5_000 }], 100),
          0,
          'done already',
        );
        assert.equal(
          await store.applyRetention(
            [
              { folder: 'Archive', olderThanMs: 5_000 },
              { folder: 'Sent', olderThanMs: 500 },
            ],
            100,
          ),
          2,
          'each rule for its own folder',
        );
        assert.deepEqual(ids(await store.list('Sent')), [received!.id], 'a received message is not finished');
        assert.deepEqual(ids(await store.list('Archive')), []);
      },
    },
    {
      name: 'retention deletes at most batch messages in a call, across rules',
      async run(t) {
        const store = await t.open();
        for (let i = 0; i < 3; i++) await deliver(t, store);
        for (let i = 0; i < 2; i++) await deliver(t, store, {}, { folder: 'Deleted' });
        t.clock.advance(60_000);
        const rules = [
          { folder: 'Sent', olderThanMs: 1_000 },
          { folder: 'Deleted', olderThanMs: 1_000 },
        ];
        assert.equal(await store.applyRetention(rules, 2), 2);
        assert.equal(await store.applyRetention(rules, 2), 2);
        assert.equal(await store.applyRetention(rules, 2), 1);
        assert.equal(await store.applyRetention(rules, 2), 0);
        assert.deepEqual([...ids(await store.list('Sent')), ...ids(await store.list('Deleted'))], []);
      },
    },
  ],
};
