import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type DaemonProcess, eventually, startDaemon } from './daemon-helpers.js';
import { checkJsonOutput, FIXTURES, spool, temporaryDir } from './helpers.js';

// A reload is all or nothing (issue 14): a broken profile is refused before anything changes, the daemon
// keeps delivering through the entries it runs, and whoever asked gets the coded error.

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const kill of cleanup.splice(0)) kill();
});

const STRICT = join(FIXTURES, 'strict-provider');
const FUTURE = join(FIXTURES, 'future-provider');
const THROWING = join(FIXTURES, 'throwing-provider');

/** The profile the daemon starts on: loopback (`main`, LOOP) and the strict-schema fixture (`strict`). */
const GOOD = [
  'providers:',
  '  - id: main',
  '    provider: loopback',
  '  - id: strict',
  `    provider: ${JSON.stringify(STRICT)}`,
  '    options: { greeting: hello }',
  '',
].join('\n');

interface Row {
  id: string;
  failure: boolean;
  counters: { sent: number };
  lastError: { code: string } | null;
}

async function rows(daemon: DaemonProcess): Promise<Row[]> {
  return ((await (await daemon.api('/status')).json()) as { rows: Row[] }).rows;
}

/** Submits through the API (the CLI would read the broken profile) and waits for the delivery. */
async function delivered(daemon: DaemonProcess, to: string): Promise<void> {
  const response = await daemon.api('/messages', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ from: 'LOOP:me', to: [to], subject: `to ${to}`, text: 'hi' }),
  });
  expect(response.status).toBe(201);
  const { id } = (await response.json()) as { id: string };
  expect(await daemon.until((event) => event.event === 'finished' && event.id === id)).toMatchObject({
    recipients: [{ address: to, outcome: 'delivered' }],
  });
}

/** The old entries still run and deliver: both logons are there, and each one takes a message. */
async function stillDelivering(daemon: DaemonProcess, sent: { main: number; strict: number }): Promise<void> {
  await delivered(daemon, 'LOOP:alice');
  await delivered(daemon, 'STRICT:bob');
  sent.main += 1;
  sent.strict += 1;
  const now = await rows(daemon);
  expect(now.map((row) => row.id)).toEqual(['spooler', 'main/default', 'strict/default']);
  expect(now.find((row) => row.id === 'main/default')?.counters.sent).toBe(sent.main);
  expect(now.find((row) => row.id === 'strict/default')?.counters.sent).toBe(sent.strict);
}

async function refusedOverHttp(
  daemon: DaemonProcess,
  code: string,
): Promise<{ message: string; hint: string }> {
  const response = await daemon.api('/reload', { method: 'POST' });
  expect(response.status).toBe(422);
  const { error } = (await response.json()) as { error: { code: string; message: string; hint: string } };
  expect(error.code).toBe(code);
  return error;
}

async function refusedBySighup(daemon: DaemonProcess, code: string): Promise<Record<string, unknown>> {
  daemon.child.kill('SIGHUP');
  const event = await daemon.until((e) => e.event === 'reload-failed' || e.event === 'reloaded');
  expect(event).toMatchObject({ event: 'reload-failed', code, applied: false });
  expect(event.logons).toEqual(['main/default', 'strict/default']);
  return event;
}

