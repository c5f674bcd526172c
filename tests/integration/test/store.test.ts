import { join } from 'node:path';
import { SqliteStore } from '@spool/core';
import { describe, expect, it } from 'vitest';
import { profileDir } from './helpers.js';

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
    const store = await SqliteStore.open(join(profileDir(), 'spool.db'));
    try {
      const now = Date.UTC(2026, 0, 1);
      await store.insert(queued('m1', now));
      const [first] = await store.claim('loopback/default', 10, now, 'hung@elsewhere:1', 1000, 0);
      expect(first?.message.id).toBe('m1');
      // Leased: nobody else may take it, and the sweep leaves a lease that has not expired.
      expect(await store.claim('loopback/default', 10, now, 'other@here:2', 1000, 0)).toEqual([]);
      expect(await store.releaseExpiredLeases(now + 999)).toBe(0);
      expect(await store.claim('loopback/default', 10, now + 999, 'other@here:2', 1000, 0)).toEqual([]);
      // Expired: released once, then claimable by another owner.
      expect(await store.releaseExpiredLeases(now + 1001)).toBe(1);
      expect(await store.releaseExpiredLeases(now + 1001)).toBe(0);
      const [again] = await store.claim('loopback/default', 10, now + 1001, 'other@here:2', 1000, 0);
      expect(again?.recipients.map((r) => r.index)).toEqual([0]);
    } finally {
      await store.close();
    }
  });

  it('a claim takes whole messages in submit order, at most `limit` of them, skipping what is not due', async () => {
    const store = await SqliteStore.open(join(profileDir(), 'spool.db'));
    try {
      const now = Date.UTC(2026, 0, 1);
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
      const claims = await store.claim('loopback/default', 2, now + 5, 'me@here:1', 60_000, 1);
      expect(claims.map((c) => [c.message.id, c.recipients.map((r) => r.index)])).toEqual([
        ['m1', [0]],
        ['m2', [0, 1]],
      ]);
      expect(claims.every((c) => c.runIds.length === 1)).toBe(true);
      const rest = await store.claim('loopback/default', 10, now + 5, 'me@here:1', 60_000, 0);
      expect(rest.map((c) => c.message.id)).toEqual(['m3']);
    } finally {
      await store.close();
    }
  });
});
