import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { OutboundMessage, OutboundRecipient, Preprocessor } from '@spool/spi';
import type { FaxGeometry } from './geometry.js';
import { normaliseFaxNumber } from './number.js';
import { renderFax } from './render.js';

/** What the fax preprocessor hands to `submitMessage`: the rendered PDF and its page count. */
export interface FaxPreprocessInfo {
  /** Absolute path of the rendered PDF, `<workDir>/<runId>/fax.pdf`. */
  readonly path: string;
  /** Pages in all, the cover page included. */
  readonly pages: number;
}

/** The directory of one preprocessor run; everything the run writes lives in it. */
export function runDir(workDir: string, runId: string): string {
  return join(workDir, runId);
}

/** Who the cover page says the fax is from: the message's sender, else the line's station id. */
export function coverSender(message: OutboundMessage, stationId: string | undefined): string {
  return message.from ?? stationId ?? 'unknown sender';
}

/** The numbers the cover page lists: normalised when valid, as written otherwise. */
export function coverRecipients(recipients: readonly OutboundRecipient[]): string[] {
  return recipients.map((recipient) => {
    const result = normaliseFaxNumber(recipient.value);
    return result.ok ? result.number : recipient.value;
  });
}

/**
 * The fax preprocessor: renders the message once per hand-off into `<workDir>/<runId>/fax.pdf`, so every
 * recipient of the hand-off is sent the same pages and a retry renders afresh. Removal deletes the whole
 * run directory, which works from `runId` alone after a crash, when the host has no `info` to give back.
 */
export function faxPreprocessor(
  geometry: FaxGeometry,
  stationId: string | undefined,
): Preprocessor<FaxPreprocessInfo> {
  return {
    name: 'fax-sim-render',
    async preprocess(message, recipients, context) {
      const dir = runDir(context.workDir, context.runId);
      await mkdir(dir, { recursive: true });
      const rendered = await renderFax(
        {
          from: coverSender(message, stationId),
          to: coverRecipients(recipients),
          subject: message.subject,
          text: message.text,
          html: message.html,
          attachments: message.attachments,
          date: message.submittedAt,
        },
        geometry,
        context.signal,
      );
      // Write then rename: a crash never leaves a half-written fax.pdf that looks complete.
      const path = join(dir, 'fax.pdf');
      await writeFile(`${path}.tmp`, rendered.pdf);
      await rename(`${path}.tmp`, path);
      return {
        info: { path, pages: rendered.pages },
        properties: {
          'x-spool-fax-pages': rendered.pages,
          ...(rendered.skipped.length === 0 ? {} : { 'x-spool-fax-not-rendered': [...rendered.skipped] }),
        },
      };
    },
    async removePreprocessInfo(context) {
      await rm(runDir(context.workDir, context.runId), { recursive: true, force: true });
    },
  };
}