describe('a reload is all or nothing', () => {
  it('refuses a typo, an unknown option, an SPI mismatch, an import that throws and bad syntax; the old entries keep delivering', async () => {
    const dir = temporaryDir();
    const file = join(dir, 'spool.config.yaml');
    const marker = join(dir, 'future-imported');
    writeFileSync(file, GOOD);
    const daemon = await startDaemon(dir, [], cleanup, { SPOOL_TEST_MARKER: marker });
    expect(daemon.started.logons).toEqual(['main/default', 'strict/default']);
    const sent = { main: 0, strict: 0 };
    await stillDelivering(daemon, sent);

    // 1. A provider name typo (POST /reload): the changed entry is not installed; "did you mean" in the hint.
    writeFileSync(file, GOOD.replace('provider: loopback', 'provider: loopbak'));
    const typo = await refusedOverHttp(daemon, 'SPOOL_E_NOT_INSTALLED');
    expect(typo.message).toContain('reload refused');
    expect(typo.message).toContain('entry "main"');
    expect(typo.hint).toContain('Did you mean "loopback"?');
    await stillDelivering(daemon, sent);

    // 2. An unknown option where the provider's schema forbids one (SIGHUP): the reload-failed event and the log.
    writeFileSync(file, GOOD.replace('{ greeting: hello }', '{ greting: hello }'));
    const unknown = await refusedBySighup(daemon, 'SPOOL_E_INVALID_OPTIONS');
    expect(unknown.message).toContain('providers[1].options');
    const logged = await eventually(() =>
      daemon.logs().find((r) => r.code === 'SPOOL_E_INVALID_OPTIONS' && r.msg.startsWith('reload refused')),
    );
    expect(logged.level).toBe('error');
    await stillDelivering(daemon, sent);

    // 3. An SPI mismatch (a new entry): refused before the package is imported.
    writeFileSync(file, `${GOOD}  - id: future\n    provider: ${JSON.stringify(FUTURE)}\n`);
    const spi = await refusedOverHttp(daemon, 'SPOOL_E_SPI_MISMATCH');
    expect(spi.message).toContain('entry "future"');
    expect(existsSync(marker)).toBe(false);
    await stillDelivering(daemon, sent);

    // 4. An import that throws, asked for by `spool provider remove` (it edits the profile, then the daemon
    // refuses it): the command exits 1 with the daemon's error, the removed entry still runs.
    writeFileSync(file, `${GOOD}  - id: throwing\n    provider: ${JSON.stringify(THROWING)}\n`);
    const remove = spool(['provider', 'remove', 'strict', '--json'], dir);
    expect(remove.code).toBe(1);
    expect(remove.stderr).toContain('SPOOL_E_IMPORT_FAILED');
    expect(remove.stderr).toContain('kept the profile it had');
    checkJsonOutput(['provider', 'remove'], remove.stdout);
    expect(JSON.parse(remove.stdout).daemon).toMatchObject({
      reloaded: false,
      code: 'SPOOL_E_IMPORT_FAILED',
    });
    await stillDelivering(daemon, sent);

    // 5. A profile that does not parse (SIGHUP).
    writeFileSync(file, 'providers: [\n');
    await refusedBySighup(daemon, 'SPOOL_E_PROFILE_INVALID');
    await stillDelivering(daemon, sent);

    // Every refusal was counted by its code; a good profile reloads as before (unchanged entries keep their logons).
    const metrics = await (await daemon.api('/metrics')).text();
    for (const code of ['SPOOL_E_NOT_INSTALLED', 'SPOOL_E_INVALID_OPTIONS', 'SPOOL_E_SPI_MISMATCH'])
      expect(metrics).toContain(`spool_reloads_total{result="${code}"} 1`);
    writeFileSync(
      file,
      `${GOOD}  - id: echo\n    provider: loopback\n    options: { addressTypes: [ECHO] }\n`,
    );
    const ok = await daemon.api('/reload', { method: 'POST' });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ added: ['echo'], unchanged: ['main', 'strict'] });
    await delivered(daemon, 'ECHO:carol');
    expect((await rows(daemon)).find((row) => row.id === 'main/default')?.counters.sent).toBe(sent.main);

    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
  }, 90_000);

  it('a logon that fails after the switch (a TLS ca file that is missing) answers SPOOL_E_RELOAD_LOGON_FAILED naming the entry', async () => {
    const dir = temporaryDir();
    const file = join(dir, 'spool.config.yaml');
    writeFileSync(file, 'providers:\n  - id: main\n    provider: loopback\n');
    const daemon = await startDaemon(dir, [], cleanup);
    writeFileSync(
      file,
      [
        'providers:',
        '  - id: main',
        '    provider: loopback',
        '  - id: echo',
        '    provider: loopback',
        '    options: { addressTypes: [ECHO] }',
        '  - id: mail',
        '    provider: smtp',
        '    options: { host: 127.0.0.1, port: 1, tls: { ca: missing-ca.pem } }',
        '',
      ].join('\n'),
    );
    const response = await daemon.api('/reload', { method: 'POST' });
    expect(response.status).toBe(422);
    const { error } = (await response.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('SPOOL_E_RELOAD_LOGON_FAILED');
    expect(error.message).toContain('entry "mail"');
    expect(error.message).toContain('missing-ca.pem');
    const logged = await eventually(() =>
      daemon.logs().find((r) => r.code === 'SPOOL_E_RELOAD_LOGON_FAILED'),
    );
    expect(logged.msg).toContain('entry "mail"');

    // The switch happened: the new entry serves, the old one kept its logon, the failed one shows its error.
    await delivered(daemon, 'ECHO:bob');
    await delivered(daemon, 'LOOP:alice');
    const status = json(spool(['status', '--json'], dir)) as { rows: Row[] };
    expect(status.rows.find((row) => row.id === 'main/default')?.counters.sent).toBe(1);
    expect(status.rows.some((row) => row.id.startsWith('mail') && row.failure)).toBe(true);

    // SIGHUP with the same profile: the failed entry is tried again, fails again, and SIGHUP says so.
    daemon.child.kill('SIGHUP');
    expect(await daemon.until((e) => e.event === 'reload-failed' || e.event === 'reloaded')).toMatchObject({
      event: 'reload-failed',
      code: 'SPOOL_E_RELOAD_LOGON_FAILED',
      applied: true,
      logons: ['main/default', 'echo/default'],
    });

    // Removing the failed entry reloads cleanly: `provider remove` exits 0.
    const remove = spool(['provider', 'remove', 'mail'], dir);
    expect(remove.stderr).toBe('');
    expect(remove.code).toBe(0);
    expect(remove.stdout).toContain('the running daemon reloaded the profile');
    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
  }, 60_000);

  it('with settings changed too, the entries are checked before the spooler is restarted: a refusal restarts nothing', async () => {
    const dir = temporaryDir();
    const file = join(dir, 'spool.config.yaml');
    writeFileSync(file, 'providers:\n  - id: main\n    provider: loopback\n');
    const daemon = await startDaemon(dir, [], cleanup);
    const retry = 'retry: { schedule: [1s] }\n';
    writeFileSync(
      file,
      `${retry}providers:\n  - id: main\n    provider: loopback\n  - id: new\n    provider: loopbakc\n`,
    );
    const refused = await daemon.api('/reload', { method: 'POST' });
    expect(refused.status).toBe(422);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('SPOOL_E_NOT_INSTALLED');
    // Not restarted: the old spooler (its logon, its counters) still delivers.
    await delivered(daemon, 'LOOP:alice');
    await delivered(daemon, 'LOOP:bob');
    expect((await rows(daemon)).find((row) => row.id === 'main/default')?.counters.sent).toBe(2);
    expect(daemon.logs().some((r) => r.msg.startsWith('reload: settings changed'))).toBe(false);

    // Checked, restarted, and a logon of the new spooler fails: SPOOL_E_RELOAD_LOGON_FAILED, the rest serves.
    writeFileSync(
      file,
      `${retry}providers:\n  - id: main\n    provider: loopback\n  - id: mail\n    provider: smtp\n    options: { host: 127.0.0.1, port: 1, tls: { ca: missing-ca.pem } }\n`,
    );
    const failed = await daemon.api('/reload', { method: 'POST' });
    expect(failed.status).toBe(422);
    const { error } = (await failed.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('SPOOL_E_RELOAD_LOGON_FAILED');
    expect(error.message).toContain('entry "mail"');
    await delivered(daemon, 'LOOP:carol');
    expect((await rows(daemon)).find((row) => row.id === 'main/default')?.counters.sent).toBe(1);
    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
  }, 60_000);
});

function json(result: { code: number | null; stdout: string; stderr: string }): unknown {
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout);
}
