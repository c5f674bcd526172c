import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { openEmbeddedStore } from '@spool/core';
import { ORIGINAL_MESSAGE_TYPE } from '@spool/core/internal';
import { describe, expect, it } from 'vitest';
import { fakeClock, profileDir, spoolerIn } from './helpers.js';

/** A process that claims one hand-off and dies before settling it. */
const CLAIM_CHILD = fileURLToPath(new URL('./crash/claim-child.mjs', import.meta.url));

// traceFiles: the loopback preprocessor leaves a marker per run, so pairing is checked on disk.
const loopback = (options: Record<string, unknown> = {}) => ({
  providers: [{ provider: 'loopback', options: { traceFiles: true, ...options } }],
});
const markers = (dir: string) => {
  const markerDir = join(dir, '.spool', 'data', 'loopback', 'default', 'preprocess');
  return existsSync(markerDir) ? readdirSync(markerDir) : [];
};

describe('outbound and inbound through the real store and the loopback provider', () => {
  it('delivers to two LOOP recipients, NDRs the unclaimed one with the original, and files the message in Sent', async () => {
    const dir = profileDir();
    const spooler = await spoolerIn(dir, loopback());
    const { id, messageId } = await spooler.submit({
      from: 'LOOP:sender',
      to: ['LOOP:alice', 'NOPE:nobody'],
      cc: 'loop:bob',
      subject: 'hello',
      text: 'body',
      attachments: [{ filename: 'a.txt', content: 'attached' }],
    });
    const report = await spooler.runOnce();
    expect(report).toMatchObject({ delivered: 2, failed: 1, received: 2 });
    const inbox = await spooler.list('inbox');
    const copies = inbox.filter((m) => m.messageClass === 'IPM.Note');
    expect(copies.map((m) => m.properties['x-spool-loopback-to']).sort()).toEqual(['LOOP:alice', 'LOOP:bob']);
    expect(copies.every((m) => m.messageId === messageId && m.subject === 'hello')).toBe(true);
    expect(new TextDecoder().decode(copies[0]!.attachments[0]!.content)).toBe('attached');
    const ndr = inbox.filter((m) => m.messageClass === 'REPORT.IPM.Note.NDR');
    expect(ndr).toHaveLength(1);
    expect(ndr[0]).toMatchObject({ subject: 'Undeliverable: hello', folder: 'Inbox' });
    expect(ndr[0]!.text).toContain('NOPE:nobody: no transport provider claims address type NOPE');
    expect(ndr[0]!.attachments[0]!.contentType).toBe(ORIGINAL_MESSAGE_TYPE);
    expect(JSON.parse(new TextDecoder().decode(ndr[0]!.attachments[0]!.content))).toMatchObject({
      id,
      subject: 'hello',
    });
    const sent = await spooler.get(id);
    expect(sent).toMatchObject({ folder: 'Sent', state: 'finished' });
    expect(sent.recipients.map((r) => r.outcome)).toEqual(['delivered', 'failed', 'delivered']);
    expect(await spooler.list('Outbox')).toEqual([]);
  });

  it('deleteAfterSubmit removes the message once finished; a delivery report comes when asked for', async () => {
    const spooler = await spoolerIn(profileDir(), loopback());
    const { id } = await spooler.submit({
      from: 'LOOP:me',
      to: 'LOOP:you',
      subject: 's',
      deleteAfterSubmit: true,
      reports: { delivery: true },
    });
    await spooler.runOnce();
    await expect(spooler.get(id)).rejects.toMatchObject({ code: 'SPOOL_E_MESSAGE_NOT_FOUND' });
    const inbox = await spooler.list('Inbox');
    expect(inbox.map((m) => m.messageClass).sort()).toEqual(['IPM.Note', 'REPORT.IPM.Note.DR']);
  });

  it('refuses bad input with coded errors and honours idempotency keys', async () => {
    const spooler = await spoolerIn(profileDir(), loopback());
    await expect(spooler.submit({ to: 'not an address', subject: 'x' })).rejects.toMatchObject({
      code: 'SPOOL_E_BAD_ADDRESS',
    });
    await expect(spooler.submit({ subject: 'nobody' })).rejects.toMatchObject({
      code: 'SPOOL_E_BAD_MESSAGE',
    });
    const first = await spooler.submit({ to: 'alice@example.com', subject: 'x', idempotencyKey: 'order-1' });
    const again = await spooler.submit({ to: 'alice@example.com', subject: 'x', idempotencyKey: 'order-1' });
    expect(again).toEqual({ ...first, duplicate: true });
    expect((await spooler.get(first.id)).recipients[0]).toMatchObject({
      address: 'SMTP:alice@example.com',
      addressType: 'SMTP',
    });
  });

  it('a running spooler delivers a submitted message without being asked (submit wakes it)', async () => {
    const spooler = await spoolerIn(profileDir(), loopback(), { autoStart: true });
    for (let i = 0; i < 3; i++) {
      const finished = new Promise<string>((resolve) => {
        const off = spooler.on('finished', (message) => {
          off();
          resolve(message.id);
        });
      });
      const { id } = await spooler.submit({ to: 'LOOP:awake', subject: `wake ${i}` });
      expect(await finished).toBe(id);
    }
  });

  it('watch() follows a folder and resumes from a cursor', async () => {
    const spooler = await spoolerIn(profileDir(), loopback());
    await spooler.submit({ to: ['LOOP:a', 'LOOP:b'], subject: 'w' });
    await spooler.runOnce();
    const controller = new AbortController();
    const seen: string[] = [];
    for await (const item of spooler.watch('Inbox', { signal: controller.signal })) {
      seen.push(item.cursor);
      if (seen.length === 2) controller.abort();
    }
    await spooler.submit({ to: 'LOOP:c', subject: 'w2' });
    await spooler.runOnce();
    const resumed = spooler.watch('Inbox', { cursor: seen[1]! });
    const next = await resumed.next();
    expect(next.value?.message.properties['x-spool-loopback-to']).toBe('LOOP:c');
    await resumed.return(undefined);
  });
});

