import { mkdir, readdir, readFile, rename, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import type { InboundMessage, InboundSink, StartMessageResult } from '@spool/spi';
import { throwIfCancelled } from './cancel.js';
import { normaliseFaxNumber } from './number.js';

/** Where picked-up files go once the host stored them; a dot directory, so the scan skips it. */
export const RECEIVED_DIR = '.received';

/**
 * Counts pages without a PDF library at run time: the page objects (`/Type /Page`, not `/Pages`) of an
 * uncompressed object table. Returns undefined when none show, e.g. for PDFs that pack their objects into
 * compressed object streams.
 */
export function countPdfPages(bytes: Uint8Array): number | undefined {
  const text = Buffer.from(bytes).toString('latin1');
  const count = text.match(/\/Type\s*\/Page(?![A-Za-z])/g)?.length ?? 0;
  return count > 0 ? count : undefined;
}

/**
 * The sending number when the file is named after it: `+15550100.pdf` or `+1 555 0100_anything.pdf`
 * (receive daemons name files by the caller's id; `_` separates it from a sequence or a date).
 */
function senderFromName(name: string): string | undefined {
  const caller = basename(name, extname(name)).split('_')[0] ?? '';
  const result = normaliseFaxNumber(caller);
  return result.ok ? result.number : undefined;
}

/**
 * The inbound side of the line: a directory where received faxes land as PDF files (dropped there by a
 * fax modem's receive daemon, or by hand in tests). Files are taken oldest name first; a file is moved to
 * `.received/` only after the host stored the message, so a crash or a refused save delivers it again.
 */
export class InboundTray {
  readonly #dir: string;
  /** Files handed to a sink and not yet settled, so an overlapping pass never takes one twice. */
  readonly #taking = new Set<string>();

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** The PDF files waiting, sorted by name. Writers should drop files by rename, so none is half written. */
  async waiting(): Promise<string[]> {
    const entries = await readdir(this.#dir, { withFileTypes: true });
    return entries
      .filter((e) => e.isFile() && !e.name.startsWith('.') && e.name.toLowerCase().endsWith('.pdf'))
      .map((e) => e.name)
      .filter((name) => !this.#taking.has(name))
      .sort();
  }

  /** Builds the inbound message for one received file. */
  async #toMessage(name: string, bytes: Uint8Array): Promise<InboundMessage> {
    const number = senderFromName(name);
    const pages = countPdfPages(bytes);
    const received = await stat(join(this.#dir, name));
    const pagesText =
      pages === undefined ? 'an unknown number of pages' : pages === 1 ? '1 page' : `${pages} pages`;
    return {
      ...(number === undefined ? {} : { from: `FAX:${number}` }),
      subject: `Fax from ${number ?? name}`,
      text: `Received a fax of ${pagesText} from ${number ?? 'an unknown sender'} (file ${name}). The fax is attached as a PDF.`,
      attachments: [{ filename: name, contentType: 'application/pdf', content: bytes }],
      messageClass: 'IPM.Note',
      properties: {
        'x-spool-fax-file': name,
        ...(pages === undefined ? {} : { 'x-spool-fax-pages': pages }),
      },
      receivedAt: received.mtime,
    };
  }

  /**
   * Delivers the oldest waiting fax into `sink`. The file stays in place when `save` rejects (the error is
   * passed on), and is moved to `.received/` only once the host has stored the message.
   */
  async receive(sink: InboundSink, signal: AbortSignal): Promise<StartMessageResult> {
    const [name] = await this.waiting();
    if (name === undefined) return { more: false };
    this.#taking.add(name);
    try {
      throwIfCancelled(signal, 'fax pickup');
      const source = join(this.#dir, name);
      const message = await this.#toMessage(name, await readFile(source));
      await sink.save(message);
      const receivedDir = join(this.#dir, RECEIVED_DIR);
      await mkdir(receivedDir, { recursive: true });
      // A name already taken in .received/ (the same file dropped twice) gets a time prefix, never overwritten.
      const existing = new Set(await readdir(receivedDir));
      await rename(source, join(receivedDir, existing.has(name) ? `${Date.now()}-${name}` : name));
    } finally {
      this.#taking.delete(name);
    }
    return { more: (await this.waiting()).length > 0 };
  }
}
