import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PDFDict, PDFDocument, PDFHexString, PDFName, PDFStream, PDFString } from 'pdf-lib';
import { afterEach, describe, expect, it } from 'vitest';
import type { FaxPreprocessInfo } from '../src/preprocessor.js';
import { type FaxFixture, faxRecipient, makeMessage, openFax, tinyPng } from './support.js';

const fixtures: FaxFixture[] = [];
afterEach(async () => {
  await Promise.all(fixtures.splice(0).map((fx) => fx.close()));
});

async function fax(options: Parameters<typeof openFax>[0] = {}): Promise<FaxFixture> {
  const fx = await openFax(options);
  fixtures.push(fx);
  return fx;
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/** A custom key of the PDF's Info dictionary (pdf-lib has getters only for the standard ones). */
function infoValue(pdf: PDFDocument, key: string): string | undefined {
  const info = pdf.context.lookup(pdf.context.trailerInfo.Info, PDFDict);
  // pdfkit writes each Info value as an indirect object, so resolve the reference first.
  const value = pdf.context.lookup(info.get(PDFName.of(key)));
  return value instanceof PDFString || value instanceof PDFHexString ? value.decodeText() : undefined;
}

/** Image XObjects on a page, with their pixel sizes. */
function imagesOn(pdf: PDFDocument, index: number): { width: number; height: number }[] {
  const xobjects = pdf.getPage(index).node.Resources()?.lookupMaybe(PDFName.of('XObject'), PDFDict);
  if (xobjects === undefined) return [];
  return xobjects
    .values()
    .map((ref) => pdf.context.lookup(ref, PDFStream).dict)
    .filter((x) => x.get(PDFName.of('Subtype')) === PDFName.of('Image'))
    .map((x) => ({ width: Number(x.get(PDFName.of('Width'))), height: Number(x.get(PDFName.of('Height'))) }));
}

async function render(fx: FaxFixture, message = makeMessage(), runId = 'run-a') {
  const workDir = join(fx.dataDir, 'preprocess');
  const result = await fx.preprocessor.preprocess(message, message.recipients, {
    runId,
    workDir,
    signal: new AbortController().signal,
  });
  const info = result.info as FaxPreprocessInfo;
  const pdf = await PDFDocument.load(await readFile(info.path));
  return { result, info, pdf, workDir };
}

const longText = Array.from(
  { length: 240 },
  (_, i) => `Line ${i + 1}: the quick brown fox jumps over the lazy dog, again and again.`,
).join('\n');

describe('fax rendering (preprocessor)', () => {
  it('renders long text, a PNG and a text attachment to a valid PDF with the page count it reports', async () => {
    const fx = await fax();
    const png = tinyPng(64, 48);
    const { info, pdf, result } = await render(
      fx,
      makeMessage({
        text: longText,
        attachments: [
          { filename: 'chart.png', contentType: 'image/png', content: png },
          {
            filename: 'notes.txt',
            contentType: 'text/plain; charset=utf-8',
            content: Buffer.from('Note one\nNote two\n'),
          },
        ],
      }),
    );
    expect(info.path).toBe(join(fx.dataDir, 'preprocess', 'run-a', 'fax.pdf'));
    // cover + at least two pages of body text + the image page + the text attachment page
    expect(info.pages).toBeGreaterThanOrEqual(5);
    expect(pdf.getPageCount()).toBe(info.pages);
    expect(result.properties).toEqual({ 'x-spool-fax-pages': info.pages });

    for (const page of pdf.getPages()) {
      expect(page.getWidth()).toBeCloseTo(595.28, 1);
      expect(page.getHeight()).toBeCloseTo(841.89, 1);
    }
    // The image sits on the page before the last, at its own pixel size.
    expect(imagesOn(pdf, info.pages - 2)).toEqual([{ width: 64, height: 48 }]);
    expect(imagesOn(pdf, info.pages - 1)).toEqual([]);

    expect(pdf.getTitle()).toBe('Quarterly figures');
    expect(pdf.getAuthor()).toBe('FAX:+441234567890');
    expect(pdf.getSubject()).toBe('Fax to +15550100');
    expect(pdf.getKeywords()).toContain('resolution=fine');
    expect(pdf.getKeywords()).toContain('dpi=204x196');
    expect(infoValue(pdf, 'FaxResolution')).toBe('fine');
    expect(infoValue(pdf, 'FaxDpi')).toBe('204x196');
    expect(infoValue(pdf, 'FaxPaper')).toBe('A4');
  });

  it('lays a short message out as cover + one body page, and an empty one as the cover alone', async () => {
    const fx = await fax();
    expect((await render(fx, makeMessage(), 'short')).pdf.getPageCount()).toBe(2);
    const empty = await render(fx, makeMessage({ text: undefined, subject: '' }), 'empty');
    expect(empty.info.pages).toBe(1);
    expect(empty.pdf.getTitle()).toBe('Fax');
  });

  it('adds a page per text or image attachment', async () => {
    const fx = await fax();
    const { info, pdf } = await render(
      fx,
      makeMessage({
        attachments: [
          { filename: 'a.png', contentType: 'image/png', content: tinyPng(8, 8) },
          { filename: 'b.txt', contentType: 'text/plain', content: Buffer.from('hello') },
        ],
      }),
    );
    expect(info.pages).toBe(4);
    expect(pdf.getPageCount()).toBe(4);
  });

  it('reduces an HTML-only body to text and reports attachments it cannot print', async () => {
    const fx = await fax();
    const { info, result } = await render(
      fx,
      makeMessage({
        text: undefined,
        html: '<html><head><style>p{}</style></head><body><p>Hello &amp; welcome</p><ul><li>one</li></ul></body></html>',
        attachments: [
          { filename: 'data.zip', contentType: 'application/zip', content: Buffer.from('PK') },
          { filename: 'broken.png', contentType: 'image/png', content: Buffer.from('not a png') },
        ],
      }),
    );
    expect(info.pages).toBe(2);
    expect(result.properties).toEqual({
      'x-spool-fax-pages': 2,
      'x-spool-fax-not-rendered': [
        'data.zip (application/zip)',
        'broken.png (image/png): not a readable image',
      ],
    });
  });

  it('uses the paper and resolution options (Letter, standard 204x98)', async () => {
    const fx = await fax({ paper: 'Letter', resolution: 'standard' });
    const { pdf } = await render(
      fx,
      makeMessage({
        attachments: [{ filename: 'a.png', contentType: 'image/png', content: tinyPng(20, 10) }],
      }),
    );
    expect(pdf.getPage(0).getSize()).toEqual({ width: 612, height: 792 });
    expect(pdf.getKeywords()).toContain('dpi=204x98');
    expect(infoValue(pdf, 'FaxResolution')).toBe('standard');
  });

  it('removePreprocessInfo deletes the run, with info and without (after a crash), and twice', async () => {
    const fx = await fax();
    const first = await render(fx, makeMessage(), 'with-info');
    const second = await render(fx, makeMessage(), 'crashed');
    const base = { messageId: 'msg-1', workDir: first.workDir };
    await fx.preprocessor.removePreprocessInfo({
      ...base,
      runId: 'with-info',
      info: first.info,
      reason: 'delivered',
    });
    await fx.preprocessor.removePreprocessInfo({
      ...base,
      runId: 'crashed',
      info: undefined,
      reason: 'recovered',
    });
    expect(await exists(join(first.workDir, 'with-info'))).toBe(false);
    expect(await exists(join(second.workDir, 'crashed'))).toBe(false);
    await expect(
      fx.preprocessor.removePreprocessInfo({
        ...base,
        runId: 'crashed',
        info: undefined,
        reason: 'recovered',
      }),
    ).resolves.toBeUndefined();
  });

  it('stops rendering with SPOOL_E_CANCELLED when the signal is already aborted', async () => {
    const fx = await fax();
    const controller = new AbortController();
    controller.abort();
    await expect(
      fx.preprocessor.preprocess(makeMessage(), [faxRecipient('r1', '+15550100')], {
        runId: 'aborted',
        workDir: join(fx.dataDir, 'preprocess'),
        signal: controller.signal,
      }),
    ).rejects.toMatchObject({ code: 'SPOOL_E_CANCELLED' });
  });
});
