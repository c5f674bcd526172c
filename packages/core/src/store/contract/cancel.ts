import assert from 'node:assert/strict';
import { ErrorCode } from '../../errors.js';
import type { CaseGroup } from './harness.js';
import {
  claim,
  claimed,
  deliver,
  ids,
  inbound,
  insertAll,
  must,
  outbound,
  rejectsWithCode,
} from './messages.js';

export const cancel: CaseGroup = {
  name: 'cancel',
  cases: [
    {
      name: 'cancel of a queued message cancels its unleased recipients and moves it to the folder given',
      async run(t) {
        const store = await t.open();
        const [m] = await insertAll(store, [outbound(t, { routes: ['r1', null] })]);
        const result = await store.cancel(m!.id, { folder: 'Deleted' });
        assert.deepEqual([result.id, result.state, result.folder], [m!.id, 'cancelled', 'Deleted']);
        assert.deepEqual(
          result.recipients.map((r) => r.outcome),
          ['cancelled', 'cancelled'],
        );
        const stored = await must(store, m!.id);
        assert.deepEqual([stored.state, stored.folder], ['cancelled', 'Deleted']);
        assert.deepEqual(ids(await store.list('Deleted')), [m!.id]);
        assert.deepEqual(ids(await store.list('Outbox')), []);
        assert.deepEqual(await claim(store, 'r1'), [], 'nothing left to claim');
        assert.deepEqual(await store.unrouted(10), [], 'nothing left to route');
        assert.equal(await store.countDue(null), 0);
      },
    },
    {
      name: 'cancel refuses a message that is not queued (ALREADY_FINISHED) and an unknown one (MESSAGE_NOT_FOUND)',
      async run(t) {
        const store = await t.open();
        const { message: sent } = await deliver(t, store);
        await rejectsWithCode(
          store.cancel(sent.id, { folder: 'Deleted' }),
          ErrorCode.ALREADY_FINISHED,
          'cancel of a sent message',
        );
        assert.equal((await must(store, sent.id)).folder, 'Sent', 'the refused message stays where it was');
        const [queued, received] = await insertAll(store, [outbound(t), inbound(t)]);
        await store.cancel(queued!.id, { folder: 'Deleted' });
        await rejectsWithCode(
          store.cancel(queued!.id, { folder: 'Deleted' }),
          ErrorCode.ALREADY_FINISHED,
          'a second cancel',
        );
        await rejectsWithCode(
          store.cancel(received!.id, { folder: 'Deleted' }),
          ErrorCode.ALREADY_FINISHED,
          'cancel of a received message',
        );
        await rejectsWithCode(
          store.cancel('no-such-id', { folder: 'Deleted' }),
          ErrorCode.MESSAGE_NOT_FOUND,
          'cancel of an unknown id',
        );
      },
    },
    {
      name: 'a leased recipient stays pending through a cancel; its settle turns a retry or reroute into cancelled',
      async run(t) {
        const store = await t.open();
        const [m] = await insertAll(store, [outbound(t, { routes: ['r1', 'r1', 'r2'] })]);
        assert.deepEqual(claimed(await claim(store, 'r1')), [[m!.id, [0, 1]]]);
        const cancelled = await store.cancel(m!.id, { folder: 'Deleted' });
        assert.deepEqual(
          cancelled.recipients.map((r) => r.outcome),
          ['pending', 'pending', 'cancelled'],
          'leased recipients wait for their hand-off; the unleased one is cancelled',
        );
        assert.equal(cancelled.state, 'cancelled');
        await store.settle({
          messageId: m!.id,
          route: 'r1',
          updates: [
            { index: 0, outcome: 'retry', delayMs: 0, countAttempt: true },
            { index: 1, outcome: 'reroute', tried: 'r1' },
          ],
          ifFinished: { disposition: { folder: 'Sent' } },
        });
        const stored = await must(store, m!.id);
        assert.deepEqual(
          stored.recipients.map((r) => r.outcome),
          ['cancelled', 'cancelled', 'cancelled'],
          'a recipient of a cancelled message never goes back to the queue',
        );
        assert.deepEqual(
          [stored.state, stored.folder],
          ['cancelled', 'Deleted'],
          'still cancelled, where cancel put it',
        );
        assert.notEqual(
          stored.finishedAt,
          null,
          'its last recipient final: the cancelled message has its end time',
        );
        assert.deepEqual(await claim(store, 'r1'), []);
        assert.deepEqual(await store.unrouted(10), []);
        assert.deepEqual(await store.pending(), [], 'nothing of it is pending');
      },
    },
  ],
};
