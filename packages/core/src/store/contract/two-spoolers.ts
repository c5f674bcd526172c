import assert from 'node:assert/strict';
import type { Claim } from '../types.js';
import type { CaseGroup } from './harness.js';
import { claim, claimed, eventually, ids, insertAll, outbound, sleep } from './messages.js';

export const twoSpoolers: CaseGroup = {
  name: 'two spoolers on one store',
  cases: [
    {
      name: 'two instances claiming at once never lease the same recipient',
      async run(t) {
        const a = await t.open();
        const b = await t.open();
        const messages = Array.from({ length: 30 }, () => outbound(t, { routes: ['r1', 'r1'] }));
        await insertAll(a, messages);
        const taken: Claim[] = [];
        for (;;) {
          const rounds = await Promise.all([
            claim(a, 'r1', 4),
            claim(b, 'r1', 4),
            claim(a, 'r1', 3),
            claim(b, 'r1', 3),
          ]);
          const got = rounds.flat();
          if (got.length === 0) break;
          taken.push(...got);
        }
        const keys = taken.flatMap((c) => c.recipients.map((r) => `${c.message.id}#${r.index}`));
        assert.equal(new Set(keys).size, keys.length, 'no recipient was leased twice');
        assert.equal(keys.length, 60, 'and every one was leased once');
      },
    },
    {
      name: 'a spooler abandoned between claim and settle: once its lease expired another claims the same recipients',
      async run(t) {
        const a = await t.open();
        const b = await t.open();
        const [m] = await insertAll(a, [outbound(t, { routes: ['r1', 'r1'] })]);
        const held = await a.claim('r1', { limit: 10, leaseMs: 5_000, preprocessors: 2 });
        assert.deepEqual(claimed(held), [[m!.id, [0, 1]]]);
        const runIds = held[0]!.runIds;
        await t.close(a); // abandoned: never settled
        t.clock.advance(5_001);
        const runs = await b.recoverAbandoned();
        // Whether the store can tell that A is gone is its own business; what it returns must be A's runs.
        for (const run of runs) {
          const k = runIds.indexOf(run.runId);
          assert.ok(k >= 0, `run ${run.runId} is one A recorded`);
          assert.deepEqual([run.messageId, run.logonId, run.preprocessor], [m!.id, 'r1', k]);
        }
        if (runs.length > 0)
          assert.deepEqual(runs.map((r) => r.runId).sort(), [...runIds].sort(), "all of A's runs");
        assert.deepEqual(claimed(await claim(b, 'r1')), [[m!.id, [0, 1]]], 'B claims what A held');
        const settled = await b.settle({
          messageId: m!.id,
          route: 'r1',
          updates: [
            { index: 0, outcome: 'delivered' },
            { index: 1, outcome: 'delivered' },
          ],
          ifFinished: { disposition: { folder: 'Sent' } },
        });
        assert.equal(settled.disposed, true, 'and finishes it');
      },
    },
    {
      name: 'recoverAbandoned leaves live instances alone; removed runs (settle, markRunsRemoved) are forgotten',
      async run(t) {
        const a = await t.open();
        const b = await t.open();
        const live = await t.open();
        const [m1, m2, m3] = await insertAll(a, [
          outbound(t, { routes: ['r1'] }),
          outbound(t, { routes: ['r2'] }),
          outbound(t, { routes: ['r3'] }),
        ]);
        const c1 = await a.claim('r1', { limit: 1, leaseMs: 1_000, preprocessors: 2 });
        const c2 = await a.claim('r2', { limit: 1, leaseMs: 1_000, preprocessors: 2 });
        const c3 = await live.claim('r3', { limit: 1, leaseMs: 60_000, preprocessors: 1 });
        assert.deepEqual(
          [...claimed(c1), ...claimed(c2), ...claimed(c3)],
          [
            [m1!.id, [0]],
            [m2!.id, [0]],
            [m3!.id, [0]],
          ],
        );
        const [r1a, r1b] = c1[0]!.runIds;
        const [r2a, r2b] = c2[0]!.runIds;
        await a.settle({
          messageId: m1!.id,
          route: 'r1',
          updates: [{ index: 0, outcome: 'retry', delayMs: 0, countAttempt: true }],
          removedRuns: [r1a!],
        });
        await a.markRunsRemoved([r2b!]);
        await t.close(a);
        t.clock.advance(1_001);
        const runs = await b.recoverAbandoned();
        const returned = runs.map((r) => r.runId).sort();
        for (const id of returned) {
          assert.ok(id !== c3[0]!.runIds[0], "a live instance's run is never returned");
          assert.ok(id !== r1a && id !== r2b, 'a removed run is never returned');
        }
        if (runs.length > 0)
          assert.deepEqual(returned, [r1b!, r2a!].sort(), "A's runs that were never removed");
        assert.deepEqual(await claim(b, 'r3'), [], "the live instance's lease is kept");
        assert.deepEqual(claimed(await claim(b, 'r2')), [[m2!.id, [0]]], "A's expired lease is released");
        await b.markRunsRemoved(returned.slice(0, 1));
        const again = (await b.recoverAbandoned()).map((r) => r.runId).sort();
        assert.deepEqual(
          again,
          returned.slice(1),
          'a run marked removed is forgotten; the others are still open',
        );
        await b.markRunsRemoved(again);
        assert.deepEqual(await b.recoverAbandoned(), []);
      },
    },
    {
      name: 'a subscriber is told of a commit made through another instance, and sees it when it reads',
      async run(t) {
        const a = await t.open();
        const b = await t.open();
        let calls = 0;
        const unsubscribe = a.subscribe(() => {
          calls++;
        });
        const m = outbound(t);
        await b.insert(m);
        assert.ok(await eventually(() => calls > 0, 2_000, 20), 'told within 2 s');
        assert.deepEqual(
          ids(await a.list('Outbox')),
          [m.id],
          'a commit before the signal is visible after it',
        );
        unsubscribe();
        await sleep(100); // a poll already under way may still report the first commit
        calls = 0;
        await b.insert(outbound(t));
        await sleep(300);
        assert.equal(calls, 0, 'not called once unsubscribed');
      },
    },
  ],
};
