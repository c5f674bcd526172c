import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { type NewMessage, openEmbeddedStore } from '@spool/core';
import { describe, expect, it } from 'vitest';
import { fakeClock, profileDir } from './helpers.js';

const queued = (id: string, submittedAt: number) => ({
  id,
  folder: 'Outbox',
  state: 'queued' as const,
  messageId: `<${id}@test>`,
  from: null,
  subject: id,
  text: 'body',
  html: null,
  messageClass: 'IPM.Note',
  properties: {},
  deleteAfterSubmit: false,
  reports: { delivery: false, nonDelivery: false },
  idempotencyKey: null,
  submittedAt,
  recipients: [
    { address: 'LOOP:a', addressType: 'LOOP', value: 'a', type: 'to' as const, route: 'loopback/default' },
  ],
  attachments: [],
});

describe('the embedded store: leases', () => {
  it('a lease its owner stopped renewing is released by the sweep, and the message can be claimed again', async () => {
    // Two instances on one file, as two spoolers: `hung` claims and never renews; `other` sweeps and takes over.
    const file = join(profileDir(), 'spool.db');
    const clock = fakeClock();
    const hung = await openEmbeddedStore(file, { clock });
    const other = await openEmbeddedStore(file, { clock });
    const claim = { limit: 10, leaseMs: 1000, preprocessors: 0 };
    try {
      await hung.insert(queued('m1', clock.now()));
      const [first] = await hung.claim('loopback/default', claim);
      expect(first?.message.id).toBe('m1');
      // Leased: nobody else may take it, and the sweep leaves a lease that has not expired.
      expect(await other.claim('loopback/default', claim)).toEqual([]);
      clock.advance(999);
      expect(await other.releaseExpiredLeases()).toBe(0);
      expect(await other.claim('loopback/default', claim)).toEqual([]);
      // Expired: released once, then claimable by another owner.
      clock.advance(2);
      expect(await other.releaseExpiredLeases()).toBe(1);
      expect(await other.releaseExpiredLeases()).toBe(0);
      const [again] = await other.claim('loopback/default', claim);
      expect(again?.recipients.map((r) => r.index)).toEqual([0]);
    } finally {
      await hung.close();
      await other.close();
    }
  });

  it('a claim takes whole messages in submit order, at most `limit` of them, skipping what is not due', async () => {
    const now = Date.UTC(2026, 0, 1);
    const store = await openEmbeddedStore(join(profileDir(), 'spool.db'), { clock: { now: () => now + 5 } });
    try {
      const two = {
        ...queued('m2', now + 2),
        recipients: ['b', 'c'].map((value) => ({
          address: `LOOP:${value}`,
          addressType: 'LOOP',
          value,
          type: 'to' as const,
          route: 'loopback/default',
        })),
      };
      await store.insert(queued('m3', now + 3));
      await store.insert(two);
      await store.insert(queued('m1', now + 1));
      await store.insert(queued('later', now + 10_000)); // submitted in the future: not due at `now + 5`
      const claims = await store.claim('loopback/default', { limit: 2, leaseMs: 60_000, preprocessors: 1 });
      expect(claims.map((c) => [c.message.id, c.recipients.map((r) => r.index)])).toEqual([
        ['m1', [0]],
        ['m2', [0, 1]],
      ]);
      expect(claims.every((c) => c.runIds.length === 1)).toBe(true);
      const rest = await store.claim('loopback/default', { limit: 10, leaseMs: 60_000, preprocessors: 0 });
      expect(rest.map((c) => c.message.id)).toEqual(['m3']);
    } finally {
      await store.close();
    }
  });
});

/** A received copy of `original`, as the spooler stores what loopback brings back. */
const received = (id: string, original: NewMessage, text = original.text) => ({
  ...original,
  id,
  folder: 'Inbox',
  state: 'received' as const,
  text,
  idempotencyKey: `inbound:loopback:${id}`,
  recipients: [{ address: 'LOOP:a', addressType: 'LOOP', value: 'a', type: 'to' as const }],
});

