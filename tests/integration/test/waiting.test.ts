/**
 * A provider entry that is in the profile but cannot serve keeps claiming its address types: its mail waits in
 * the Outbox, deferred with the entry's coded error, and goes out once the profile is fixed; it is never
 * bounced for that, and fails only past the retry maxAge (one NDR that says the transport was unavailable).
 * Each failure kind breaks the `loopback` entry (address type LOOP) a different way; the fix is the real
 * loopback provider, so "delivered" means a real hand-off.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Spooler, StoredMessage } from '@spool/core';
import { normalizeProfile } from '@spool/core';
import { describe, expect, it } from 'vitest';
import { fakeClock, profileDir, spoolerIn } from './helpers.js';

const GOOD_ENTRY = { id: 'loopback', provider: '@spool/provider-loopback' };

/** A hand-written provider package in the profile's node_modules, claiming LOOP like loopback. */
function writeProvider(dir: string, name: string, spi: string, indexJs: string): void {
  const pkg = join(dir, 'node_modules', name);
  mkdirSync(pkg, { recursive: true });
  writeFileSync(
    join(pkg, 'package.json'),
    JSON.stringify({
      name,
      version: '1.0.0',
      type: 'module',
      main: './index.js',
      spool: { spi, addressTypes: ['LOOP'] },
    }),
  );
  writeFileSync(join(pkg, 'index.js'), indexJs);
}

/** A provider whose transportLogon runs `body` first (to throw, or to read a file the options name). */
function logonProvider(body: string): string {
  return `import { readFileSync } from 'node:fs';
export function xpProviderInit() {
  return {
    meta: { name: 'spool-provider-broken', version: '1.0.0', spi: '^1.0.0', addressTypes: ['LOOP'] },
    async transportLogon(support, section) {
      const options = section.options;
      ${body}
      throw new Error('unreachable');
    },
    async shutdown() {},
  };
}
`;
}

interface FailureKind {
  readonly name: string;
  readonly code: string;
  /** The broken entry (always id `loopback`, so its logon is `loopback/default` once fixed). */
  readonly entry: Record<string, unknown>;
  readonly setup?: (dir: string) => void;
}

const KINDS: readonly FailureKind[] = [
  {
    name: 'not installed (a typo in the provider name)',
    code: 'SPOOL_E_NOT_INSTALLED',
    entry: { id: 'loopback', provider: 'loopbak' },
  },
  {
    name: 'its import throws',
    code: 'SPOOL_E_IMPORT_FAILED',
    entry: { id: 'loopback', provider: 'spool-provider-broken' },
    setup: (dir) => writeProvider(dir, 'spool-provider-broken', '^1.0.0', "throw new Error('boom');\n"),
  },
  {
    name: 'an SPI mismatch after an update',
    code: 'SPOOL_E_SPI_MISMATCH',
    entry: { id: 'loopback', provider: 'spool-provider-broken' },
    setup: (dir) =>
      writeProvider(dir, 'spool-provider-broken', '^9.0.0', 'export function xpProviderInit() {}\n'),
  },
  {
    name: 'an invalid option',
    code: 'SPOOL_E_INVALID_OPTIONS',
    entry: { ...GOOD_ENTRY, options: { failNext: 'twenty' } },
  },
  {
    name: 'a file it names is missing',
    code: 'SPOOL_E_PROVIDER_FAILED',
    entry: { id: 'loopback', provider: 'spool-provider-broken', options: { ca: './missing-ca.pem' } },
    setup: (dir) =>
      writeProvider(dir, 'spool-provider-broken', '^1.0.0', logonProvider('readFileSync(options.ca);')),
  },
  {
    name: 'its transportLogon throws',
    code: 'SPOOL_E_PROVIDER_FAILED',
    entry: { id: 'loopback', provider: 'spool-provider-broken' },
    setup: (dir) =>
      writeProvider(
        dir,
        'spool-provider-broken',
        '^1.0.0',
        logonProvider("throw new Error('connection refused by the account server');"),
      ),
  },
];

