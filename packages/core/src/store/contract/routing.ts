import assert from 'node:assert/strict';
import type { CaseGroup } from './harness.js';
import { ids, insertAll, must, outbound, recipient } from './messages.js';

export const routing: CaseGroup = {
  name: 'routing (unrouted, route)',
  cases: [
    {
      name: 'unrouted lists pending recipients without a route, oldest first, at most limit',
      async run(t) {
        const store = await t.open();
        const now = t.clock.now();
        const [a, b, c] = await insertAll(store, [
          outbound(t, { routes: [null], submittedAt: now - 10 }),
          outbound(t, { routes: [null, 'r1'], submittedAt: now - 30 }),
          outbound(t, { routes: [null], submittedAt: now - 20 }),
        ]);
        const all = await store.unrouted(10);
        assert.deepEqual(
          all.map((u) => [u.messageId, u.index]),
          [
            [b!.id, 0],
            [c!.id, 0],
            [a!.id, 0],
          ],
          'only unrouted recipients, by submit time',
        );
        assert.deepEqual(
          all.map((u) => [u.addressType, u.tried]),
          [
            ['LOOP', []],
            ['LOOP', []],
            ['LOOP', []],
          ],
        );
        assert.deepEqual(
          (await store.unrouted(2)).map((u) => u.messageId),
          [b!.id, c!.id],
          'at most limit, the oldest',
        );
      },
    },
    {
      name: 'route records routes and failures; it returns the messages a failure finished',
      async run(t) {
        const store = await t.open();
        const [lone, pair] = await insertAll(store, [
          outbound(t, { routes: [null] }),
          outbound(t, { routes: [null, null] }),
        ]);
        const { finished } = await store.route([
          { messageId: lone!.id, index: 0, fail: 'no route for LOOP' },
          { messageId: pair!.id, index: 0, fail: 'no route for LOOP' },
          { messageId: pair!.id, index: 1, route: 'r2' },
        ]);
        assert.deepEqual(
          ids(finished),
          [lone!.id],
          'only the message whose recipients are all final finished',
        );
        assert.equal(finished[0]!.state, 'finished');
        assert.deepEqual(
          finished[0]!.recipients.map((r) => [r.outcome, r.lastError]),
          [['failed', 'no route for LOOP']],
          'the returned message has its final recipients',
        );
        const failed = await recipient(store, lone!.id, 0);
        assert.deepEqual(
          [failed.outcome, failed.lastError],
          ['failed', 'no route for LOOP'],
          'failed, with the reason',
        );
        assert.equal((await must(store, lone!.id)).state, 'finished');
        assert.ok(ids(await store.unfinished()).includes(lone!.id), 'finished by routing, not filed yet');
        assert.deepEqual(
          (await must(store, pair!.id)).state,
          'queued',
          'a message with a pending recipient stays queued',
        );
        const routed = await recipient(store, pair!.id, 1);
        assert.deepEqual([routed.route, routed.outcome], ['r2', 'pending'], 'the route is recorded');
        assert.deepEqual(await store.unrouted(10), [], 'nothing is left to route');
      },
    },
    {
      name: 'a decision for a recipient already routed or final is ignored',
      async run(t) {
        const store = await t.open();
        const [preRouted, routedLater, failedFirst] = await insertAll(store, [
          outbound(t, { routes: ['r1'] }),
          outbound(t, { routes: [null] }),
          outbound(t, { routes: [null, null] }),
        ]);
        await store.route([
          { messageId: routedLater!.id, index: 0, route: 'r1' },
          { messageId: failedFirst!.id, index: 0, fail: 'first reason' },
        ]);
        const { finished } = await store.route([
          { messageId: preRouted!.id, index: 0, route: 'r2' },
          { messageId: routedLater!.id, index: 0, fail: 'too late' },
          { messageId: failedFirst!.id, index: 0, route: 'r2' },
          { messageId: failedFirst!.id, index: 1, route: 'r2' },
        ]);
        assert.deepEqual(finished, [], 'nothing finished');
        const a = await recipient(store, preRouted!.id, 0);
        assert.deepEqual([a.route, a.outcome], ['r1', 'pending'], 'a route set at submit is kept');
        const b = await recipient(store, routedLater!.id, 0);
        assert.deepEqual(
          [b.route, b.outcome, b.lastError],
          ['r1', 'pending', null],
          'a routed recipient is not failed',
        );
        const c = await recipient(store, failedFirst!.id, 0);
        assert.deepEqual(
          [c.route, c.outcome, c.lastError],
          [null, 'failed', 'first reason'],
          'a final one stays final',
        );
        assert.equal(
          (await recipient(store, failedFirst!.id, 1)).route,
          'r2',
          'its unrouted sibling is routed',
        );
      },
    },
    {
      name: 'saveAddressTypes records what each entry claimed, replaces it, and a reopened store still has it (1.1)',
      async run(t) {
        const store = await t.open();
        if (!store.saveAddressTypes || !store.savedAddressTypes) {
          // Optional since store ports 1.1: a 1.0 store has neither; one without the other is a broken store.
          assert.equal(store.saveAddressTypes, store.savedAddressTypes, 'both operations, or neither');
          return;
        }
        assert.deepEqual([...(await store.savedAddressTypes())], [], 'nothing recorded in a new store');
        await store.saveAddressTypes('smtp', ['SMTP']);
        await store.saveAddressTypes('fax', ['FAX', 'TEL']);
        await store.saveAddressTypes('smtp', ['SMTP', 'EX']);
        const expected = [
          ['fax', ['FAX', 'TEL']],
          ['smtp', ['SMTP', 'EX']],
        ];
        const sorted = (m: Map<string, readonly string[]>) => [...m].sort(([a], [b]) => a.localeCompare(b));
        assert.deepEqual(sorted(await store.savedAddressTypes()), expected, 'the last record per entry');
        await t.close(store);
        const reopened = await t.open();
        assert.deepEqual(sorted(await reopened.savedAddressTypes!()), expected, 'durable');
      },
    },
  ],
};
