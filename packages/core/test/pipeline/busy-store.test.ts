import { DatabaseSync } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { Spooler } from '../../src/pipeline/spooler.js';
import { openEmbeddedStore } from '../../src/store/open-store.js';
import { fixtureProfile, memorySink, temporaryDir } from '../helpers.js';

/** Polls `check` every 10 ms until it is true; fails after `ms`. Every wait in these tests is bounded. */
async function until(what: string, check: () => boolean | Promise<boolean>, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

describe('a spooler pass that fails', () => {
  it('is logged with its coded error and re-arms the wake-up: a retry that came due while another process held the write lock is still sent on time', async () => {
    const dir = temporaryDir();
    const file = `${dir}/spool.db`;
    const sink = memorySink();
    const profile = fixtureProfile({
      store: { path: file },
      retry: { schedule: ['400ms'], jitter: 0 },
      providers: [{ id: 'once', provider: 'spool-provider-retry-once' }],
    });
    // A short busy timeout: the store's writer waits this long for the lock, synchronously, then fails.
    const store = await openEmbeddedStore(file, { busyTimeoutMs: 50 });
    const spooler = await Spooler.create({ profile, store, logSink: sink });
    const other = new DatabaseSync(file);
    try {
      const shared = globalThis as { __spoolRetryOnce?: Record<string, number[]> };
      shared.__spoolRetryOnce ??= {};
      const attempts = shared.__spoolRetryOnce;
      const { id } = await spooler.submit({ to: 'ONCE:due-retry', subject: 'retried' });
      await until('the first attempt', () => (attempts['ONCE:due-retry']?.length ?? 0) === 1);
      const firstAt = attempts['ONCE:due-retry']![0]!;
      await until(
        'the deferral to be recorded',
        async () => (await store.get(id))?.recipients[0]?.attempts === 1,
      );

      // Another process takes the write lock before the retry comes due and holds it across the due pass.
      other.exec('PRAGMA busy_timeout = 0');
      other.exec('BEGIN IMMEDIATE');
      const failed = () => sink.records.filter((r) => r.message.startsWith('spooler pass failed'));
      try {
        await until('the due pass to fail on the held lock', () => failed().length > 0, 2000);
      } finally {
        other.exec('ROLLBACK');
      }
      const releasedAt = Date.now();

      // Nothing else wakes the spooler (no send, no change): the failed pass armed the next wake-up itself.
      await until('the retry to be delivered', () => (attempts['ONCE:due-retry']?.length ?? 0) === 2, 2000);
      const retriedAt = attempts['ONCE:due-retry']![1]!;
      expect(retriedAt - firstAt).toBeGreaterThanOrEqual(400);
      expect(retriedAt - releasedAt).toBeLessThan(1000);
      expect(failed()[0]!.fields.code).toBe('SPOOL_E_STORE_FAILED');
      expect(failed()[0]!.message).toContain('database is locked');
      await until('the message to be filed', async () => (await store.get(id))?.folder === 'Sent');
      // The spooler's row kept the error for `spool status`.
      expect(spooler.status()[0]?.lastError?.code).toBe('SPOOL_E_STORE_FAILED');
    } finally {
      other.close();
      await spooler.stop({ mode: 'hurry' });
    }
  });

  it('a hand-off whose settle commit meets the held write lock is settled once the lock is released: filed in Sent, the provider not asked twice', async () => {
    const dir = temporaryDir();
    const file = `${dir}/spool.db`;
    const sink = memorySink();
    // spool-provider-hang's switches (see its index.js): its submitMessage waits until the test lets it go.
    const shared = globalThis as {
      __spoolHang?: { hangSubmit: boolean; submits: number; waiting: Set<() => void> };
    };
    const hang = Object.assign(shared.__spoolHang ?? {}, {
      hangSubmit: true,
      hangPoll: false,
      logon: 'ok',
      logons: 0,
      logoffs: 0,
      submits: 0,
      polls: 0,
      delivered: [],
      waiting: new Set<() => void>(),
    });
    shared.__spoolHang = hang;
    const profile = fixtureProfile({
      store: { path: file },
      providers: [{ id: 'hang', provider: 'spool-provider-hang', timeouts: { inactivity: 5000 } }],
    });
    const store = await openEmbeddedStore(file, { busyTimeoutMs: 50 });
    const spooler = await Spooler.create({ profile, store, logSink: sink });
    const other = new DatabaseSync(file);
    try {
      const { id } = await spooler.submit({ to: 'HANG:settle', subject: 'settled late' });
      await until('the hand-off to be in submitMessage', () => hang.submits === 1);
      other.exec('PRAGMA busy_timeout = 0');
      other.exec('BEGIN IMMEDIATE');
      const locked = () => sink.records.filter((r) => r.message.includes('database is locked'));
      try {
        // The provider answers; its outcome's commit meets the lock.
        hang.hangSubmit = false;
        for (const release of hang.waiting) release();
        hang.waiting.clear();
        await until('the settle commit to fail on the held lock', () => locked().length > 0, 2000);
      } finally {
        other.exec('ROLLBACK');
      }
      await until(
        'the message to be filed in Sent',
        async () => (await store.get(id))?.folder === 'Sent',
        3000,
      );
      expect(hang.submits).toBe(1);
    } finally {
      other.close();
      await spooler.stop({ mode: 'hurry' });
    }
  });
});
