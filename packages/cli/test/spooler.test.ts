import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { BIN, type RunResult, spool, temporaryDir } from './helpers.js';

/** Parses the stdout of a run that must have succeeded. */
function json<T = unknown>(result: RunResult): T {
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as T;
}

interface Recipient {
  address: string;
  outcome: string;
  attempts: number;
  lastError: string | null;
}
interface Message {
  id: string;
  folder: string;
  state: string;
  messageClass: string;
  from: string | null;
  subject: string;
  text: string | null;
  recipients: Recipient[];
  attachments: { filename: string; contentType: string; size: number }[];
  properties: Record<string, unknown>;
}
interface Pending {
  id: string;
  address: string;
  attempts: number;
  nextAttemptAt: string;
  lastError: string | null;
}

/** A directory with the profile `spool init` writes (loopback, built in). */
function initDir(): string {
  const dir = temporaryDir();
  expect(spool(['init'], dir).code).toBe(0);
  return dir;
}

function send(dir: string, extra: readonly string[] = [], to = ['LOOP:alice']): string {
  const result = spool(
    [
      'send',
      '--from',
      'LOOP:me',
      ...to.flatMap((a) => ['--to', a]),
      '--subject',
      'Hi',
      '--body',
      'Hello',
      ...extra,
    ],
    dir,
  );
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return result.stdout.trim();
}

describe('spool send, run --once, list, show', () => {
  it('stores only on send; run --once delivers, NDRs the unroutable recipient and files the original in Sent', () => {
    const dir = initDir();
    writeFileSync(join(dir, 'note.txt'), 'attached');
    const sent = json<{ id: string; messageId: string; duplicate: boolean }>(
      spool(
        [
          'send',
          '--from',
          'LOOP:me',
          '--to',
          'LOOP:alice',
          '--to',
          'LOOP:bob',
          '--to',
          'NOPE:x',
          '--subject',
          'Quarterly numbers',
          '--body',
          'See attached.',
          '--attach',
          'note.txt',
          '--json',
        ],
        dir,
      ),
    );
    expect(sent).toEqual({
      id: expect.any(String),
      messageId: expect.stringMatching(/^<.+>$/),
      duplicate: false,
      warnings: [], // NOPE is claimed by no entry: not a waiting entry's mail
    });

    // send hands nothing off: the message is queued, nothing is in the Inbox (no copies, no NDR yet).
    const outbox = json<Message[]>(spool(['list', 'outbox', '--json'], dir));
    expect(outbox.map((m) => [m.id, m.state])).toEqual([[sent.id, 'queued']]);
    expect(outbox[0]?.recipients.map((r) => r.outcome)).toEqual(['pending', 'pending', 'pending']);
    expect(json<Message[]>(spool(['list', 'Inbox', '--json'], dir))).toEqual([]);

    const pass = spool(['run', '--once'], dir);
    expect(pass.stderr).toBe('');
    expect(pass.code).toBe(0);
    expect(pass.stdout).toContain('delivered 2, failed 1, deferred 0, received 2');
    expect(pass.stdout).toContain('nothing queued');

    const inbox = json<Message[]>(spool(['list', 'INBOX', '--json'], dir));
    expect(inbox.filter((m) => m.messageClass === 'IPM.Note')).toHaveLength(2);
    const ndrs = inbox.filter((m) => m.messageClass === 'REPORT.IPM.Note.NDR');
    expect(ndrs).toHaveLength(1);
    expect(ndrs[0]?.text).toContain('NOPE:x');
    expect(ndrs[0]?.text).not.toContain('LOOP:alice');
    expect(ndrs[0]?.recipients.map((r) => r.address)).toEqual(['LOOP:me']);

    const sentFolder = json<Message[]>(spool(['list', 'sent', '--json'], dir));
    expect(sentFolder.map((m) => [m.id, m.state])).toEqual([[sent.id, 'finished']]);
    expect(json<Message[]>(spool(['list', 'outbox', '--json'], dir))).toEqual([]);

    const shown = json<Message>(spool(['show', sent.id, '--json'], dir));
    expect(shown).toMatchObject({
      id: sent.id,
      folder: 'Sent',
      subject: 'Quarterly numbers',
      from: 'LOOP:me',
    });
    expect(shown.recipients.map((r) => [r.address, r.outcome])).toEqual([
      ['LOOP:alice', 'delivered'],
      ['LOOP:bob', 'delivered'],
      ['NOPE:x', 'failed'],
    ]);
    expect(shown.recipients[2]?.lastError).toContain('NOPE');
    expect(shown.attachments).toEqual([{ filename: 'note.txt', contentType: 'text/plain', size: 8 }]);

    // The same, for people.
    const table = spool(['list', 'sent'], dir);
    expect(table.stdout).toMatch(/^ID\s+CLASS\s+FROM\s+TO\s+SUBJECT\s+STATE\s+OUTCOMES\s+TIME$/m);
    expect(table.stdout).toContain('2 delivered, 1 failed');
    const text = spool(['show', sent.id], dir);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/NOPE:x\s+failed\s+attempts 0/);
    expect(text.stdout).toMatch(/note\.txt\s+text\/plain\s+8 bytes/);
  });

  it('--delete-after-submit: the message is gone once finished (show exits 1, SPOOL_E_MESSAGE_NOT_FOUND)', () => {
    const dir = initDir();
    const id = send(dir, ['--delete-after-submit']);
    expect(json<Message>(spool(['show', id, '--json'], dir)).state).toBe('queued');
    expect(spool(['run', '--once'], dir).code).toBe(0);
    const shown = spool(['show', id], dir);
    expect(shown.code).toBe(1);
    expect(shown.stderr).toMatch(/^SPOOL_E_MESSAGE_NOT_FOUND: /);
    expect(json<Message[]>(spool(['list', 'sent', '--json'], dir))).toEqual([]);
    // The delivered copy is in the Inbox all the same.
    expect(json<Message[]>(spool(['list', 'inbox', '--json'], dir))).toHaveLength(1);
  });

  it('an idempotency key stores the message once', () => {
    const dir = initDir();
    const first = json<{ id: string; duplicate: boolean }>(
      spool(
        [
          'send',
          '--from',
          'LOOP:me',
          '--to',
          'LOOP:a',
          '--subject',
          's',
          '--body',
          'b',
          '--idempotency-key',
          'k1',
          '--json',
        ],
        dir,
      ),
    );
    const again = spool(
      [
        'send',
        '--from',
        'LOOP:me',
        '--to',
        'LOOP:a',
        '--subject',
        's',
        '--body',
        'b',
        '--idempotency-key',
        'k1',
      ],
      dir,
    );
    expect(again.code).toBe(0);
    expect(again.stdout.trim()).toBe(first.id);
    expect(again.stderr).toContain('idempotency key already used');
    expect(json<Message[]>(spool(['list', 'outbox', '--json'], dir))).toHaveLength(1);
  });
});

