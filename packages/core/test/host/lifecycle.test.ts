import { beforeEach, describe, expect, it } from 'vitest';
import { ProviderHost } from '../../src/host/provider-host.js';
import { caught, fixtureProfile, memorySink } from '../helpers.js';

declare global {
  var __spoolRecord: string[] | undefined;
  var __spoolSupports: { modifyStatusRow(patch: object): void }[] | undefined;
}

const twoAccounts = () =>
  fixtureProfile({ providers: [{ provider: 'recording', id: 'rec', accounts: { alice: {}, bob: {} } }] });

/** The calls recorded so far, with instance numbers (module-wide counters) folded to `#n`. */
const recorded = () => (globalThis.__spoolRecord ?? []).map((e) => e.replace(/#\d+/, '#n'));

beforeEach(() => {
  globalThis.__spoolRecord = [];
  globalThis.__spoolSupports = [];
});

describe('provider lifecycle (MAPI call order)', () => {
  it('init → logon + addressTypes per account → traffic on → traffic off → logoff per account → shutdown', async () => {
    const host = await ProviderHost.start({ profile: twoAccounts(), logSink: memorySink(), strict: true });
    await host.beginTraffic();
    await host.stop();
    expect(recorded()).toEqual([
      // The fixture declares ^1.0.0: the host offers the newest SPI it implements in that range.
      'init#n spi=1.1.0 entry=rec',
      'logon#n alice',
      'addressTypes alice',
      'logon#n bob',
      'addressTypes bob',
      'notify alice begin-outbound',
      'notify alice begin-inbound',
      'notify bob begin-outbound',
      'notify bob begin-inbound',
      'notify alice end-outbound',
      'notify alice end-inbound',
      'logoff alice orderly',
      'notify bob end-outbound',
      'notify bob end-inbound',
      'logoff bob orderly',
      'shutdown#n stop',
    ]);
  });

  it('shuts the provider down only after the last of its logons closed', async () => {
    await using host = await ProviderHost.start({
      profile: twoAccounts(),
      logSink: memorySink(),
      strict: true,
    });
    const [alice, bob] = host.logons();
    await host.logoff(alice!);
    expect(recorded().some((e) => e.startsWith('shutdown'))).toBe(false);
    expect(host.statusTable.get('rec/alice')).toBeUndefined();
    expect(host.statusTable.get('rec/bob')).toBeDefined();
    await host.logoff(bob!);
    expect(recorded().at(-2)).toBe('logoff bob orderly');
    expect(recorded().at(-1)).toBe('shutdown#n stop');
  });

  it('a host dropped without stop() logs off and shuts down (await using)', async () => {
    {
      await using host = await ProviderHost.start({
        profile: twoAccounts(),
        logSink: memorySink(),
        strict: true,
      });
      expect(host.logons()).toHaveLength(2);
    }
    expect(recorded().filter((e) => e.startsWith('logoff') || e.startsWith('shutdown'))).toEqual([
      'logoff alice orderly',
      'logoff bob orderly',
      'shutdown#n stop',
    ]);
  });

  it('the support object is invalid after logoff: every call fails with a coded error', async () => {
    const host = await ProviderHost.start({ profile: twoAccounts(), logSink: memorySink(), strict: true });
    const support = globalThis.__spoolSupports?.[0];
    expect(() => support?.modifyStatusRow({ text: 'fine' })).not.toThrow();
    await host.stop();
    const error = await caught(() => support?.modifyStatusRow({ text: 'too late' }));
    expect(error.code).toBe('SPOOL_E_SUPPORT_INVALID');
    expect(error.message).toContain('rec/alice');
  });

  it('imports a module once but creates a new provider object per profile entry', async () => {
    const profile = fixtureProfile({
      providers: [
        { provider: 'recording', id: 'one' },
        { provider: 'recording', id: 'two' },
      ],
    });
    await using host = await ProviderHost.start({ profile, logSink: memorySink(), strict: true });
    const inits = globalThis.__spoolRecord?.filter((e) => e.startsWith('init')) ?? [];
    // The counter lives in module scope: #2 (not #1 twice) proves a single module evaluation.
    expect(inits.map((e) => e.split(' ')[0])).toHaveLength(2);
    expect(new Set(inits.map((e) => e.split(' ')[0])).size).toBe(2);
    expect(host.entries[0]?.provider).not.toBe(host.entries[1]?.provider);
  });

  it('creates the status row before traffic and keeps the provider’s patch', async () => {
    const profile = fixtureProfile({ providers: ['good'] });
    await using host = await ProviderHost.start({ profile, logSink: memorySink(), strict: true });
    const row = host.statusTable.get('good/default');
    expect(row).toMatchObject({
      kind: 'logon',
      identity: 'spool-provider-good',
      available: true,
      spiVersion: '1.1.0', // ^1.0.0 on a host implementing 1.0.0 and 1.1.0
      provider: { name: 'spool-provider-good', version: '1.0.0' },
      outbound: { enabled: false },
    });
    await host.beginTraffic();
    expect(host.statusTable.get('good/default')).toMatchObject({
      outbound: { enabled: true },
      inbound: { enabled: true },
    });
  });

  it('several logons may claim one address type; claimants come in profile order', async () => {
    const profile = fixtureProfile({
      providers: [{ provider: 'good', id: 'first' }, 'light-a', { provider: 'good', id: 'second' }],
    });
    await using host = await ProviderHost.start({ profile, logSink: memorySink(), strict: true });
    expect(host.claimants('good').map((l) => l.id)).toEqual(['first/default', 'second/default']);
  });
});
