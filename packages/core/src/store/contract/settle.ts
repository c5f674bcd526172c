import assert from 'node:assert/strict';
import type { CaseGroup } from './harness.js';
import { claim, claimed, ids, insertAll, must, outbound, recipient } from './messages.js';

export const settle: CaseGroup = {
  name: 'settle',
  cases: [
    {
      name: 'delivered and failed are recorded; the settle that makes every recipient final finishes the message',
      async run(t) {
        const store = await t.open();
        const [m] = await insertAll(store, [outbound(t, { routes: ['r1', 'r1', 'r1'] })]);
        await claim(store, 'r1');
        const partial = await store.settle({
          messageId: m!.id,
          route: 'r1',
          updates: [
            { index: 0, outcome: 'delivered' },
            { index: 1, outcome: 'failed', error: 'mailbox full' },
          ],
        });
        assert.deepEqual(partial, { finished: null, disposed: false }, 'a recipient is still pending');
        const r0 = await recipient(store, m!.id, 0);
        assert.deepEqual(
          [r0.outcome, r0.responsibility, r0.attempts, r0.lastError],
          ['delivered', true, 1, null],
          'delivered: responsibility taken, one attempt',
        );
        const r1 = await recipient(store, m!.id, 1);
        assert.deepEqual(
          [r1.outcome, r1.responsibility, r1.attempts, r1.lastError],
          ['failed', true, 1, 'mailbox full'],
        );
        assert.equal((await recipient(store, m!.id, 2)).outcome, 'pending');
        assert.equal((await must(store, m!.id)).state, 'queued');

        const done = await store.settle({
          messageId: m!.id,
          route: 'r1',
          updates: [{ index: 2, outcome: 'delivered' }],
        });
        assert.equal(done.disposed, false, 'no ifFinished: not disposed');
        assert.ok(done.finished, 'the last settle returns the finished message');
        assert.equal(done.finished.id, m!.id);
        assert.equal(done.finished.state, 'finished');
        assert.deepEqual(
          done.finished.recipients.map((r) => r.outcome),
          ['delivered', 'failed', 'delivered'],
          'with its final recipients',
        );
        const stored = await must(store, m!.id);
        assert.deepEqual([stored.state, stored.folder, stored.finishedAt], ['finished', 'Outbox', null]);
        assert.deepEqual(
          ids(await store.unfinished()),
          [m!.id],
          'finished but not filed: unfinished() lists it',
        );
      },
    },
    {
      name: "retry is due again delayMs after the store's now; it counts an attempt only when asked",
      async run(t) {
        const store = await t.open();
        const [m] = await insertAll(store, [outbound(t, { routes: ['r1', 'r1'] })]);
        await claim(store, 'r1');
        t.clock.advance(1234);
        const now = await store.now();
        const result = await store.settle({
          messageId: m!.id,
          route: 'r1',
          updates: [
            { index: 0, outcome: 'retry', delayMs: 5000, countAttempt: true, error: 'try later' },
            { index: 1, outcome: 'retry', delayMs: 7000, countAttempt: false },
          ],
        });
        assert.deepEqual(result, { finished: null, disposed: false });
        const r0 = await recipient(store, m!.id, 0);
        assert.deepEqual(
          [r0.outcome, r0.nextAttemptAt, r0.attempts, r0.lastError, r0.responsibility],
          ['pending', now + 5000, 1, 'try later', false],
        );
        const r1 = await recipient(store, m!.id, 1);
        assert.deepEqual(
          [r1.outcome, r1.nextAttemptAt, r1.attempts],
          ['pending', now + 7000, 0],
          'not counted',
        );
        assert.deepEqual(await claim(store, 'r1'), [], 'neither is due yet');
        t.clock.advance(5000);
        assert.deepEqual(claimed(await claim(store, 'r1')), [[m!.id, [0]]], 'the first is due after 5 s');
        t.clock.advance(2000);
        assert.deepEqual(claimed(await claim(store, 'r1')), [[m!.id, [1]]], 'the second after 7 s');
      },
    },
    {
      name: 'reroute sends the recipient back to routing with the route added to tried',
      async run(t) {
        const store = await t.open();
        const [m] = await insertAll(store, [outbound(t)]);
        await claim(store, 'r1');
        await store.settle({
          messageId: m!.id,
          route: 'r1',
          updates: [{ index: 0, outcome: 'reroute', tried: 'r1', error: 'not mine' }],
        });
        const r = await recipient(store, m!.id, 0);
        assert.deepEqual([r.outcome, r.route, r.tried], ['pending', null, ['r1']], 'unrouted, r1 tried');
        assert.deepEqual(
          (await store.unrouted(10)).map((u) => [u.messageId, u.index, u.tried]),
          [[m!.id, 0, ['r1']]],
          'routing sees it again, with what was tried',
        );
        assert.deepEqual(await claim(store, 'r1'), [], 'no longer on r1');
        await store.route([{ messageId: m!.id, index: 0, route: 'r2' }]);
        assert.deepEqual(claimed(await claim(store, 'r2')), [[m!.id, [0]]]);
        await store.settle({
          messageId: m!.id,
          route: 'r2',
          updates: [{ index: 0, outcome: 'reroute', tried: 'r2' }],
        });
        assert.deepEqual((await recipient(store, m!.id, 0)).tried, ['r1', 'r2'], 'tried is appended to');
      },
    },
    {
      name: 'cancelled is final and finishes a message whose other recipients are final',
      async run(t) {
        const store = await t.open();
        const [m] = await insertAll(store, [outbound(t)]);
        await claim(store, 'r1');
        const result = await store.settle({
          messageId: m!.id,
          route: 'r1',
          updates: [{ index: 0, outcome: 'cancelled' }],
        });
        assert.equal((await recipient(store, m!.id, 0)).outcome, 'cancelled');
        assert.equal(result.finished?.state, 'finished');
        assert.deepEqual(await claim(store, 'r1'), [], 'a cancelled recipient is not claimed');
      },
    },
    {
      name: 'a recipient already final is left as it was by a later settle',
      async run(t) {
        const store = await t.open();
        const [m] = await insertAll(store, [outbound(t, { routes: ['r1', 'r1'] })]);
        await claim(store, 'r1');
        await store.settle({ messageId: m!.id, route: 'r1', updates: [{ index: 0, outcome: 'delivered' }] });
        const before = await recipient(store, m!.id, 0);
        for (const update of [
          { index: 0, outcome: 'failed', error: 'late failure' } as const,
          { index: 0, outcome: 'retry', delayMs: 1000, countAttempt: true } as const,
          { index: 0, outcome: 'reroute', tried: 'r1' } as const,
          { index: 0, outcome: 'cancelled' } as const,
        ]) {
          await store.settle({ messageId: m!.id, route: 'r1', updates: [update] });
          assert.deepEqual(
            await recipient(store, m!.id, 0),
            before,
            `a later ${update.outcome} changes nothing`,
          );
        }
        assert.equal((await must(store, m!.id)).state, 'queued', 'its sibling is still pending');
      },
    },
  ],
};