/** Row counts read from the store file by another connection, as an operator would see them. */
function countRows(file: string, ...tables: string[]): number[] {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    return tables.map((table) =>
      Number((db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n),
    );
  } finally {
    db.close();
  }
}

describe('the embedded store: bodies', () => {
  const now = Date.UTC(2026, 0, 1);
  const route = 'loopback/default';
  const handOff = { limit: 1, leaseMs: 60_000, preprocessors: 0 };

  it('a message delivered back into the store shares the body of the original, which goes with its last message', async () => {
    const file = join(profileDir(), 'spool.db');
    const store = await openEmbeddedStore(file, { clock: { now: () => now } });
    try {
      const original = { ...queued('out', now), html: '<p>body</p>' };
      await store.insert(original);
      await store.claim(route, handOff);
      await store.insert(received('copy1', original));
      await store.insert(received('copy2', original));
      expect(countRows(file, 'messages', 'bodies')).toEqual([3, 1]);
      // The original is deleted when it finishes (deleteAfterSubmit): its copies keep the body.
      await store.settle({
        messageId: 'out',
        route,
        updates: [{ index: 0, outcome: 'delivered' }],
        ifFinished: { disposition: 'delete' },
      });
      expect(await store.get('out')).toBeUndefined();
      await store.delete('copy1');
      expect(await store.get('copy2')).toMatchObject({ text: 'body', html: '<p>body</p>', folder: 'Inbox' });
      expect(countRows(file, 'bodies', 'body_shares')).toEqual([1, 0]);
      await store.delete('copy2');
      expect(countRows(file, 'messages', 'bodies', 'body_shares')).toEqual([0, 0, 0]);
    } finally {
      await store.close();
    }
  });

  it('a body is shared only while the original is handed off, and only when the content is the same', async () => {
    const file = join(profileDir(), 'spool.db');
    const store = await openEmbeddedStore(file, { clock: { now: () => now } });
    try {
      const original = queued('out', now);
      await store.insert(original);
      await store.claim(route, handOff);
      await store.insert(received('edited', original, 'another body')); // same Message-ID, other text
      await store.settle({ messageId: 'out', route, updates: [{ index: 0, outcome: 'delivered' }] });
      await store.insert(received('late', original)); // same content, but the hand-off is over
      expect(countRows(file, 'bodies', 'body_shares')).toEqual([3, 0]);
      expect((await store.get('edited'))?.text).toBe('another body');
      expect((await store.get('late'))?.text).toBe('body');
      // Deleting the original leaves the others' bodies alone.
      await store.finish('out', { disposition: 'delete', reports: [] });
      expect(countRows(file, 'messages', 'bodies')).toEqual([2, 2]);
    } finally {
      await store.close();
    }
  });

  it("a received message's recipients come back as delivered, without rows in the Outbox's recipient table", async () => {
    const file = join(profileDir(), 'spool.db');
    const store = await openEmbeddedStore(file, { clock: { now: () => now } });
    try {
      const copy = {
        ...received('in', queued('out', now)),
        recipients: [
          { address: 'LOOP:a', addressType: 'LOOP', value: 'a', type: 'to' as const },
          { address: 'SMTP:b@example.com', addressType: 'SMTP', value: 'b@example.com', type: 'cc' as const },
        ],
      };
      await store.insert(copy);
      expect((await store.get('in'))?.recipients).toEqual([
        expect.objectContaining({
          index: 0,
          address: 'LOOP:a',
          type: 'to',
          outcome: 'delivered',
          route: null,
        }),
        expect.objectContaining({ index: 1, address: 'SMTP:b@example.com', addressType: 'SMTP', type: 'cc' }),
      ]);
      expect(countRows(file, 'recipients')).toEqual([0]);
    } finally {
      await store.close();
    }
  });
});
