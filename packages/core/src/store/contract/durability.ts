import assert from 'node:assert/strict';
import type { StoredMessage } from '../types.js';
import type { CaseGroup } from './harness.js';
import { claim, deliver, inbound, insertAll, outbound } from './messages.js';

export const durability: CaseGroup = {
  name: 'close and reopen',
  cases: [
    {
      name: 'close() waits for writes in progress, and a reopened store has everything as it was',
      async run(t) {
        const store = await t.open();
        const { message: sent } = await deliver(t, store);
        const [queued, partly, received] = await insertAll(store, [
          outbound(t, {
            idempotencyKey: 'durable',
            attachments: [
              {
                filename: 'a.bin',
                contentType: 'application/octet-stream',
                content: new Uint8Array([9, 8, 7]),
              },
            ],
          }),
          outbound(t, { routes: ['r2', 'r2'] }),
          inbound(t, { folder: 'Custom' }),
        ]);
        await claim(store, 'r2');
        await store.settle({
          messageId: partly!.id,
          route: 'r2',
          updates: [
            { index: 0, outcome: 'delivered' },
            { index: 1, outcome: 'retry', delayMs: 9_000, countAttempt: true, error: 'later' },
          ],
        });
        const all = [sent.id, queued!.id, partly!.id, received!.id];
        const before = new Map<string, StoredMessage | undefined>();
        for (const id of all) before.set(id, await store.get(id));
        const inFlight = outbound(t, { routes: ['r3'] });
        const pendingInsert = store.insert(inFlight); // not awaited before close
        await t.close(store);
        await pendingInsert;

        const reopened = await t.open();
        for (const id of all) assert.deepEqual(await reopened.get(id), before.get(id), `${id} is as it was`);
        assert.equal(
          (await reopened.get(inFlight.id))?.state,
          'queued',
          'the write in progress at close is kept',
        );
        assert.equal(
          (await reopened.insert(outbound(t, { idempotencyKey: 'durable' }))).duplicate,
          true,
          'keys too',
        );
        assert.equal(await reopened.countDue('r1'), 1, 'the queue is as it was');
        t.clock.advance(9_000);
        assert.deepEqual(
          (await claim(reopened, 'r2')).map((c) => c.recipients.map((r) => r.index)),
          [[1]],
          'and so are due times',
        );
      },
    },
  ],
};
