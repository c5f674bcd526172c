import assert from 'node:assert/strict';
import type { CaseGroup } from './harness.js';
import { claim, ids, inbound, insertAll, must, outbound } from './messages.js';

export const finish: CaseGroup = {
  name: 'finishing (ifFinished, finish, unfinished)',
  cases: [
    {
      name: 'the settle that finishes a message files it by ifFinished in the same call',
      async run(t) {
        const store = await t.open();
        const [m] = await insertAll(store, [outbound(t)]);
        await claim(store, 'r1');
        t.clock.advance(500);
        const result = await store.settle({
          messageId: m!.id,
          route: 'r1',
          updates: [{ index: 0, outcome: 'delivered' }],
          ifFinished: { disposition: { folder: 'Sent' } },
        });
        assert.equal(result.disposed, true, 'disposed in this settle');
        assert.equal(result.finished?.id, m!.id);
        // Read at once, nothing awaited in between: the filing is part of the settle's own commit.
        const stored = await must(store, m!.id);
        assert.deepEqual(
          [stored.state, stored.folder, stored.finishedAt],
          ['finished', 'Sent', t.clock.now()],
          'in Sent, with its finish time off the store clock',
        );
        assert.deepEqual(ids(await store.list('Sent')), [m!.id]);
        assert.deepEqual(ids(await store.list('Outbox')), []);
        assert.deepEqual(await store.unfinished(), [], 'filed: not unfinished');
      },
    },
    {
      name: "ifFinished 'delete' and 'keep', and nothing filed while a recipient is pending",
      async run(t) {
        const store = await t.open();
        const [gone, kept, pair] = await insertAll(store, [
          outbound(t),
          outbound(t),
          outbound(t, { routes: ['r1', 'r1'] }),
        ]);
        await claim(store, 'r1');
        const deleted = await store.settle({
          messageId: gone!.id,
          route: 'r1',
          updates: [{ index: 0, outcome: 'delivered' }],
          ifFinished: { disposition: 'delete' },
        });
        assert.equal(deleted.disposed, true);
        assert.equal(await store.get(gone!.id), undefined, "'delete' deletes it");
        const keep = await store.settle({
          messageId: kept!.id,
          route: 'r1',
          updates: [{ index: 0, outcome: 'delivered' }],
          ifFinished: { disposition: 'keep' },
        });
        assert.equal(keep.disposed, true);
        const k = await must(store, kept!.id);
        assert.deepEqual(
          [k.state, k.folder, k.finishedAt],
          ['finished', 'Outbox', t.clock.now()],
          "'keep' keeps it",
        );
        const half = await store.settle({
          messageId: pair!.id,
          route: 'r1',
          updates: [{ index: 0, outcome: 'delivered' }],
          ifFinished: { disposition: { folder: 'Sent' } },
        });
        assert.deepEqual(
          half,
          { finished: null, disposed: false },
          'not finished: ifFinished does not apply',
        );
        assert.deepEqual(
          [(await must(store, pair!.id)).folder, (await must(store, pair!.id)).state],
          ['Outbox', 'queued'],
        );
        assert.deepEqual(await store.unfinished(), []);
      },
    },
    {
      name: 'unlessFailed with a failed recipient leaves the message finished, unfiled; finish() files it with its reports',
      async run(t) {
        const store = await t.open();
        const [failing, clean] = await insertAll(store, [outbound(t, { routes: ['r1', 'r1'] }), outbound(t)]);
        await claim(store, 'r1');
        const plan = { disposition: { folder: 'Sent' }, unlessFailed: true } as const;
        const result = await store.settle({
          messageId: failing!.id,
          route: 'r1',
          updates: [
            { index: 0, outcome: 'delivered' },
            { index: 1, outcome: 'failed', error: 'no such user' },
          ],
          ifFinished: plan,
        });
        assert.equal(result.disposed, false, 'a failure needs its report first');
        assert.equal(result.finished?.state, 'finished');
        const waiting = await must(store, failing!.id);
        assert.deepEqual([waiting.state, waiting.folder, waiting.finishedAt], ['finished', 'Outbox', null]);
        assert.deepEqual(ids(await store.unfinished()), [failing!.id], 'listed by unfinished()');

        const cleanResult = await store.settle({
          messageId: clean!.id,
          route: 'r1',
          updates: [{ index: 0, outcome: 'delivered' }],
          ifFinished: plan,
        });
        assert.equal(cleanResult.disposed, true, 'unlessFailed without a failure files it in the settle');
        assert.equal((await must(store, clean!.id)).folder, 'Sent');

        t.clock.advance(250);
        const report = inbound(t, { subject: `Undeliverable: ${failing!.subject}`, from: null });
        const copy = inbound(t, { folder: 'Reports', subject: 'a second report' });
        await store.finish(failing!.id, { disposition: { folder: 'Sent' }, reports: [report, copy] });
        const filed = await must(store, failing!.id);
        assert.deepEqual([filed.state, filed.folder, filed.finishedAt], ['finished', 'Sent', t.clock.now()]);
        assert.deepEqual(await store.unfinished(), [], 'filed: no longer unfinished');
        const stored = await must(store, report.id);
        assert.deepEqual(
          [stored.folder, stored.state, stored.subject],
          ['Inbox', 'received', report.subject],
        );
        assert.deepEqual(ids(await store.list('Inbox')), [report.id], 'the report is in its folder');
        assert.deepEqual(ids(await store.list('Reports')), [copy.id], 'each report in the folder it names');
      },
    },
    {
      name: "finish() with 'delete' deletes the message and still stores its reports",
      async run(t) {
        const store = await t.open();
        const [m] = await insertAll(store, [outbound(t, { routes: [null] })]);
        const { finished } = await store.route([{ messageId: m!.id, index: 0, fail: 'no route' }]);
        assert.deepEqual(ids(finished), [m!.id]);
        const report = inbound(t, { subject: 'Undeliverable' });
        await store.finish(m!.id, { disposition: 'delete', reports: [report] });
        assert.equal(await store.get(m!.id), undefined);
        assert.equal((await must(store, report.id)).folder, 'Inbox');
        assert.deepEqual(await store.unfinished(), []);
      },
    },
  ],
};
