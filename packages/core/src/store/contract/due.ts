import assert from 'node:assert/strict';
import type { MessageStore } from '../ports.js';
import type { CaseGroup } from './harness.js';
import { claim, insertAll, outbound } from './messages.js';

/** Claims everything on `route` and settles it as a retry `delayMs` from now. */
async function deferAll(store: MessageStore, route: string, delayMs: number): Promise<void> {
  for (const c of await claim(store, route)) {
    await store.settle({
      messageId: c.message.id,
      route,
      updates: c.recipients.map(
        (r) => ({ index: r.index, outcome: 'retry', delayMs, countAttempt: true }) as const,
      ),
    });
  }
}

export const due: CaseGroup = {
  name: 'due times (countDue, nextDueInMs, makeDue, pending)',
  cases: [
    {
      name: 'countDue counts pending recipients due by now (or dueBy) per route or for all, leased or not',
      async run(t) {
        const store = await t.open();
        await insertAll(store, [outbound(t, { routes: ['r1', 'r1'] }), outbound(t, { routes: ['r1'] })]);
        await insertAll(store, [outbound(t, { routes: ['r2'] })]);
        assert.equal(await store.countDue('r1'), 3);
        assert.equal(await store.countDue('r2'), 1);
        assert.equal(await store.countDue(null), 4, 'every route');
        assert.equal(await store.countDue('r3'), 0);
        await claim(store, 'r1', 1);
        assert.equal(await store.countDue('r1'), 3, 'leased recipients are still counted');
        await deferAll(store, 'r2', 10_000);
        assert.equal(await store.countDue('r2'), 0, 'not due before its delay');
        assert.equal(await store.countDue(null), 3);
        const now = await store.now();
        assert.equal(await store.countDue('r2', { dueBy: now + 9_999 }), 0);
        assert.equal(
          await store.countDue('r2', { dueBy: now + 10_000 }),
          1,
          'due by the instant asked about',
        );
        assert.equal(await store.countDue(null, { dueBy: now + 10_000 }), 4);
      },
    },
    {
      name: 'nextDueInMs is the wait until the earliest future attempt of an unleased routed recipient',
      async run(t) {
        const store = await t.open();
        assert.equal(await store.nextDueInMs(), null, 'an empty store: nothing');
        await insertAll(store, [outbound(t, { routes: ['r1'] }), outbound(t, { routes: ['r2'] })]);
        assert.equal(await store.nextDueInMs(), null, 'everything is due now: nothing in the future');
        await deferAll(store, 'r1', 10_000);
        await deferAll(store, 'r2', 4_000);
        assert.equal(await store.nextDueInMs(), 4_000, 'the earliest of the two');
        t.clock.advance(1_500);
        assert.equal(await store.nextDueInMs(), 2_500, 'measured from the store clock now');
        t.clock.advance(2_500);
        assert.equal(await store.nextDueInMs(), 6_000, 'what is due now no longer counts');
        t.clock.advance(6_000);
        assert.equal(await store.nextDueInMs(), null);
      },
    },
    {
      name: 'makeDue makes the pending recipients of one route, or of every route, due now',
      async run(t) {
        const store = await t.open();
        await insertAll(store, [outbound(t, { routes: ['r1'] }), outbound(t, { routes: ['r2'] })]);
        await deferAll(store, 'r1', 60_000);
        await deferAll(store, 'r2', 60_000);
        assert.equal(await store.countDue(null), 0);
        await store.makeDue('r1');
        assert.equal(await store.countDue('r1'), 1, 'r1 is due now');
        assert.equal(await store.countDue('r2'), 0, 'r2 is left alone');
        assert.equal((await claim(store, 'r1')).length, 1, 'and claimable');
        await store.makeDue();
        assert.equal(await store.countDue('r2'), 1, 'makeDue() flushes every route');
        assert.equal((await claim(store, 'r2')).length, 1);
      },
    },
    {
      name: 'pending lists pending recipients soonest first, at most limit, with their attempt state',
      async run(t) {
        const store = await t.open();
        const [a, b] = await insertAll(store, [
          outbound(t, { routes: ['r1'], subject: 'first' }),
          outbound(t, { routes: ['r2'], subject: 'second' }),
        ]);
        await insertAll(store, [outbound(t, { routes: [null], subject: 'unrouted' })]);
        const now = await store.now();
        for (const c of await claim(store, 'r1')) {
          await store.settle({
            messageId: c.message.id,
            route: 'r1',
            updates: [{ index: 0, outcome: 'retry', delayMs: 9_000, countAttempt: true, error: 'busy' }],
          });
        }
        const list = await store.pending();
        assert.deepEqual(
          list
            .map((p) => p.subject)
            .slice(0, 2)
            .sort(),
          ['second', 'unrouted'],
          'those due now come before the one due later',
        );
        assert.deepEqual(list[2], {
          id: a!.id,
          subject: 'first',
          address: 'LOOP:rcpt0@example.com',
          route: 'r1',
          attempts: 1,
          nextAttemptAt: now + 9_000,
          lastError: 'busy',
        });
        assert.equal(list.find((p) => p.subject === 'second')?.id, b!.id);
        assert.equal(
          list.find((p) => p.subject === 'unrouted')?.route,
          null,
          'unrouted recipients are pending too',
        );
        assert.equal((await store.pending({ limit: 2 })).length, 2, 'at most limit');
        for (const c of await claim(store, 'r2'))
          await store.settle({
            messageId: c.message.id,
            route: 'r2',
            updates: [{ index: 0, outcome: 'delivered' }],
          });
        assert.deepEqual(
          (await store.pending()).map((p) => p.subject),
          ['unrouted', 'first'],
          'final recipients are not pending',
        );
      },
    },
  ],
};
