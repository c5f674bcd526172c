/**
 * Failover between entries that claim one address type, and the breaker of a route whose hand-offs keep
 * failing temporarily. Two real loopback entries claim LOOP; which one took a recipient is its route.
 */
import type { Spooler, StoredMessage } from '@spool/core';
import { normalizeProfile } from '@spool/core';
import { describe, expect, it } from 'vitest';
import { fakeClock, profileDir, spoolerIn } from './helpers.js';

const LOOPBACK = '@spool/provider-loopback';

async function routeOf(spooler: Spooler, id: string): Promise<StoredMessage['recipients'][number]> {
  const recipient = (await spooler.get(id)).recipients[0];
  if (!recipient) throw new Error(`message ${id} has no recipient`);
  return recipient;
}

describe('failover', () => {
  it('sends the mail of an entry that cannot serve to the next claimant, and new mail back once it serves', async () => {
    const dir = profileDir();
    const broken = { id: 'first', provider: 'loopbak', addressTypes: ['LOOP'], failover: true };
    const second = { id: 'second', provider: LOOPBACK };
    const spooler = await spoolerIn(dir, { providers: [broken, second] });
    const { id: during } = await spooler.submit({ from: 'LOOP:me', to: ['LOOP:a'], subject: 'during' });
    await spooler.runOnce();
    expect(await routeOf(spooler, during)).toMatchObject({ route: 'second/default', outcome: 'delivered' });

    const fixed = { id: 'first', provider: LOOPBACK, failover: true };
    await spooler.reload(normalizeProfile({ providers: [fixed, second] }, { dir, env: {} }));
    const { id: after } = await spooler.submit({ from: 'LOOP:me', to: ['LOOP:b'], subject: 'after' });
    await spooler.runOnce();
    expect(await routeOf(spooler, after)).toMatchObject({ route: 'first/default', outcome: 'delivered' });
  });

  it('keeps the mail waiting on the entry when failover is off (the default)', async () => {
    const dir = profileDir();
    const broken = { id: 'first', provider: 'loopbak', addressTypes: ['LOOP'] };
    const spooler = await spoolerIn(dir, { providers: [broken, { id: 'second', provider: LOOPBACK }] });
    const { id } = await spooler.submit({ from: 'LOOP:me', to: ['LOOP:a'], subject: 'waits' });
    await spooler.runOnce();
    const recipient = await routeOf(spooler, id);
    expect(recipient).toMatchObject({ route: 'first/default', outcome: 'pending' });
    expect(recipient.lastError).toContain('SPOOL_E_NOT_INSTALLED');
  });

  it('moves queued mail to the next claimant when the first one’s breaker opens', async () => {
    const dir = profileDir();
    const clock = fakeClock();
    const profile = {
      providers: [
        {
          id: 'first',
          provider: LOOPBACK,
          options: { failNext: 100 },
          failover: true,
          breaker: { after: 2, coolDown: '1m' },
        },
        { id: 'second', provider: LOOPBACK },
      ],
      retry: { schedule: ['10s'], jitter: 0, maxAge: '1d' },
    };
    const spooler = await spoolerIn(dir, profile, { clock });
    const { id } = await spooler.submit({ from: 'LOOP:me', to: ['LOOP:a'], subject: 'moves' });
    await spooler.runOnce();
    clock.advance(11_000);
    await spooler.runOnce(); // the second failure in a row opens the breaker; the mail is routed again
    await spooler.runOnce();
    expect(await routeOf(spooler, id)).toMatchObject({ route: 'second/default', outcome: 'delivered' });
  });
});

describe('the breaker of a route', () => {
  it('opens after the count, probes after the cool-down (doubling it when the probe fails) and closes on success', async () => {
    const dir = profileDir();
    const clock = fakeClock();
    const profile = {
      providers: [
        {
          id: 'loopback',
          provider: LOOPBACK,
          options: { failNext: 3 },
          breaker: { after: 2, coolDown: '1m', maxCoolDown: '10m' },
        },
      ],
      retry: { schedule: ['10s'], jitter: 0, maxAge: '1d' },
    };
    const spooler = await spoolerIn(dir, profile, { clock });
    const transitions: string[] = [];
    spooler.on('breaker', (t) => transitions.push(t.state));
    const row = () => spooler.status().find((r) => r.id === 'loopback/default');
    const { id } = await spooler.submit({ from: 'LOOP:me', to: ['LOOP:a'], subject: 'flaky' });

    await spooler.runOnce(); // failure 1
    expect(transitions).toEqual([]);
    clock.advance(11_000);
    await spooler.runOnce(); // failure 2: open for 1 minute
    expect(transitions).toEqual(['open']);
    expect(row()?.text).toMatch(/^suspended until \d{4}-/);
    expect((await routeOf(spooler, id)).attempts).toBe(2);

    clock.advance(30_000); // due again, but the breaker is open: no hand-off, no attempt burned
    await spooler.runOnce();
    expect((await routeOf(spooler, id)).attempts).toBe(2);
    expect((await spooler.get(id)).folder).toBe('Outbox');

    clock.advance(31_000); // the cool-down is over: one probe, which fails (failure 3): open for 2 minutes
    await spooler.runOnce();
    expect(transitions).toEqual(['open', 'probing', 'open']);
    expect((await routeOf(spooler, id)).attempts).toBe(3);
    clock.advance(61_000);
    await spooler.runOnce(); // within the doubled cool-down: nothing
    expect((await routeOf(spooler, id)).attempts).toBe(3);

    clock.advance(60_000); // the probe goes through: closed, delivered
    await spooler.runOnce();
    expect(transitions).toEqual(['open', 'probing', 'open', 'probing', 'closed']);
    expect(await routeOf(spooler, id)).toMatchObject({ outcome: 'delivered', attempts: 4 });
    expect(row()?.text).toBe('ready');
  });

  it('stays out of the way with breaker: false', async () => {
    const dir = profileDir();
    const clock = fakeClock();
    const profile = {
      providers: [{ id: 'loopback', provider: LOOPBACK, options: { failNext: 3 }, breaker: false }],
      retry: { schedule: ['10s'], jitter: 0, maxAge: '1d' },
    };
    const spooler = await spoolerIn(dir, profile, { clock });
    const transitions: string[] = [];
    spooler.on('breaker', (t) => transitions.push(t.state));
    const { id } = await spooler.submit({ from: 'LOOP:me', to: ['LOOP:a'], subject: 'flaky' });
    for (let attempt = 0; attempt < 4; attempt++) {
      await spooler.runOnce();
      clock.advance(11_000);
    }
    expect(transitions).toEqual([]);
    expect(await routeOf(spooler, id)).toMatchObject({ outcome: 'delivered', attempts: 4 });
  });
});