describe('deferral, queue and flush', () => {
  it('run --once exits 0 and lists the deferred recipient; queue shows it with attempts 1', () => {
    const dir = temporaryDir();
    writeFileSync(
      join(dir, 'spool.config.json'),
      JSON.stringify({ providers: [{ provider: 'loopback', options: { failNext: 1 } }] }),
    );
    const id = send(dir);
    const pass = spool(['run', '--once', '--json'], dir);
    const report = json<{ delivered: number; deferred: number; pending: Pending[] }>(pass);
    expect(report).toMatchObject({ delivered: 0, failed: 0, deferred: 1, received: 0 });
    expect(report.pending).toEqual([
      expect.objectContaining({ id, address: 'LOOP:alice', route: 'loopback/default', attempts: 1 }),
    ]);
    expect(report.pending[0]?.lastError).toContain('fault injection');
    expect(Date.parse(report.pending[0]?.nextAttemptAt ?? '')).toBeGreaterThan(Date.now());

    const queue = json<Pending[]>(spool(['queue', '--json'], dir));
    expect(queue).toEqual([expect.objectContaining({ id, address: 'LOOP:alice', attempts: 1 })]);

    // A second pass leaves it alone: its next attempt is not due yet.
    const text = spool(['run', '--once'], dir);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('delivered 0, failed 0, deferred 0');
    expect(text.stdout).toContain('still queued (1 recipient):');
    expect(text.stdout).toMatch(new RegExp(`^${id}\\s+LOOP:alice\\s+loopback/default\\s+1\\s`, 'm'));
  });

  it('flush delivers at once, printing progress per logon (counted in recipients)', () => {
    const dir = initDir();
    send(dir, [], ['LOOP:a', 'LOOP:b']);
    send(dir);
    const result = spool(['flush'], dir);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^loopback\/default\s+outbound\s+0\/3$/m);
    expect(result.stdout).toMatch(/^loopback\/default\s+outbound\s+3\/3$/m);
    expect(result.stdout).toContain('delivered 3, failed 0, deferred 0, received 3');
    expect(json<Message[]>(spool(['list', 'sent', '--json'], dir))).toHaveLength(2);

    send(dir);
    const report = json<{ delivered: number; progress: unknown[] }>(spool(['flush', '--json'], dir));
    expect(report.delivered).toBe(1);
    expect(report.progress).toContainEqual({
      logonId: 'loopback/default',
      direction: 'outbound',
      done: 1,
      total: 1,
    });
  });
});

