import assert from 'node:assert/strict';
import type { CaseGroup } from './harness.js';
import { claim, claimed, insertAll, outbound } from './messages.js';

export const leases: CaseGroup = {
  name: 'leases',
  cases: [
    {
      name: 'a recipient claimed by one instance is claimed by another only after its lease expired',
      async run(t) {
        const a = await t.open();
        const b = await t.open();
        const [m] = await insertAll(a, [outbound(t, { routes: ['r1', 'r1'] })]);
        assert.deepEqual(claimed(await claim(a, 'r1', 10, 10_000)), [[m!.id, [0, 1]]]);
        assert.deepEqual(await claim(b, 'r1'), [], 'leased to A: B gets nothing');
        t.clock.advance(9_999);
        assert.equal(await b.releaseExpiredLeases(), 0, 'nothing expired before leaseMs');
        assert.deepEqual(await claim(b, 'r1'), [], 'still leased to A');
        t.clock.advance(2);
        assert.equal(await b.releaseExpiredLeases(), 2, 'both recipients of the expired lease are released');
        assert.deepEqual(claimed(await claim(b, 'r1')), [[m!.id, [0, 1]]], 'then B claims them');
        assert.deepEqual(await claim(a, 'r1'), [], 'and A no longer can');
        assert.equal(await a.releaseExpiredLeases(), 0, "B's fresh lease is live");
      },
    },
    {
      name: 'an instance that lost its lease settles late: a final outcome stays, and a retry is not counted twice',
      async run(t) {
        const a = await t.open();
        const b = await t.open();
        const [m1, m2] = await insertAll(a, [
          outbound(t, { routes: ['r1'] }),
          outbound(t, { routes: ['r1'] }),
        ]);
        assert.equal((await claim(a, 'r1', 10, 1000)).length, 2);
        t.clock.advance(1001);
        assert.equal(await b.releaseExpiredLeases(), 2);
        assert.equal((await claim(b, 'r1', 10, 1000)).length, 2, 'B took both over');
        await b.settle({ messageId: m1!.id, route: 'r1', updates: [{ index: 0, outcome: 'delivered' }] });
        await b.settle({
          messageId: m2!.id,
          route: 'r1',
          updates: [{ index: 0, outcome: 'retry', delayMs: 60_000, countAttempt: true }],
        });
        // A's hand-offs come back late (it was hung): the store must not trust A's claimed copies.
        await a.settle({
          messageId: m1!.id,
          route: 'r1',
          updates: [{ index: 0, outcome: 'failed', error: 'late' }],
        });
        await a.settle({
          messageId: m2!.id,
          route: 'r1',
          updates: [{ index: 0, outcome: 'retry', delayMs: 60_000, countAttempt: true }],
        });
        const first = (await b.get(m1!.id))!;
        assert.equal(first.recipients[0]!.outcome, 'delivered', "B's delivery stands");
        assert.equal(first.state, 'finished');
        const second = (await b.get(m2!.id))!.recipients[0]!;
        assert.equal(second.outcome, 'pending');
        // Each settle of a retry counts one attempt; what matters is that A's stale copy is not the base.
        assert.equal(second.attempts, 2, 'two settles, two attempts: none lost, none from a stale copy');
      },
    },
    {
      name: 'renewLeases extends the leases of its own instance, and only those',
      async run(t) {
        const a = await t.open();
        const b = await t.open();
        const [m1, m2] = await insertAll(a, [
          outbound(t, { routes: ['r1'] }),
          outbound(t, { routes: ['r2'] }),
        ]);
        assert.deepEqual(claimed(await claim(a, 'r1', 10, 1000)), [[m1!.id, [0]]]);
        assert.deepEqual(claimed(await claim(b, 'r2', 10, 1000)), [[m2!.id, [0]]]);
        t.clock.advance(800);
        await a.renewLeases(1000); // A's lease now ends 1000 ms from here; B's still at 1000 ms from the claim
        t.clock.advance(700);
        assert.equal(
          await a.releaseExpiredLeases(),
          1,
          "B's lease (not renewed) expired; A's renewed one did not",
        );
        assert.deepEqual(await claim(b, 'r1'), [], "A's renewed lease still holds past its first expiry");
        assert.deepEqual(claimed(await claim(a, 'r2')), [[m2!.id, [0]]], "B's expired one is anyone's");
        t.clock.advance(400);
        assert.equal(
          await b.releaseExpiredLeases(),
          1,
          "A's renewed lease expires when the renewal runs out",
        );
        assert.deepEqual(claimed(await claim(b, 'r1')), [[m1!.id, [0]]]);
      },
    },
    {
      name: 'a settle releases the lease at once: another instance claims a retry without waiting for expiry',
      async run(t) {
        const a = await t.open();
        const b = await t.open();
        const [m] = await insertAll(a, [outbound(t)]);
        assert.deepEqual(claimed(await claim(a, 'r1')), [[m!.id, [0]]]);
        await a.settle({
          messageId: m!.id,
          route: 'r1',
          updates: [{ index: 0, outcome: 'retry', delayMs: 0, countAttempt: true }],
        });
        assert.deepEqual(claimed(await claim(b, 'r1')), [[m!.id, [0]]], 'B claims it, the clock unmoved');
      },
    },
  ],
};