async function outbox(spooler: Spooler): Promise<StoredMessage[]> {
  return spooler.list('Outbox');
}

async function routeOutcome(spooler: Spooler, id: string): Promise<string | undefined> {
  return (await spooler.get(id)).recipients[0]?.outcome;
}

async function reports(spooler: Spooler): Promise<StoredMessage[]> {
  return (await spooler.list('Inbox')).filter((m) => m.messageClass.startsWith('REPORT.'));
}

describe('a provider entry that cannot serve', () => {
  for (const kind of KINDS) {
    it(`keeps its mail waiting when ${kind.name}, and delivers it once the profile is fixed`, async () => {
      const dir = profileDir();
      kind.setup?.(dir);
      // Sent before the break: accepted by a spooler of the working profile that never handed it off.
      const before = await spoolerIn(dir, { providers: [GOOD_ENTRY] });
      const first = await before.submit({ from: 'LOOP:me', to: ['LOOP:alice'], subject: 'before' });
      await before.stop();

      const spooler = await spoolerIn(dir, { providers: [kind.entry] });
      const entry = spooler.providers().find((p) => p.id === 'loopback');
      expect(entry?.status).toBe('failed');
      expect(entry?.error?.code).toBe(kind.code);
      const second = await spooler.submit({ from: 'LOOP:me', to: ['LOOP:bob'], subject: 'after' });
      const pass = await spooler.runOnce();
      expect(pass.failed).toBe(0);

      const waiting = await outbox(spooler);
      expect(waiting.map((m) => m.id).sort()).toEqual([first.id, second.id].sort());
      for (const message of waiting) {
        const [recipient] = message.recipients;
        expect(recipient?.outcome).toBe('pending');
        expect(recipient?.route).toBe('loopback/default');
        expect(recipient?.lastError).toContain(kind.code);
        expect(recipient?.lastError).toContain('transport unavailable');
      }
      // The failed entry has its row, which shows the failure and its error.
      const row = spooler.status().find((r) => r.id === 'loopback');
      expect(row?.failure).toBe(true);
      expect(row?.lastError?.code).toBe(kind.code);

      await spooler.reload(normalizeProfile({ providers: [GOOD_ENTRY] }, { dir, env: {} }));
      expect(spooler.providers().find((p) => p.id === 'loopback')?.status).toBe('active');
      await spooler.runOnce();
      expect(await outbox(spooler)).toEqual([]);
      const sent = await spooler.list('Sent');
      expect(sent.map((m) => m.id).sort()).toEqual([first.id, second.id].sort());
      for (const message of sent) expect(message.recipients[0]?.outcome).toBe('delivered');
      expect(await reports(spooler)).toEqual([]);
    }, 20_000);
  }

  it('fails its waiting mail only past the retry maxAge, with one NDR that says the transport was unavailable', async () => {
    const dir = profileDir();
    const clock = fakeClock();
    const profile = {
      providers: [{ id: 'loopback', provider: 'loopbak' }],
      retry: { schedule: ['1m'], jitter: 0, maxAge: '1h' },
    };
    const spooler = await spoolerIn(dir, profile, { clock });
    const { id } = await spooler.submit({ from: 'LOOP:me', to: ['LOOP:alice'], subject: 'patience' });
    await spooler.runOnce();
    for (let minute = 0; minute < 30; minute++) {
      clock.advance(60_000);
      await spooler.runOnce();
    }
    expect((await spooler.get(id)).folder).toBe('Outbox');
    expect(await reports(spooler)).toEqual([]);

    clock.advance(31 * 60_000);
    await spooler.runOnce();
    const message = await spooler.get(id);
    expect(message.folder).toBe('Sent');
    expect(message.recipients[0]?.outcome).toBe('failed');
    const ndrs = await reports(spooler);
    expect(ndrs).toHaveLength(1);
    expect(ndrs[0]?.subject).toBe('Undeliverable: patience');
    expect(ndrs[0]?.text).toContain('transport unavailable');
    expect(ndrs[0]?.text).toContain('SPOOL_E_NOT_INSTALLED');
  }, 20_000);

  it('starts a failed entry again on the retry schedule, and its waiting mail goes out once it logs on', async () => {
    const dir = profileDir();
    const down = join(dir, 'account-server-down');
    writeFileSync(down, '');
    // Logs on only once the file is gone (an account server that comes back), then delivers everything.
    writeProvider(
      dir,
      'spool-provider-comes-back',
      '^1.0.0',
      `import { existsSync } from 'node:fs';
export function xpProviderInit() {
  return {
    meta: { name: 'spool-provider-comes-back', version: '1.0.0', spi: '^1.0.0', addressTypes: ['LOOP'] },
    async transportLogon(support, section) {
      if (existsSync(section.options.down)) throw new Error('connection refused by the account server');
      support.modifyStatusRow({ text: 'ready', available: true });
      return {
        addressTypes: () => ['LOOP'],
        transportNotify() {},
        async submitMessage(message, recipients) {
          return { recipients: Object.fromEntries(recipients.map((r) => [r.id, { status: 'delivered' }])) };
        },
        async transportLogoff() {},
      };
    },
    async shutdown() {},
  };
}
`,
    );
    const profile = {
      providers: [{ id: 'loopback', provider: 'spool-provider-comes-back', options: { down } }],
      retry: { schedule: ['100ms'], jitter: 0, maxAge: '1h' },
    };
    const spooler = await spoolerIn(dir, profile, { autoStart: true });
    const { id } = await spooler.submit({ from: 'LOOP:me', to: ['LOOP:alice'], subject: 'comes back' });
    const recipient = async () => (await spooler.get(id)).recipients[0];
    for (let i = 0; i < 100 && (await recipient())?.lastError == null; i++)
      await new Promise((r) => setTimeout(r, 20));
    expect((await recipient())?.lastError).toContain('connection refused by the account server');
    rmSync(down);
    for (let i = 0; i < 200 && (await spooler.get(id)).folder === 'Outbox'; i++)
      await new Promise((r) => setTimeout(r, 25));
    expect(spooler.providers().find((p) => p.id === 'loopback')?.status).toBe('active');
    expect(await routeOutcome(spooler, id)).toBe('delivered');
  }, 20_000);

  it('claims only the types of its addressTypes key when its package is not installed; the rest still bounces', async () => {
    const dir = profileDir();
    const gone = { id: 'fax', provider: 'spool-provider-uninstalled', addressTypes: ['fax'] };
    const spooler = await spoolerIn(dir, { providers: [GOOD_ENTRY, gone] });
    const fax = await spooler.submit({ from: 'LOOP:me', to: ['FAX:+15550100'], subject: 'waits' });
    const other = await spooler.submit({ from: 'LOOP:me', to: ['OTHER:x'], subject: 'bounces' });
    await spooler.runOnce();
    const waiting = (await spooler.get(fax.id)).recipients[0];
    expect(waiting).toMatchObject({ outcome: 'pending', route: 'fax/default' });
    expect(waiting?.lastError).toContain('SPOOL_E_NOT_INSTALLED');
    const bounced = (await spooler.get(other.id)).recipients[0];
    expect(bounced?.outcome).toBe('failed');
    expect(bounced?.lastError).toContain('no transport provider claims address type OTHER');
  });

  it('still bounces an address type that no entry claims at once', async () => {
    const dir = profileDir();
    const spooler = await spoolerIn(dir, { providers: [GOOD_ENTRY] });
    const { id } = await spooler.submit({ from: 'LOOP:me', to: ['NOBODY:alice'], subject: 'nobody' });
    await spooler.runOnce();
    const message = await spooler.get(id);
    expect(message.recipients[0]?.outcome).toBe('failed');
    expect(message.recipients[0]?.lastError).toContain('no transport provider claims address type NOBODY');
  });
});
