import { join } from 'node:path';
import { normalizeProfile, openEmbeddedStore } from '@spool/core';
import type { StatusEvent } from '@spool/core/internal';
import { describe, expect, it } from 'vitest';
import { profileDir, spoolerIn } from './helpers.js';

const entry = (id: string, type: string, options: Record<string, unknown> = {}) => ({
  id,
  provider: 'loopback',
  options: { addressTypes: [type], ...options },
});

describe('Spooler.reload', () => {
  it('logs off removed and changed entries, logs on new ones, keeps unchanged logons, and reroutes what was routed to a gone logon', async () => {
    const dir = profileDir();
    // The test's own reference to the store the spooler runs on (the spooler closes it when it stops).
    const store = await openEmbeddedStore(join(dir, 'spool.db'));
    const spooler = await spoolerIn(
      dir,
      { providers: [entry('a', 'LA'), entry('b', 'LB'), entry('gone', 'LG')] },
      { store },
    );
    await spooler.submit({ to: 'LA:x', subject: 'before' });
    await spooler.runOnce();
    expect(spooler.status().find((r) => r.id === 'a/default')?.counters.sent).toBe(1);
    // A message routed to "gone" but not handed off yet (store only: no pass runs).
    const { id: stranded } = await spooler.submit({ to: 'LG:y', subject: 'stranded' });
    const unrouted = await store.unrouted(10);
    await store.route(unrouted.map((r) => ({ ...r, route: 'gone/default' })));
    // A logon that logs off loses its status row, one that logs on gets a new one ('logging on').
    const rowEvents: StatusEvent[] = [];
    const off = spooler.on('status-row', (event) => rowEvents.push(event));

    const next = normalizeProfile(
      { providers: [entry('a', 'LA'), entry('b', 'LB', { latencyMs: 1 }), entry('c', 'LC')] },
      { dir },
    );
    const changes = await spooler.reload(next);
    expect(changes).toMatchObject({ added: ['c'], removed: ['gone'], changed: ['b'], unchanged: ['a'] });

    off();

    // Unchanged: the same logon (never logged off or on again), its counters kept. Changed: a new logon.
    // Added: logged on.
    const removed = rowEvents.flatMap((e) => (e.type === 'removed' ? [e.id] : []));
    const loggingOn = rowEvents.flatMap((e) =>
      e.type === 'row' && e.row.text === 'logging on' ? [e.row.id] : [],
    );
    expect(removed).toEqual(expect.arrayContaining(['b/default', 'gone/default']));
    expect(removed).not.toContain('a/default');
    expect(loggingOn).toEqual(['b/default', 'c/default']);
    expect(spooler.status().find((r) => r.id === 'a/default')?.counters.sent).toBe(1);
    expect(spooler.status().find((r) => r.id === 'b/default')?.counters.sent).toBe(0);
    expect(spooler.providers().flatMap((p) => p.logons)).toEqual(['a/default', 'b/default', 'c/default']);

    await spooler.submit({ to: ['LB:b', 'LC:c'], subject: 'after' });
    const report = await spooler.runOnce();
    expect(report.delivered).toBe(2);
    // The recipient routed to the removed logon was routed again: nobody claims LG now, so it fails with an NDR.
    const strandedNow = await spooler.get(stranded);
    expect(strandedNow.recipients[0]).toMatchObject({ outcome: 'failed' });
  });

  it('refuses a profile whose settings outside the entries changed, with a coded error, and keeps running', async () => {
    const dir = profileDir();
    const spooler = await spoolerIn(dir, { providers: [entry('a', 'LA')] });
    const next = normalizeProfile({ providers: [entry('a', 'LA')], retry: { schedule: ['1s'] } }, { dir });
    await expect(spooler.reload(next)).rejects.toMatchObject({ code: 'SPOOL_E_RELOAD_NEEDS_RESTART' });
    await spooler.submit({ to: 'LA:x', subject: 'still running' });
    expect((await spooler.runOnce()).delivered).toBe(1);
  });
});
