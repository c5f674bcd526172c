/**
 * The operator's view of a provider entry that cannot serve (issue 14): `/healthz` degraded (codes only),
 * `/readyz` 503, `spool run --once` exit code 4, `spool send`'s warning, `spool status` and
 * `spool provider list` rows, all with real CLI processes and a real daemon.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startDaemon } from './daemon-helpers.js';
import { copyFixture, spool, temporaryDir, validateAgainstSchema } from './helpers.js';

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const kill of cleanup.splice(0)) kill();
});

/** A secret the profile reads from the environment: it must show up in no answer. */
const CANARY = 'canary-5d81e0b2';
const ENV = { SPOOL_TEST_CANARY: CANARY };

/** The loopback entry, then one that cannot serve (`broken`), in a YAML profile. */
function profileWith(broken: string): string {
  const dir = temporaryDir();
  writeFileSync(join(dir, 'spool.config.yaml'), `providers:\n  - provider: loopback\n${broken}`);
  return dir;
}

/** Not installed (a typo of loopback), with a secret among its options. */
const NOT_INSTALLED =
  '  - provider: loopbak\n    id: broken\n    options: { password: "${SPOOL_TEST_CANARY}" }\n';
/** Installed, but its options are invalid (the secret is the bad value). */
const BAD_OPTIONS =
  '  - provider: loopback\n    id: broken\n    options: { addressTypes: [BRK], failNext: "${SPOOL_TEST_CANARY}" }\n';

function send(dir: string, to: string, json = false) {
  return spool(
    [
      'send',
      '--from',
      'LOOP:me',
      '--to',
      to,
      '--subject',
      'Hi',
      '--body',
      'Hello',
      ...(json ? ['--json'] : []),
    ],
    dir,
    ENV,
  );
}

interface Failing {
  entry: string;
  code: string;
  message: string;
  addressTypes: string[] | null;
}