describe('cancel, move, delete', () => {
  it('cancel moves a queued message to Deleted; cancelling again exits 1 with SPOOL_E_ALREADY_FINISHED', () => {
    const dir = initDir();
    const id = send(dir);
    const cancelled = json<Message>(spool(['cancel', id, '--json'], dir));
    expect(cancelled).toMatchObject({ id, folder: 'Deleted', state: 'cancelled' });
    expect(cancelled.recipients.map((r) => r.outcome)).toEqual(['cancelled']);
    expect(json<Message[]>(spool(['list', 'deleted', '--json'], dir)).map((m) => m.id)).toEqual([id]);
    expect(json<Pending[]>(spool(['queue', '--json'], dir))).toEqual([]);

    const again = spool(['cancel', id], dir);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^SPOOL_E_ALREADY_FINISHED: /);
    expect(again.stderr).toContain('fix: ');
    // Nothing to hand off, and no NDR for a cancelled recipient.
    expect(spool(['run', '--once'], dir).stdout).toContain('delivered 0, failed 0');
    expect(json<Message[]>(spool(['list', 'inbox', '--json'], dir))).toEqual([]);

    const missing = spool(['cancel', 'no-such-id'], dir);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^SPOOL_E_MESSAGE_NOT_FOUND: /);
  });

  it('move files a finished message elsewhere; delete removes it; a queued one is refused (exit 1)', () => {
    const dir = initDir();
    const id = send(dir);
    const refused = spool(['delete', id], dir);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^SPOOL_E_\w+: .*queued/);
    expect(spool(['run', '--once'], dir).code).toBe(0);

    expect(json<{ id: string; folder: string }>(spool(['move', id, 'archive', '--json'], dir))).toEqual({
      id,
      folder: 'archive',
    });
    expect(json<Message[]>(spool(['list', 'archive', '--json'], dir)).map((m) => m.id)).toEqual([id]);
    expect(spool(['move', id, 'SENT'], dir).stdout).toContain(`moved ${id} to Sent`);

    expect(spool(['delete', id], dir).stdout).toContain(`deleted ${id}`);
    expect(spool(['show', id], dir).code).toBe(1);
    expect(spool(['delete', id], dir).stderr).toMatch(/^SPOOL_E_MESSAGE_NOT_FOUND: /);
  });
});

describe('spool store', () => {
  it('backup writes a SQLite copy holding the message; refuses to overwrite without --force; vacuum runs', () => {
    const dir = initDir();
    const id = send(dir);
    const result = json<{ file: string; bytes: number }>(
      spool(['store', 'backup', 'copy.db', '--json'], dir),
    );
    expect(result.file).toBe(join(dir, 'copy.db'));
    expect(result.bytes).toBeGreaterThan(0);

    const db = new DatabaseSync(join(dir, 'copy.db'), { readOnly: true });
    try {
      const rows = db.prepare('SELECT id FROM messages').all() as { id: string }[];
      expect(rows.map((r) => r.id)).toEqual([id]);
    } finally {
      db.close();
    }

    const again = spool(['store', 'backup', 'copy.db'], dir);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^SPOOL_E_FILE_EXISTS: /);
    expect(spool(['store', 'backup', 'copy.db', '--force'], dir).code).toBe(0);

    const vacuum = json<{ file: string }>(spool(['store', 'vacuum', '--json'], dir));
    expect(vacuum.file).toBe(join(dir, 'spool.db'));
    expect(json<Message[]>(spool(['list', 'outbox', '--json'], dir)).map((m) => m.id)).toEqual([id]);
  });

  it('a store that cannot be opened is a spooler failure: exit 3', () => {
    const dir = temporaryDir();
    // The store path is a directory, so SQLite cannot open it.
    writeFileSync(
      join(dir, 'spool.config.json'),
      JSON.stringify({ providers: ['loopback'], store: { path: '.' } }),
    );
    const result = spool(['run', '--once'], dir);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/^SPOOL_E_STORE_FAILED: /);
  });
});

