import type { Attachment } from '@spool/spi';
import { throwIfCancelled } from './cancel.js';
import { type FaxGeometry, pixelsToPoints } from './geometry.js';
import { imageSize } from './image-size.js';
import { faxPrintable, htmlToText } from './text.js';

/** What goes on the fax: the cover page fields, the body and the attachments. */
export interface FaxContent {
  /** Sender shown on the cover page. */
  readonly from: string;
  /** Recipient numbers shown on the cover page. */
  readonly to: readonly string[];
  readonly subject: string;
  readonly text?: string | undefined;
  readonly html?: string | undefined;
  readonly attachments: readonly Attachment[];
  /** The date printed on the cover page and in every page header. */
  readonly date: Date;
}

/** The rendered fax. */
export interface RenderedFax {
  /** The PDF bytes. */
  readonly pdf: Uint8Array;
  /** Pages in all, the cover page included. */
  readonly pages: number;
  /** Attachments that could not be put on paper (wrong type, unreadable image), as `name (type)`. */
  readonly skipped: readonly string[];
}

// The typings describe pdfkit's export as one interface that is both the constructor and the instance.
type PdfDocumentClass = PDFKit.PDFDocument;
type PdfDocument = PDFKit.PDFDocument;

let pdfkit: Promise<PdfDocumentClass> | undefined;

/**
 * pdfkit (with its font metrics) takes a noticeable time to load; loading it on the first render keeps
 * the host's start-up, which imports every provider, at a few milliseconds.
 */
function loadPdfkit(): Promise<PdfDocumentClass> {
  pdfkit ??= import('pdfkit').then((module) => module.default);
  return pdfkit;
}

const MARGIN = 54; // 3/4 inch: inside the area every fax machine prints
const HEADER_Y = 24; // the transmit header line (TSI) sits above the margin, as on a real fax
const BODY_FONT_SIZE = 11;

/** The MIME type without parameters, lower-case (`Text/Plain; charset=utf-8` → `text/plain`). */
function baseType(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

function formatDate(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/**
 * Renders a message to fax pages as a real PDF at fax geometry: a cover page (from, to, subject, page
 * count, date), the body (HTML reduced to text when there is no text body), then each text and image
 * attachment on pages of its own. Images are placed one pixel per fax dot, their height rounded to whole
 * scan lines, so they come out at the size the receiving machine would print them (shrunk to fit).
 */
export async function renderFax(
  content: FaxContent,
  geometry: FaxGeometry,
  signal: AbortSignal,
): Promise<RenderedFax> {
  const PDFDocument = await loadPdfkit();
  throwIfCancelled(signal, 'fax rendering');
  const dpi = `${geometry.dpiX}x${geometry.dpiY}`;
  // Custom info keys are legal PDF and are what fax software reads back; the typings only know the standard ones.
  const info: PDFKit.DocumentInfo & Record<string, string | Date> = {
    Title: content.subject === '' ? 'Fax' : content.subject,
    Author: content.from,
    Subject: `Fax to ${content.to.join(', ')}`,
    Keywords: `fax; paper=${geometry.paper}; resolution=${geometry.resolution}; dpi=${dpi}`,
    Creator: '@spool/provider-fax-sim',
    CreationDate: content.date,
    FaxPaper: geometry.paper,
    FaxResolution: geometry.resolution,
    FaxDpi: dpi,
  };
  const doc: PdfDocument = new PDFDocument({
    size: [geometry.widthPt, geometry.heightPt],
    margin: MARGIN,
    bufferPages: true, // the cover page and the headers need the final page count
    info,
  });
  const chunks: Buffer[] = [];
  const ended = new Promise<void>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve());
    doc.on('error', reject);
  });

  const contentWidth = geometry.widthPt - 2 * MARGIN;
  const skipped: string[] = [];

  // Cover page: the page count is filled in at the end, once every page exists.
  doc.font('Helvetica-Bold').fontSize(32).text('FAX', { width: contentWidth });
  doc.moveDown(0.5);
  const coverRow = (label: string, value: string) => {
    doc
      .font('Helvetica-Bold')
      .fontSize(12)
      .text(`${label}:`, MARGIN, doc.y, { continued: true, width: contentWidth });
    doc.font('Helvetica').text(` ${faxPrintable(value)}`);
    doc.moveDown(0.3);
  };
  coverRow('From', content.from);
  coverRow('To', content.to.join(', '));
  coverRow('Subject', content.subject === '' ? '(no subject)' : content.subject);
  coverRow('Date', formatDate(content.date));
  const pagesY = doc.y;
  doc.moveDown(1.3);
  const notesY = doc.y;

  const body = content.text ?? (content.html === undefined ? '' : htmlToText(content.html));
  if (body.trim() !== '') {
    doc.addPage();
    doc.font('Helvetica').fontSize(BODY_FONT_SIZE).text(faxPrintable(body), { width: contentWidth });
  }

  for (const attachment of content.attachments) {
    throwIfCancelled(signal, 'fax rendering');
    const type = baseType(attachment.contentType);
    const label = `${attachment.filename} (${type})`;
    if (type === 'text/plain') {
      attachmentPage(doc, attachment.filename);
      const text = new TextDecoder('utf-8').decode(attachment.content);
      doc.font('Courier').fontSize(10).text(faxPrintable(text), { width: contentWidth });
    } else if (type === 'image/png' || type === 'image/jpeg') {
      const size = imageSize(attachment.content);
      if (size === undefined) {
        skipped.push(`${label}: not a readable image`);
        continue;
      }
      attachmentPage(doc, attachment.filename);
      const [naturalWidth, naturalHeight] = pixelsToPoints(geometry, size.width, size.height);
      const boxHeight = geometry.heightPt - MARGIN - doc.y;
      const scale = Math.min(1, contentWidth / naturalWidth, boxHeight / naturalHeight);
      doc.image(Buffer.from(attachment.content), MARGIN, doc.y, {
        width: naturalWidth * scale,
        height: naturalHeight * scale,
      });
    } else {
      skipped.push(label);
    }
  }

  const { start, count } = doc.bufferedPageRange();
  doc.switchToPage(start);
  doc.font('Helvetica-Bold').fontSize(12).text('Pages:', MARGIN, pagesY, { continued: true });
  doc.font('Helvetica').text(` ${count} (this page included)`);
  if (skipped.length > 0) {
    doc.font('Helvetica-Oblique').fontSize(10).text('Not rendered:', MARGIN, notesY, { width: contentWidth });
    for (const line of skipped) doc.text(faxPrintable(`- ${line}`), { width: contentWidth });
  }
  // The header every fax machine prints on top of each page it sends (TSI, date, page k/n).
  for (let index = 0; index < count; index += 1) {
    doc.switchToPage(start + index);
    doc
      .font('Helvetica')
      .fontSize(8)
      .text(
        faxPrintable(`${formatDate(content.date)}   FROM ${content.from}   PAGE ${index + 1}/${count}`),
        MARGIN,
        HEADER_Y,
        { width: contentWidth, lineBreak: false },
      );
  }
  doc.end();
  await ended;
  return { pdf: Buffer.concat(chunks), pages: count, skipped };
}

/** Starts a page for an attachment, headed by its file name. */
function attachmentPage(doc: PdfDocument, filename: string): void {
  doc.addPage();
  doc
    .font('Helvetica-Bold')
    .fontSize(12)
    .text(faxPrintable(`Attachment: ${filename}`));
  doc.moveDown(0.5);
}