describe('a daemon with a provider entry that cannot serve', () => {
  it('/healthz stays 200 but says degraded with codes only; /readyz is 503 until a reload fixes the entry', async () => {
    const dir = profileWith(BAD_OPTIONS);
    const daemon = await startDaemon(dir, [], cleanup, ENV);
    const { port, pid } = daemon.info();
    const base = `http://127.0.0.1:${port}`;
    const timeout = () => AbortSignal.timeout(10_000);

    // Unauthenticated: no token is sent.
    const health = await fetch(`${base}/healthz`, { signal: timeout() });
    expect(health.status).toBe(200);
    const healthText = await health.text();
    expect(JSON.parse(healthText)).toEqual({
      status: 'degraded',
      pid,
      failing: [{ entry: 'broken', code: 'SPOOL_E_INVALID_OPTIONS' }],
    });
    const ready = await fetch(`${base}/readyz`, { signal: timeout() });
    expect(ready.status).toBe(503);
    const readyText = await ready.text();
    expect(JSON.parse(readyText)).toEqual({
      ready: false,
      failing: [{ entry: 'broken', code: 'SPOOL_E_INVALID_OPTIONS' }],
    });
    // Codes only: no message, no path, no secret.
    for (const text of [healthText, readyText]) {
      expect(text).not.toContain(CANARY);
      expect(text).not.toContain(dir);
    }
    expect((await fetch(`${base}/readyz`, { method: 'POST', signal: timeout() })).status).toBe(405);

    // The CLI still finds the daemon through /healthz: status comes from it, with the failed entry's row.
    const status = spool(['status', '--json'], dir, ENV);
    expect(status.code, status.stderr).toBe(0);
    const report = JSON.parse(status.stdout) as {
      daemon: { pid: number } | null;
      rows: { id: string; failure: boolean; lastError: { code: string; message: string } | null }[];
      failing: Failing[];
    };
    expect(report.daemon?.pid).toBe(pid);
    expect(report.rows.find((row) => row.id === 'broken')).toMatchObject({
      failure: true,
      lastError: { code: 'SPOOL_E_INVALID_OPTIONS' },
    });
    expect(report.failing).toEqual([
      {
        entry: 'broken',
        code: 'SPOOL_E_INVALID_OPTIONS',
        message: expect.any(String),
        addressTypes: ['LOOP'],
      },
    ]);
    expect(status.stdout).not.toContain(CANARY);

    // Fixed and reloaded: ready again, healthz ok.
    writeFileSync(
      join(dir, 'spool.config.yaml'),
      'providers:\n  - provider: loopback\n  - provider: loopback\n    id: broken\n    options: { addressTypes: [BRK] }\n',
    );
    expect((await daemon.api('/reload', { method: 'POST' })).status).toBe(200);
    const readyAgain = await fetch(`${base}/readyz`, { signal: timeout() });
    expect(readyAgain.status).toBe(200);
    expect(await readyAgain.json()).toEqual({ ready: true });
    expect(await (await fetch(`${base}/healthz`, { signal: timeout() })).json()).toEqual({
      status: 'ok',
      pid,
      failing: [],
    });
    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
  }, 60_000);

  it('/readyz is 200 { ready: true } and /healthz ok when every entry serves', async () => {
    const dir = profileWith('');
    const daemon = await startDaemon(dir, [], cleanup);
    const { port, pid } = daemon.info();
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(10_000) });
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true });
    const health = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(10_000) });
    expect(await health.json()).toEqual({ status: 'ok', pid, failing: [] });
    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
  }, 30_000);

  it('send through the daemon warns with the entry and its code, and still queues (exit 0)', async () => {
    // Not installed: its address types are unknown, so it holds every type no serving entry claims.
    const dir = profileWith(NOT_INSTALLED);
    const daemon = await startDaemon(dir, [], cleanup, ENV);
    const sent = send(dir, 'SMTP:bob@example.com', true);
    expect(sent.code, sent.stderr).toBe(0);
    const report = JSON.parse(sent.stdout) as { id: string; warnings: unknown[] };
    expect(report.warnings).toEqual([
      {
        addressType: 'SMTP',
        recipients: ['SMTP:bob@example.com'],
        entry: 'broken',
        code: 'SPOOL_E_NOT_INSTALLED',
        message: expect.stringContaining('loopbak'),
      },
    ]);
    expect(sent.stdout).not.toContain(CANARY);
    // Through the daemon only this warning is printed (no load error of this process).
    expect(sent.stderr).toBe(
      'warning: SMTP:bob@example.com: provider entry "broken" cannot serve SMTP (SPOOL_E_NOT_INSTALLED); the message is queued and waits until the entry serves again (`spool provider doctor` shows why)\n',
    );
    // A recipient whose entry serves gets no warning.
    const fine = send(dir, 'LOOP:alice', true);
    expect(fine.stderr).toBe('');
    expect(JSON.parse(fine.stdout).warnings).toEqual([]);
    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
  }, 30_000);
});