describe('send errors', () => {
  it('a bad address exits 1 with SPOOL_E_BAD_ADDRESS and a fix; nothing is stored', () => {
    const dir = initDir();
    const result = spool(
      ['send', '--from', 'LOOP:me', '--to', 'not an address', '--subject', 's', '--body', 'b'],
      dir,
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^SPOOL_E_BAD_ADDRESS: .*"not an address"/);
    expect(result.stderr).toMatch(/^\s+fix: /m);
    expect(json<Message[]>(spool(['list', 'outbox', '--json'], dir))).toEqual([]);
  });

  it('usage errors exit 2: missing options, an option the command does not take, extra arguments', () => {
    const dir = initDir();
    const missing = spool(['send', '--to', 'LOOP:a', '--subject', 's', '--body', 'b'], dir);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^SPOOL_E_USAGE: spool send needs --from/);
    const both = spool(
      ['send', '--from', 'LOOP:me', '--to', 'LOOP:a', '--subject', 's', '--body', 'b', '--body-file', 'f'],
      dir,
    );
    expect(both.code).toBe(2);
    const foreign = spool(['list', 'inbox', '--once'], dir);
    expect(foreign.code).toBe(2);
    expect(foreign.stderr).toContain('spool list does not take --once');
    expect(spool(['show'], dir).code).toBe(2);
    expect(spool(['list', 'inbox', '--limit', 'lots'], dir).code).toBe(2);
    expect(spool(['store'], dir).code).toBe(2);
    const unreadable = spool(
      [
        'send',
        '--from',
        'LOOP:me',
        '--to',
        'LOOP:a',
        '--subject',
        's',
        '--body',
        'b',
        '--attach',
        'missing.pdf',
      ],
      dir,
    );
    expect(unreadable.code).toBe(1);
    expect(unreadable.stderr).toMatch(/^SPOOL_E_FILE_UNREADABLE: --attach missing\.pdf/);
  });

  it('every command has its own help', () => {
    const dir = temporaryDir();
    for (const command of [
      ['send'],
      ['run'],
      ['flush'],
      ['list'],
      ['show'],
      ['queue'],
      ['cancel'],
      ['move'],
      ['delete'],
      ['store', 'vacuum'],
      ['store', 'backup'],
    ]) {
      const help = spool([...command, '--help'], dir);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^Usage: spool ${command.join(' ')}`));
    }
    expect(existsSync(join(dir, 'spool.db'))).toBe(false);
  });
});

describe('spool run (foreground)', () => {
  it('picks up a message sent by another process, logs it finished, and stops in order on SIGINT', async () => {
    const dir = initDir();
    const child = spawn(process.execPath, [BIN, 'run', '--json'], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const nextEvent = async (): Promise<Record<string, unknown>> => {
      const { value, done } = await lines.next();
      if (done) throw new Error(`spool run ended early; stderr: ${stderr}`);
      return JSON.parse(value) as Record<string, unknown>;
    };
    try {
      expect(await nextEvent()).toMatchObject({ event: 'started', logons: ['loopback/default'] });
      const id = send(dir);
      expect(await nextEvent()).toEqual({
        event: 'finished',
        id,
        subject: 'Hi',
        recipients: [{ address: 'LOOP:alice', outcome: 'delivered' }],
      });
      child.kill('SIGINT');
      expect(await nextEvent()).toMatchObject({ event: 'stopping', signal: 'SIGINT', mode: 'orderly' });
      expect(await nextEvent()).toEqual({ event: 'stopped' });
      expect(await exited).toBe(0);
      // The daemon logs JSON lines on stderr (not a terminal): nothing above info.
      const records = stderr
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { level: string });
      expect(records.filter((record) => record.level !== 'info')).toEqual([]);
    } finally {
      child.kill('SIGKILL');
    }
    expect(json<Message[]>(spool(['list', 'sent', '--json'], dir)).map((m) => m.id)).toHaveLength(1);
  }, 20_000);
});
