import { cpSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { normalizeProfile, openEmbeddedStore, type Spooler } from '@spool/core';
import type { StatusEvent } from '@spool/core/internal';
import type { SpoolError } from '@spool/spi';
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

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/node_modules/${name}`, import.meta.url));
const PROBE = fixture('spool-provider-reload-probe');
const SMTP_DIR = dirname(createRequire(import.meta.url).resolve('@spool/provider-smtp/package.json'));
const probe = globalThis as { __reloadProbe?: string[] };
const probeCalls = (): string[] => {
  probe.__reloadProbe ??= [];
  return probe.__reloadProbe;
};

/** The entries a spooler runs, as `id status` lines. */
const entries = (spooler: Spooler) => spooler.providers().map((entry) => `${entry.id} ${entry.status}`);

describe('Spooler.reload is all or nothing', () => {
  it('refuses each kind of broken entry with its coded error before anything changes, and the old entries keep delivering', async () => {
    const dir = profileDir();
    const good = [entry('a', 'LA'), { id: 'probe', provider: PROBE, options: { tag: 'one' } }];
    const spooler = await spoolerIn(dir, { providers: good });
    const before = entries(spooler);
    let delivered = 0;
    const stillDelivering = async () => {
      expect(entries(spooler)).toEqual(before);
      expect(spooler.providers().flatMap((p) => p.logons)).toEqual(['a/default', 'probe/default']);
      await spooler.submit({ to: ['LA:x', 'PROBE:y'], subject: 'through the old entries' });
      expect((await spooler.runOnce()).delivered).toBe(2);
      delivered += 2;
      expect(spooler.status().find((r) => r.id === 'a/default')?.counters.sent).toBe(delivered / 2);
      expect(spooler.status().find((r) => r.id === 'probe/default')?.counters.sent).toBe(delivered / 2);
    };
    await stillDelivering();
    const kinds: [string, unknown[], string][] = [
      [
        'a typo in a changed entry',
        [{ ...entry('a', 'LA'), provider: 'loopbak' }, good[1]],
        'SPOOL_E_NOT_INSTALLED',
      ],
      ['an unknown option', [good[0], { ...good[1], options: { tga: 'two' } }], 'SPOOL_E_INVALID_OPTIONS'],
      [
        'an SPI mismatch',
        [...good, { id: 'future', provider: fixture('spool-provider-future-spi') }],
        'SPOOL_E_SPI_MISMATCH',
      ],
      [
        'an import that throws',
        [...good, { id: 'bad', provider: fixture('spool-provider-throws-at-import') }],
        'SPOOL_E_IMPORT_FAILED',
      ],
    ];
    for (const [kind, providers, code] of kinds) {
      probeCalls().length = 0;
      const next = normalizeProfile({ providers }, { dir });
      const refusal = spooler.reload(next);
      await expect(refusal, kind).rejects.toMatchObject({ code, details: { refused: true } });
      await expect(spooler.reload(next)).rejects.toThrow(/^reload refused: .*entry "\w+"/);
      // No logon, no logoff: the running probe logon was not touched (a changed probe was only initialised).
      expect(probeCalls().filter((call) => !call.startsWith('init') && !call.startsWith('shutdown'))).toEqual(
        [],
      );
      await stillDelivering();
    }
    expect((globalThis as { __futureSpiImported?: boolean }).__futureSpiImported).toBeUndefined();

    // Several refusals: the first one's code, all of them in details.
    const two = normalizeProfile(
      {
        providers: [
          { ...entry('a', 'LA'), provider: 'loopbak' },
          { ...good[1], options: { tga: 'x' } },
        ],
      },
      { dir },
    );
    const error = (await spooler.reload(two).then(
      () => undefined,
      (e: unknown) => e,
    )) as { code: string; details: { refusals: unknown[] } };
    expect(error.code).toBe('SPOOL_E_NOT_INSTALLED');
    expect(error.details.refusals).toMatchObject([
      { entry: 'a', code: 'SPOOL_E_NOT_INSTALLED' },
      { entry: 'probe', code: 'SPOOL_E_INVALID_OPTIONS' },
    ]);
    await stillDelivering();
  });

  it('checks a changed entry without a logon: initialised and shut down (reason reload), then logged on once at the switch', async () => {
    const dir = profileDir();
    const spooler = await spoolerIn(dir, {
      providers: [{ id: 'probe', provider: PROBE, options: { tag: 'one' } }],
    });
    probeCalls().length = 0;
    await spooler.reload(
      normalizeProfile({ providers: [{ id: 'probe', provider: PROBE, options: { tag: 'two' } }] }, { dir }),
    );
    expect(probeCalls()).toEqual([
      'init probe', // the check
      'shutdown probe reload',
      'logoff default', // the switch: the old logon goes
      'shutdown probe reload',
      'init probe', // the new one comes
      'logon default',
    ]);
  });

  it('a logon that fails after the switch leaves that entry failed and rejects with SPOOL_E_RELOAD_LOGON_FAILED naming it', async () => {
    const dir = profileDir();
    const spooler = await spoolerIn(dir, { providers: [entry('a', 'LA')] });
    const next = normalizeProfile(
      {
        providers: [
          entry('a', 'LA'),
          entry('c', 'LC'),
          {
            id: 'mail',
            provider: SMTP_DIR,
            options: { host: '127.0.0.1', port: 1, tls: { ca: 'missing-ca.pem' } },
          },
        ],
      },
      { dir },
    );
    const error = (await spooler.reload(next).then(
      () => undefined,
      (e: unknown) => e,
    )) as SpoolError;
    expect(error).toMatchObject({
      code: 'SPOOL_E_RELOAD_LOGON_FAILED',
      details: { entries: [{ entry: 'mail' }], changes: { added: ['c', 'mail'], unchanged: ['a'] } },
    });
    expect(error.message).toContain('entry "mail"');
    expect(error.message).toContain('missing-ca.pem');
    // The rest of the new profile is in force: c serves, a kept its logon, mail is failed.
    expect(entries(spooler)).toEqual(['a active', 'c active', 'mail failed']);
    expect(spooler.profile).toBe(next);
    await spooler.submit({ to: ['LA:x', 'LC:y'], subject: 'after the switch' });
    expect((await spooler.runOnce()).delivered).toBe(2);
  });

  it('starts an unchanged entry that had failed again once it loads (installed since), and leaves it alone while it does not', async () => {
    const dir = profileDir();
    const later = join(dir, 'later-provider');
    const profile = { providers: [entry('a', 'LA'), { id: 'later', provider: later }] };
    const spooler = await spoolerIn(dir, profile);
    expect(entries(spooler)).toEqual(['a active', 'later failed']);
    // Still not there: nothing refused (the profile in force has it failed already), nothing changed.
    await expect(spooler.reload(normalizeProfile(profile, { dir }))).resolves.toMatchObject({
      unchanged: ['a', 'later'],
    });
    expect(entries(spooler)).toEqual(['a active', 'later failed']);
    cpSync(PROBE, later, { recursive: true });
    await spooler.reload(normalizeProfile(profile, { dir }));
    expect(entries(spooler)).toEqual(['a active', 'later active']);
    await spooler.submit({ to: 'PROBE:z', subject: 'now it serves' });
    expect((await spooler.runOnce()).delivered).toBe(1);
  });

  it('checkReload() says what a reload would change or why it would refuse, and changes nothing', async () => {
    const dir = profileDir();
    const spooler = await spoolerIn(dir, { providers: [entry('a', 'LA')] });
    await expect(
      spooler.checkReload(normalizeProfile({ providers: [entry('a', 'LA'), entry('b', 'LB')] }, { dir })),
    ).resolves.toMatchObject({ added: ['b'], unchanged: ['a'] });
    await expect(
      spooler.checkReload(normalizeProfile({ providers: [entry('a', 'LA', { latncyMs: 1 })] }, { dir })),
    ).rejects.toMatchObject({ code: 'SPOOL_E_INVALID_OPTIONS' });
    // Settings changed are not refused by the check (the daemon restarts for them).
    await expect(
      spooler.checkReload(
        normalizeProfile({ providers: [entry('a', 'LA')], retry: { schedule: ['1s'] } }, { dir }),
      ),
    ).resolves.toMatchObject({ settingsChanged: true });
    expect(entries(spooler)).toEqual(['a active']);
  });
});