describe('without a daemon', () => {
  it('run --once exits 4 when an entry could not serve; the pass still runs and its JSON prints', () => {
    const dir = profileWith(NOT_INSTALLED);
    expect(send(dir, 'LOOP:alice').code).toBe(0);
    const result = spool(['run', '--once', '--json'], dir, ENV);
    expect(result.code).toBe(4);
    const report = JSON.parse(result.stdout) as { delivered: number; error: unknown; failing: Failing[] };
    validateAgainstSchema('run-once', report);
    expect(report.delivered).toBe(1);
    expect(report.error).toBeNull();
    expect(report.failing).toEqual([
      { entry: 'broken', code: 'SPOOL_E_NOT_INSTALLED', message: expect.any(String), addressTypes: null },
    ]);
    expect(result.stderr).toContain(
      'warning: a provider entry could not serve: broken (SPOOL_E_NOT_INSTALLED)',
    );
    expect(result.stderr).toContain('exit code 4');

    const text = spool(['run', '--once'], dir, ENV);
    expect(text.code).toBe(4);
    expect(text.stdout).toMatch(/^delivered 0, failed 0, deferred 0, received 0$/m);

    // Every entry serving: exit 0, failing empty.
    const good = profileWith('');
    const ok = spool(['run', '--once', '--json'], good);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).failing).toEqual([]);
  }, 30_000);

  it('send warns for a type of an entry that cannot serve (from its manifest), and not for others', () => {
    const dir = profileWith('  - provider: ./future-provider\n');
    copyFixture('future-provider', dir);
    const marker = join(dir, 'marker');
    const env = { ...ENV, SPOOL_TEST_MARKER: marker };
    const sent = spool(
      [
        'send',
        '--from',
        'LOOP:me',
        '--to',
        'FUT:x',
        '--to',
        'FUT:y',
        '--cc',
        'LOOP:a',
        '--subject',
        'S',
        '--body',
        'B',
        '--json',
      ],
      dir,
      env,
    );
    expect(sent.code, sent.stderr).toBe(0);
    const report = JSON.parse(sent.stdout) as { id: string; warnings: unknown[] };
    validateAgainstSchema('send', report);
    expect(report.warnings).toEqual([
      {
        addressType: 'FUT',
        recipients: ['FUT:x', 'FUT:y'],
        entry: 'future-provider',
        code: 'SPOOL_E_SPI_MISMATCH',
        message: expect.stringContaining('spool-provider-future-cli'),
      },
    ]);
    expect(sent.stderr).toContain(
      'warning: FUT:x, FUT:y: provider entry "future-provider" cannot serve FUT (SPOOL_E_SPI_MISMATCH); the message is queued and waits until the entry serves again',
    );
    // Queued all the same.
    const outbox = JSON.parse(spool(['list', 'outbox', '--json'], dir).stdout) as { id: string }[];
    expect(outbox.map((message) => message.id)).toEqual([report.id]);

    // A type that no entry claims is not this warning's business (the failed entry's types are known).
    const other = spool(
      ['send', '--from', 'LOOP:me', '--to', 'NONE:x', '--subject', 'S', '--body', 'B', '--json'],
      dir,
      env,
    );
    expect(other.code, other.stderr).toBe(0);
    expect(JSON.parse(other.stdout).warnings).toEqual([]);
  }, 30_000);

  it('send: an entry whose types are unknown (not installed) holds every type no other entry claims', () => {
    const dir = profileWith(NOT_INSTALLED);
    const sent = send(dir, 'SMTP:bob@example.com', true);
    expect(sent.code, sent.stderr).toBe(0);
    expect(JSON.parse(sent.stdout).warnings).toMatchObject([
      {
        addressType: 'SMTP',
        recipients: ['SMTP:bob@example.com'],
        entry: 'broken',
        code: 'SPOOL_E_NOT_INSTALLED',
      },
    ]);
    expect(sent.stderr).toContain('provider entry "broken" cannot serve SMTP (SPOOL_E_NOT_INSTALLED)');
    const loop = send(dir, 'LOOP:alice', true);
    expect(JSON.parse(loop.stdout).warnings).toEqual([]);
    expect(loop.stderr).not.toContain('cannot serve');
  }, 30_000);

  it('status and provider list show the failed entry with its code, though it has no logon', () => {
    const dir = profileWith(NOT_INSTALLED);
    const status = spool(['status', '--json'], dir, ENV);
    expect(status.code, status.stderr).toBe(0);
    const report = JSON.parse(status.stdout) as {
      rows: { id: string; failure: boolean; available: boolean; lastError: { code: string } | null }[];
      failing: Failing[];
    };
    expect(report.rows.map((row) => row.id)).toEqual(['loopback/default', 'broken']);
    expect(report.rows[1]).toMatchObject({
      failure: true,
      available: false,
      lastError: { code: 'SPOOL_E_NOT_INSTALLED' },
    });
    expect(report.failing).toMatchObject([{ entry: 'broken', code: 'SPOOL_E_NOT_INSTALLED' }]);
    expect(status.stdout).not.toContain(CANARY);

    const text = spool(['status'], dir, ENV);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^broken\s+-\s+-\s+failure\s.*SPOOL_E_NOT_INSTALLED/m);
    expect(text.stdout).toMatch(
      /^broken: cannot serve \(SPOOL_E_NOT_INSTALLED\); its mail waits in the Outbox/m,
    );

    const list = spool(['provider', 'list', '--json'], dir, ENV);
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toMatchObject([
      { id: 'loopback', state: 'active', error: null },
      { id: 'broken', provider: 'loopbak', state: 'failed', error: { code: 'SPOOL_E_NOT_INSTALLED' } },
    ]);
    const lines = spool(['provider', 'list'], dir, ENV).stdout;
    expect(lines).toMatch(/^broken\s+loopbak\s+-\s+-\s+-\s+-\s+failed SPOOL_E_NOT_INSTALLED/m);
    expect(lines).toMatch(/^broken: SPOOL_E_NOT_INSTALLED: provider "loopbak"/m);
    expect(lines).toContain('broken: cannot serve; its mail waits in the Outbox');
  }, 30_000);

  it('an entry that is not installed claims the types of its own addressTypes key: send, status, provider list', () => {
    const dir = profileWith('  - provider: loopbak\n    id: broken\n    addressTypes: [LOOPX]\n');
    const sent = send(dir, 'LOOPX:bob', true);
    expect(sent.code, sent.stderr).toBe(0);
    expect(JSON.parse(sent.stdout).warnings).toMatchObject([
      { addressType: 'LOOPX', recipients: ['LOOPX:bob'], entry: 'broken', code: 'SPOOL_E_NOT_INSTALLED' },
    ]);
    // Its types are known now: a type no entry claims is not its mail.
    expect(JSON.parse(send(dir, 'SMTP:bob@example.com', true).stdout).warnings).toEqual([]);

    const status = JSON.parse(spool(['status', '--json'], dir).stdout) as { failing: Failing[] };
    expect(status.failing).toMatchObject([{ entry: 'broken', addressTypes: ['LOOPX'] }]);
    expect(spool(['status'], dir).stdout).toMatch(
      /^broken: cannot serve \(SPOOL_E_NOT_INSTALLED\); its mail for LOOPX waits in the Outbox/m,
    );
    const list = JSON.parse(spool(['provider', 'list', '--json'], dir).stdout) as unknown[];
    expect(list[1]).toMatchObject({ id: 'broken', state: 'failed', addressTypes: ['LOOPX'] });
    expect(spool(['provider', 'list'], dir).stdout).toContain(
      'broken: cannot serve; its mail for LOOPX waits in the Outbox',
    );
  }, 30_000);

  it('provider list shows the types an entry that cannot load claims, from its manifest', () => {
    const dir = profileWith('  - provider: ./future-provider\n');
    copyFixture('future-provider', dir);
    const list = spool(['provider', 'list', '--json'], dir, { SPOOL_TEST_MARKER: join(dir, 'marker') });
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)[1]).toMatchObject({
      id: 'future-provider',
      state: 'failed',
      addressTypes: ['FUT'],
      error: { code: 'SPOOL_E_SPI_MISMATCH' },
    });
  });
});

