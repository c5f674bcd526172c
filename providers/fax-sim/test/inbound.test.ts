import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PDFDocument } from 'pdf-lib';
import { afterEach, describe, expect, it } from 'vitest';
import { countPdfPages } from '../src/inbound.js';
import { type FaxFixture, memorySink, openFax } from './support.js';

const fixtures: FaxFixture[] = [];
afterEach(async () => {
  await Promise.all(fixtures.splice(0).map((fx) => fx.close()));
});

async function fax(options: Parameters<typeof openFax>[0] = {}): Promise<FaxFixture> {
  const fx = await openFax(options);
  fixtures.push(fx);
  return fx;
}

async function pdfWithPages(pages: number): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  for (let i = 0; i < pages; i += 1) pdf.addPage([595.28, 841.89]);
  // Plain object table, like a fax modem writes: no compressed object streams.
  return pdf.save({ useObjectStreams: false });
}

const signal = new AbortController().signal;

describe('receiving faxes from the inbound directory', () => {
  it('polls, saves the fax as an IPM.Note with the PDF attached, then moves the file to .received/', async () => {
    const fx = await fax({ inboundDir: 'incoming' });
    const inbound = join(fx.profileDir, 'incoming');
    const bytes = await pdfWithPages(3);
    await writeFile(join(inbound, '+1 555 0100_0001.pdf'), bytes);
    await writeFile(join(inbound, 'readme.txt'), 'not a fax');

    expect(await fx.logon.poll?.({ signal })).toBe(true);
    const sink = memorySink();
    expect(await fx.logon.startMessage?.(sink, { signal })).toEqual({ more: false });

    expect(sink.saved).toHaveLength(1);
    const [message] = sink.saved;
    expect(message).toMatchObject({
      from: 'FAX:+15550100',
      subject: 'Fax from +15550100',
      messageClass: 'IPM.Note',
      properties: { 'x-spool-fax-file': '+1 555 0100_0001.pdf', 'x-spool-fax-pages': 3 },
    });
    expect(message?.text).toContain('3 pages');
    expect(message?.attachments).toHaveLength(1);
    expect(message?.attachments?.[0]).toMatchObject({
      filename: '+1 555 0100_0001.pdf',
      contentType: 'application/pdf',
    });
    expect(Buffer.from(message?.attachments?.[0]?.content ?? [])).toEqual(Buffer.from(bytes));

    expect((await readdir(inbound)).sort()).toEqual(['.received', 'readme.txt']);
    expect(await readdir(join(inbound, '.received'))).toEqual(['+1 555 0100_0001.pdf']);
    expect(await fx.logon.poll?.({ signal })).toBe(false);
  });

  it('names the file in the subject when the sender is unknown, and reports more waiting', async () => {
    const fx = await fax();
    const inbound = join(fx.profileDir, 'fax-in');
    await writeFile(join(inbound, 'a-scan.pdf'), await pdfWithPages(1));
    await writeFile(join(inbound, 'b-scan.PDF'), await pdfWithPages(2));
    const sink = memorySink();
    expect(await fx.logon.startMessage?.(sink, { signal })).toEqual({ more: true });
    expect(await fx.logon.startMessage?.(sink, { signal })).toEqual({ more: false });
    expect(sink.saved.map((m) => [m.subject, m.from, m.text?.match(/\d+ pages?/)?.[0]])).toEqual([
      ['Fax from a-scan.pdf', undefined, '1 page'],
      ['Fax from b-scan.PDF', undefined, '2 pages'],
    ]);
  });

  it('leaves the file in place when the sink rejects, and delivers it on a later pass', async () => {
    const fx = await fax();
    const inbound = join(fx.profileDir, 'fax-in');
    await writeFile(join(inbound, '+15550100.pdf'), await pdfWithPages(1));

    const refused = new Error('store is read-only');
    await expect(fx.logon.startMessage?.(memorySink(refused), { signal })).rejects.toBe(refused);
    expect(await readdir(inbound)).toEqual(['+15550100.pdf']);
    expect(await fx.logon.poll?.({ signal })).toBe(true);

    const sink = memorySink();
    await fx.logon.startMessage?.(sink, { signal });
    expect(sink.saved).toHaveLength(1);
    expect(await readdir(inbound)).toEqual(['.received']);
  });

  it('tells the host about faxes already waiting at logon', async () => {
    const first = await fax();
    await writeFile(join(first.profileDir, 'fax-in', 'x.pdf'), await pdfWithPages(1));
    const second = await fax({ inboundDir: join(first.profileDir, 'fax-in') });
    expect(first.recorded.newMail).toBe(0);
    expect(second.recorded.newMail).toBe(1);
  });

  it('counts the pages of a fax rendered by this provider', async () => {
    const bytes = await readFile(new URL('../package.json', import.meta.url));
    expect(countPdfPages(bytes)).toBeUndefined();
    expect(countPdfPages(await pdfWithPages(4))).toBe(4);
  });
});