describe('preprocess / removePreprocessInfo pairing', () => {
  it('success, permanent failure and deferral each remove every run they recorded', async () => {
    const dir = profileDir();
    const spooler = await spoolerIn(dir, loopback({ rejectRecipients: ['bad'], failNext: 1 }));
    await spooler.submit({ to: 'LOOP:first', subject: 'deferred first, then delivered' });
    await spooler.submit({ to: 'LOOP:bad', subject: 'permanent failure' });
    const first = await spooler.runOnce();
    expect(first.deferred).toBe(1);
    expect(markers(dir)).toEqual([]);
    await spooler.flush();
    expect(markers(dir)).toEqual([]);
    const db = new DatabaseSync(join(dir, 'spool.db'), { readOnly: true });
    const runs = db.prepare('SELECT count(*) AS open FROM preprocess_runs').get() as { open: number };
    db.close();
    expect(runs).toEqual({ open: 0 }); // recorded runs are deleted once removed
    const inbox = await spooler.list('Inbox');
    expect(inbox.find((m) => m.messageClass === 'IPM.Note')?.properties['x-spool-loopback-trace']).toMatch(
      /^loopback\/default:/,
    );
  });

  it('cancel of an in-flight message aborts the hand-off, removes its run, sends no NDR, and files it in Deleted', async () => {
    const dir = profileDir();
    const spooler = await spoolerIn(dir, loopback({ latencyMs: 60_000 }), { autoStart: true });
    const { id } = await spooler.submit({ to: 'LOOP:slow', subject: 'cancel me' });
    for (let i = 0; i < 200 && markers(dir).length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(markers(dir)).toHaveLength(1);
    const cancelled = await spooler.cancel(id);
    expect(cancelled).toMatchObject({ folder: 'Deleted', state: 'cancelled' });
    expect(cancelled.recipients[0]?.outcome).toBe('cancelled');
    expect(markers(dir)).toEqual([]);
    expect(await spooler.list('Inbox')).toEqual([]);
    await expect(spooler.cancel(id)).rejects.toMatchObject({ code: 'SPOOL_E_ALREADY_FINISHED' });
  });

  it('a hurry during an orderly stop aborts the in-flight hand-off at once; the message goes back to the Outbox untouched', async () => {
    const dir = profileDir();
    const spooler = await spoolerIn(dir, loopback({ latencyMs: 60_000 }), {
      autoStart: true,
      stopTimeoutMs: 60_000,
    });
    const { id } = await spooler.submit({ to: 'LOOP:slow', subject: 'stop me' });
    for (let i = 0; i < 200 && markers(dir).length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(markers(dir)).toHaveLength(1);
    const orderly = spooler.stop(); // would wait up to 60 s for the hand-off
    await spooler.stop({ mode: 'hurry' }); // a second signal
    await orderly;
    expect(markers(dir)).toEqual([]);
    const store = await openEmbeddedStore(join(dir, 'spool.db'));
    const message = await store.get(id);
    await store.close();
    expect(message).toMatchObject({ folder: 'Outbox', state: 'queued' });
    expect(message?.recipients[0]).toMatchObject({ outcome: 'pending', attempts: 0 });
  });

  it('a run recorded by a spooler that crashed before removing it is removed when the message is reclaimed', async () => {
    const dir = profileDir();
    const setup = await spoolerIn(dir, loopback());
    const { id } = await setup.submit({ to: 'LOOP:x', subject: 'crash' });
    await setup.stop();
    // The crash: another process leased the message and recorded a run, made the marker, and died.
    const claim = JSON.parse(
      execFileSync(process.execPath, [CLAIM_CHILD, join(dir, 'spool.db'), 'loopback/default'], {
        encoding: 'utf8',
      }),
    ) as { runIds: string[] };
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const markerDir = join(dir, '.spool', 'data', 'loopback', 'default', 'preprocess');
    mkdirSync(markerDir, { recursive: true });
    writeFileSync(join(markerDir, `${claim!.runIds[0]}.json`), '{}');
    const spooler = await spoolerIn(dir, loopback());
    expect(markers(dir)).toEqual([]); // removed during recovery, before anything else ran
    await spooler.runOnce();
    expect((await spooler.get(id)).folder).toBe('Sent');
    expect(markers(dir)).toEqual([]);
  });
});

describe('retries on an injected clock', () => {
  const retry = { schedule: [1000, 2000, 4000], jitter: 0.2, maxAge: 60_000 };

  it('two temporary failures end in delivery on the third attempt, each retry within the schedule’s bounds', async () => {
    const clock = fakeClock();
    const spooler = await spoolerIn(profileDir(), { ...loopback({ failNext: 2 }), retry }, { clock });
    const { id } = await spooler.submit({ to: 'LOOP:x', subject: 'retry' });
    const start = clock.now();
    expect((await spooler.runOnce()).deferred).toBe(1);
    let recipient = (await spooler.get(id)).recipients[0]!;
    expect(recipient.attempts).toBe(1);
    expect(recipient.nextAttemptAt - start).toBeGreaterThanOrEqual(800);
    expect(recipient.nextAttemptAt - start).toBeLessThanOrEqual(1200);
    expect((await spooler.runOnce()).deferred).toBe(0); // not due yet: nothing is retried early
    clock.advance(recipient.nextAttemptAt - start);
    const second = clock.now();
    expect((await spooler.runOnce()).deferred).toBe(1);
    recipient = (await spooler.get(id)).recipients[0]!;
    expect(recipient.attempts).toBe(2);
    expect(recipient.nextAttemptAt - second).toBeGreaterThanOrEqual(1600);
    expect(recipient.nextAttemptAt - second).toBeLessThanOrEqual(2400);
    clock.advance(recipient.nextAttemptAt - second);
    expect((await spooler.runOnce()).delivered).toBe(1);
    expect((await spooler.get(id)).recipients[0]).toMatchObject({ outcome: 'delivered', attempts: 3 });
  });

  it('a permanent failure ends in an NDR with the provider’s reason', async () => {
    const spooler = await spoolerIn(profileDir(), {
      ...loopback({ failPermanently: 'mailbox is on the moon' }),
      retry,
    });
    await spooler.submit({ from: 'LOOP:me', to: 'LOOP:x', subject: 'perm' });
    await spooler.runOnce();
    const [ndr] = await spooler.list('Inbox');
    expect(ndr?.text).toContain('LOOP:x: mailbox is on the moon');
  });

  it('a message that outlives the maximum age ends in an NDR', async () => {
    const clock = fakeClock();
    const spooler = await spoolerIn(
      profileDir(),
      { ...loopback({ failNext: 1000 }), retry: { ...retry, maxAge: 5000 } },
      { clock },
    );
    const { id } = await spooler.submit({ from: 'LOOP:me', to: 'LOOP:x', subject: 'old' });
    for (let i = 0; i < 20; i++) {
      await spooler.runOnce();
      const message = await spooler.get(id);
      if (message.state !== 'queued') break;
      clock.advance(message.recipients[0]!.nextAttemptAt - clock.now());
    }
    const message = await spooler.get(id);
    expect(message.state).toBe('finished');
    expect(clock.now() - message.submittedAt).toBeLessThanOrEqual(5000);
    const [ndr] = await spooler.list('Inbox');
    expect(ndr?.text).toMatch(/gave up after \d+ attempt\(s\) over the maximum age of 5 s/);
  });
});

describe('the store', () => {
  it('runs with WAL and synchronous=FULL', async () => {
    const dir = profileDir();
    const spooler = await spoolerIn(dir, loopback());
    await spooler.stop();
    const store = await openEmbeddedStore(join(dir, 'spool.db'));
    expect(store.pragmas()).toEqual({ journalMode: 'wal', synchronous: 2 });
    await store.close();
  });

  it('refuses a store written by a newer schema', async () => {
    const dir = profileDir();
    const db = new DatabaseSync(join(dir, 'spool.db'));
    db.exec('PRAGMA user_version = 99');
    db.close();
    await expect(openEmbeddedStore(join(dir, 'spool.db'))).rejects.toMatchObject({
      code: 'SPOOL_E_STORE_TOO_NEW',
    });
  });

  it('backs up online and vacuums', async () => {
    const dir = profileDir();
    // The caller opens the store and keeps its reference; the spooler runs on it (and closes it at stop).
    const store = await openEmbeddedStore(join(dir, 'spool.db'));
    const spooler = await spoolerIn(dir, loopback(), { store });
    await spooler.submit({ to: 'LOOP:a', subject: 'b' });
    await store.admin!.backup(join(dir, 'backup.db'));
    await store.admin!.vacuum();
    const copy = await openEmbeddedStore(join(dir, 'backup.db'));
    expect(await copy.list('Outbox')).toHaveLength(1);
    await copy.close();
  });
});
