import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { profileDir, spoolerIn } from './helpers.js';

/** A store written by the release before the store ports (schema 2); scripts/make-previous-release-store.mjs made it. */
const PREVIOUS = fileURLToPath(new URL('./fixtures/previous-release/spool.db', import.meta.url));

describe('a store written by the previous release', () => {
  it('opens with every message intact and drains: queued, deferred and abandoned in-flight mail is delivered', async () => {
    const dir = profileDir();
    copyFileSync(PREVIOUS, join(dir, 'spool.db'));
    const spooler = await spoolerIn(dir, { providers: [{ provider: 'loopback' }] });

    const outbox = await spooler.list('Outbox');
    expect(outbox.map((m) => m.subject).sort()).toEqual([
      'prev deferred',
      'prev in flight',
      'prev queued 1',
      'prev queued 2',
      'prev queued 3',
    ]);
    const sentBefore = await spooler.list('Sent');
    expect(sentBefore.map((m) => m.subject)).toEqual(['prev sent 1', 'prev sent 2']);
    expect(sentBefore[1]).toMatchObject({
      html: '<p>two</p>',
      recipients: [
        { address: 'LOOP:bob', outcome: 'delivered' },
        { address: 'LOOP:cy', outcome: 'delivered' },
      ],
    });
    expect(new TextDecoder().decode(sentBefore[1]!.attachments[0]!.content)).toBe('attached');
    expect((await spooler.list('Deleted')).map((m) => [m.subject, m.state])).toEqual([
      ['prev cancelled', 'cancelled'],
    ]);
    // Cursors were numbers: the same numbers, as strings, still resume a listing.
    expect(await spooler.list('Sent', { after: sentBefore[0]!.cursor })).toHaveLength(1);

    // The in-flight recipient's lease (another host, expired long ago) is released; everything is handed off.
    for (let pass = 0; pass < 5 && (await spooler.list('Outbox')).length > 0; pass++) await spooler.runOnce();
    expect(await spooler.list('Outbox')).toEqual([]);
    const sent = await spooler.list('Sent');
    expect(sent.map((m) => m.subject).sort()).toEqual([
      'prev deferred',
      'prev in flight',
      'prev queued 1',
      'prev queued 2',
      'prev queued 3',
      'prev sent 1',
      'prev sent 2',
    ]);
    for (const message of sent) expect(message.recipients.every((r) => r.outcome === 'delivered')).toBe(true);
    // The deferred recipient kept its earlier attempt; a repeated idempotency key is still recognised.
    expect(sent.find((m) => m.subject === 'prev deferred')?.recipients[1]?.attempts).toBe(2);
    const again = await spooler.submit({
      to: 'LOOP:q1',
      subject: 'prev queued 1',
      idempotencyKey: 'prev-key-1',
    });
    expect(again.duplicate).toBe(true);
    const inbox = await spooler.list('Inbox', { limit: 100 });
    expect(inbox.filter((m) => m.subject.startsWith('prev queued')).length).toBe(3);
  });
});