describe("provider link writes the entry's addressTypes", () => {
  it('into a YAML profile, on one line, and into a JSON profile', () => {
    const dir = temporaryDir();
    expect(spool(['init'], dir).code).toBe(0);
    mkdirSync(join(dir, 'vendor'));
    copyFixture('good-provider', join(dir, 'vendor'));
    const linked = spool(['provider', 'link', 'vendor/good-provider'], dir);
    expect(linked.code, linked.stderr).toBe(0);
    const yaml = readFileSync(join(dir, 'spool.config.yaml'), 'utf8');
    expect(yaml).toMatch(/^ {2}- provider: \.\/vendor\/good-provider\n {4}addressTypes: \[ GOOD \]\n/m);
    // The profile still loads, and the entry serves.
    const list = JSON.parse(spool(['provider', 'list', '--json'], dir).stdout) as {
      id: string;
      state: string;
    }[];
    expect(list.map((row) => [row.id, row.state])).toEqual([
      ['loopback', 'active'],
      ['good-provider', 'active'],
    ]);

    const app = temporaryDir();
    writeFileSync(
      join(app, 'spool.config.json'),
      `${JSON.stringify({ providers: ['loopback'] }, null, 2)}\n`,
    );
    copyFixture('good-provider', app);
    expect(spool(['provider', 'link', 'good-provider', '--id', 'mine'], app).code).toBe(0);
    expect(JSON.parse(readFileSync(join(app, 'spool.config.json'), 'utf8'))).toEqual({
      providers: ['loopback', { id: 'mine', provider: './good-provider', addressTypes: ['GOOD'] }],
    });
  });
});
