import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { Spooler } from '@spool/core';
import { PDFDocument } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { BUILTINS, fakeClock, profileDir, spoolerIn } from './helpers.js';

// The fax-sim provider end to end: the real spooler and SQLite store in a profile directory, the built
// provider loaded as a built-in, PDFs written to and read from real directories and parsed back with pdf-lib.

const require = createRequire(import.meta.url);
const builtins = {
  builtins: {
    ...BUILTINS,
    '@spool/provider-fax-sim': dirname(require.resolve('@spool/provider-fax-sim/package.json')),
  },
};
const retry = { schedule: [1000, 2000, 4000], jitter: 0.2, maxAge: 10 * 60_000 };
const faxProfile = (options: Record<string, unknown> = {}) => ({
  providers: [
    {
      provider: 'fax-sim',
      options: { timeFactor: 0, outputDir: 'fax-out', inboundDir: 'fax-in', ...options },
    },
  ],
  retry,
});

/** Sent faxes in the output directory (the transmission log left out). */
const sentPdfs = (dir: string) => readdirSync(join(dir, 'fax-out')).filter((name) => name.endsWith('.pdf'));
const transmissions = (dir: string) =>
  readFileSync(join(dir, 'fax-out', 'transmissions.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { number: string; result: string; pages: number });
/** Rendered pages still on disk: the fax-sim logon's preprocess work directory. */
const renderedRuns = (dir: string) => {
  const workDir = join(dir, '.spool', 'data', 'fax-sim', 'default');
  return existsSync(workDir) ? readdirSync(workDir) : [];
};
const faxRow = (spooler: Spooler) => spooler.status().find((row) => row.id === 'fax-sim/default');

describe('fax-sim provider through the spooler', () => {
  it('writes one PDF per recipient to the output directory, with cover, body and attachment pages', async () => {
    const dir = profileDir();
    const spooler = await spoolerIn(dir, faxProfile({ stationId: '+1 555 0001' }), builtins);
    const { id } = await spooler.submit({
      from: 'FAX:+15550001',
      to: ['FAX:+1 555 0100', 'FAX:+44 (20) 7946-0958'],
      subject: 'Order 42',
      text: 'Please find the order attached.',
      attachments: [
        { filename: 'order.txt', contentType: 'text/plain', content: 'one widget\ntwo gadgets\n' },
      ],
    });

    expect(await spooler.runOnce()).toMatchObject({ delivered: 2, failed: 0, deferred: 0 });

    const files = sentPdfs(dir);
    expect(files).toHaveLength(2);
    expect(files.some((name) => name.endsWith('-+15550100.pdf'))).toBe(true);
    expect(files.some((name) => name.endsWith('-+442079460958.pdf'))).toBe(true);
    for (const name of files) {
      const pdf = await PDFDocument.load(readFileSync(join(dir, 'fax-out', name)));
      expect(pdf.getPageCount()).toBe(3); // cover, body, the text attachment
    }
    expect(transmissions(dir).map((t) => [t.number, t.result, t.pages])).toEqual([
      ['+15550100', 'delivered', 3],
      ['+442079460958', 'delivered', 3],
    ]);
    const sent = await spooler.get(id);
    expect(sent).toMatchObject({ folder: 'Sent', state: 'finished' });
    expect(sent.recipients.map((r) => r.outcome)).toEqual(['delivered', 'delivered']);
    expect(renderedRuns(dir)).toEqual([]);
    expect(faxRow(spooler)).toMatchObject({ text: 'line idle', counters: { sent: 2 } });
  });

  it('a busy line is retried after the provider’s delay and then delivered', async () => {
    const dir = profileDir();
    const clock = fakeClock();
    const spooler = await spoolerIn(
      dir,
      faxProfile({ busyNumbers: ['+1 555 0100'], busyAttempts: 1, retryDelayMs: 30_000 }),
      { ...builtins, clock },
    );
    const { id } = await spooler.submit({ to: 'FAX:+1 555 0100', subject: 'busy first', text: 'hi' });
    const start = clock.now();

    expect(await spooler.runOnce()).toMatchObject({ delivered: 0, deferred: 1 });
    const recipient = (await spooler.get(id)).recipients[0]!;
    expect(recipient).toMatchObject({ outcome: 'pending', attempts: 1, lastError: 'line busy at +15550100' });
    // The provider asked for 30 s, more than the schedule's first step: the host waits at least that long.
    expect(recipient.nextAttemptAt - start).toBeGreaterThanOrEqual(30_000);
    expect(sentPdfs(dir)).toEqual([]);
    clock.advance(29_000);
    expect(await spooler.runOnce()).toMatchObject({ delivered: 0, deferred: 0 }); // not due yet

    clock.advance(recipient.nextAttemptAt - clock.now());
    expect(await spooler.runOnce()).toMatchObject({ delivered: 1, deferred: 0 });

    expect((await spooler.get(id)).folder).toBe('Sent');
    expect(sentPdfs(dir)).toHaveLength(1);
    expect(transmissions(dir).map((t) => t.result)).toEqual(['busy', 'delivered']);
    expect(renderedRuns(dir)).toEqual([]);
  });

  it('an invalid or unallocated number fails that recipient with an NDR; the valid one is sent', async () => {
    const dir = profileDir();
    const spooler = await spoolerIn(dir, faxProfile({ invalidNumbers: ['+1 555 0199'] }), builtins);
    await spooler.submit({
      from: 'LOOP:me',
      to: ['FAX:555-0100', 'FAX:+1 555 0199', 'FAX:+1 555 0100'],
      subject: 'numbers',
      text: 'hi',
    });

    expect(await spooler.runOnce()).toMatchObject({ delivered: 1, failed: 2 });

    expect(sentPdfs(dir)).toHaveLength(1);
    const inbox = await spooler.list('Inbox');
    expect(inbox.map((m) => m.messageClass)).toEqual(['REPORT.IPM.Note.NDR']);
    const text = inbox[0]?.text ?? '';
    expect(text).toMatch(/FAX:555-0100: invalid fax number "555-0100"/);
    expect(text).toContain('FAX:+1 555 0199: invalid number +15550199: not allocated');
    expect(text).not.toContain('FAX:+1 555 0100:');
  });

  it('cancel during a page stops the transmission, leaves no rendered pages and no sent copy, and records the run removed', async () => {
    const dir = profileDir();
    // A fine A4 page takes ~18 s at timeFactor 1: the cancel lands while page 1 is on the wire.
    const spooler = await spoolerIn(dir, faxProfile({ timeFactor: 1, handshakeMs: 0 }), {
      ...builtins,
      autoStart: true,
    });
    const { id } = await spooler.submit({ to: 'FAX:+1 555 0100', subject: 'cancel me', text: 'long fax' });
    for (let i = 0; i < 500 && faxRow(spooler)?.progress === undefined; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(faxRow(spooler)?.progress?.text).toMatch(/^page 1 of \d+$/);
    expect(renderedRuns(dir)).toHaveLength(1); // the preprocessor's pages exist while the fax is sent

    const cancelled = await spooler.cancel(id);

    expect(cancelled).toMatchObject({ folder: 'Deleted', state: 'cancelled' });
    expect(cancelled.recipients[0]?.outcome).toBe('cancelled');
    expect(renderedRuns(dir)).toEqual([]);
    expect(sentPdfs(dir)).toEqual([]);
    expect(transmissions(dir).map((t) => t.result)).toEqual(['cancelled']);
    expect(await spooler.list('Inbox')).toEqual([]);
    expect(faxRow(spooler)).toMatchObject({ text: 'line idle' });
    expect(faxRow(spooler)?.progress).toBeUndefined();
    const db = new DatabaseSync(join(dir, 'spool.db'), { readOnly: true });
    const runs = db.prepare('SELECT count(*) AS open FROM preprocess_runs').get() as { open: number };
    db.close();
    expect(runs).toEqual({ open: 0 }); // recorded runs are deleted once removed
  });

  it('a PDF dropped into the inbound directory arrives in the Inbox with the PDF attached, then is moved away', async () => {
    const dir = profileDir();
    const spooler = await spoolerIn(dir, faxProfile(), builtins);
    const source = await PDFDocument.create();
    source.addPage();
    source.addPage();
    const bytes = await source.save({ useObjectStreams: false });
    // Dropped by rename, as a receive daemon should, so the poll never sees half a file.
    writeFileSync(join(dir, 'fax-in', '.incoming.tmp'), bytes);
    renameSync(join(dir, 'fax-in', '.incoming.tmp'), join(dir, 'fax-in', '+15550100_0001.pdf'));

    expect(await spooler.runOnce()).toMatchObject({ received: 1 });

    const inbox = await spooler.list('Inbox');
    expect(inbox).toHaveLength(1);
    expect(inbox[0]).toMatchObject({
      messageClass: 'IPM.Note',
      from: 'FAX:+15550100',
      subject: 'Fax from +15550100',
    });
    expect(inbox[0]?.text).toContain('2 pages');
    const [attachment] = inbox[0]?.attachments ?? [];
    expect(attachment).toMatchObject({ filename: '+15550100_0001.pdf', contentType: 'application/pdf' });
    expect((await PDFDocument.load(attachment!.content)).getPageCount()).toBe(2);
    expect(readdirSync(join(dir, 'fax-in')).filter((name) => name.endsWith('.pdf'))).toEqual([]);
    expect(readdirSync(join(dir, 'fax-in', '.received'))).toEqual(['+15550100_0001.pdf']);
    expect(await spooler.runOnce()).toMatchObject({ received: 0 });
  });
});
