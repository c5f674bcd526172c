import assert from 'node:assert/strict';
import type { CaseGroup } from './harness.js';
import { claim, claimed, insertAll, LEASE_MS, outbound } from './messages.js';

export const queueClaims: CaseGroup = {
  name: 'claims',
  cases: [
    {
      name: 'claim takes whole messages FIFO by submit time, at most limit, only recipients on the route',
      async run(t) {
        const store = await t.open();
        const now = t.clock.now();
        const [m1, m2, m3] = await insertAll(store, [
          outbound(t, { routes: ['r1', 'r1', 'r2'], submittedAt: now - 10 }),
          outbound(t, { routes: ['r1'], submittedAt: now - 30 }),
          outbound(t, { routes: ['r1', 'r1'], submittedAt: now - 20 }),
        ]);
        const first = await claim(store, 'r1', 2);
        assert.deepEqual(
          claimed(first),
          [
            [m2!.id, [0]],
            [m3!.id, [0, 1]],
          ],
          'the two oldest messages, each with all of its recipients on r1',
        );
        assert.equal(first[1]!.message.subject, m3!.subject, 'a claim carries the whole message');
        assert.equal(first[1]!.message.recipients.length, 2);
        assert.deepEqual(claimed(await claim(store, 'r1', 5)), [[m1!.id, [0, 1]]], 'then the rest, r1 only');
        assert.deepEqual(await claim(store, 'r1', 5), [], 'nothing is left on r1');
        const other = await claim(store, 'r2', 5);
        assert.deepEqual(claimed(other), [[m1!.id, [2]]], 'the r2 recipient of a message leased on r1');
        assert.equal(other[0]!.message.recipients.length, 3, 'with the whole message');
        assert.deepEqual(await claim(store, 'no-such-route'), [], 'a route with nothing on it');
      },
    },
    {
      name: 'claim skips recipients that are not due, and dueBy cuts off at an instant of the store',
      async run(t) {
        const store = await t.open();
        const [later] = await insertAll(store, [outbound(t)]);
        assert.deepEqual(claimed(await claim(store, 'r1')), [[later!.id, [0]]]);
        await store.settle({
          messageId: later!.id,
          route: 'r1',
          updates: [{ index: 0, outcome: 'retry', delayMs: 60_000, countAttempt: true }],
        });
        const start = await store.now();
        assert.deepEqual(await claim(store, 'r1'), [], 'a retried recipient is not due before its delay');
        const [now] = await insertAll(store, [outbound(t)]);
        assert.deepEqual(claimed(await claim(store, 'r1')), [[now!.id, [0]]], 'a due one behind it is taken');
        t.clock.advance(60_000);
        const cutOff = await store.claim('r1', {
          limit: 10,
          leaseMs: LEASE_MS,
          preprocessors: 0,
          dueBy: start,
        });
        assert.deepEqual(cutOff, [], 'not due by the cut-off');
        const atDue = await store.claim('r1', {
          limit: 10,
          leaseMs: LEASE_MS,
          preprocessors: 0,
          dueBy: start + 60_000,
        });
        assert.deepEqual(claimed(atDue), [[later!.id, [0]]], 'due at the cut-off (at or before it)');
      },
    },
    {
      name: 'claim records one preprocess run per preprocessor for each hand-off, all distinct',
      async run(t) {
        const store = await t.open();
        await insertAll(store, [outbound(t), outbound(t), outbound(t, { routes: ['r2'] })]);
        const claims = await store.claim('r1', { limit: 10, leaseMs: LEASE_MS, preprocessors: 3 });
        assert.equal(claims.length, 2);
        for (const c of claims) assert.equal(c.runIds.length, 3, 'one run per preprocessor');
        const runIds = claims.flatMap((c) => c.runIds);
        assert.equal(new Set(runIds).size, 6, 'run ids are distinct');
        assert.ok(
          runIds.every((id) => typeof id === 'string' && id.length > 0),
          'run ids are non-empty strings',
        );
        const none = await store.claim('r2', { limit: 10, leaseMs: LEASE_MS, preprocessors: 0 });
        assert.deepEqual(
          none.map((c) => c.runIds),
          [[]],
          'no preprocessors, no runs',
        );
      },
    },
    {
      name: 'a leased recipient is not claimed again, not even by the instance that holds it',
      async run(t) {
        const store = await t.open();
        const [m] = await insertAll(store, [outbound(t, { routes: ['r1', 'r1'] })]);
        assert.deepEqual(claimed(await claim(store, 'r1')), [[m!.id, [0, 1]]]);
        assert.deepEqual(await claim(store, 'r1'), [], 'leased: not claimable');
        await store.settle({
          messageId: m!.id,
          route: 'r1',
          updates: [
            { index: 0, outcome: 'retry', delayMs: 0, countAttempt: false },
            { index: 1, outcome: 'delivered' },
          ],
        });
        assert.deepEqual(
          claimed(await claim(store, 'r1')),
          [[m!.id, [0]]],
          'the retried one is back at once (the settle released its lease); the delivered one is final',
        );
      },
    },
  ],
};
