import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { OutboundMessage, Preprocessor } from '@spool/spi';
import { headersFromProperties, smtpAddress } from './headers.js';
import { loadMailComposer } from './lazy.js';
import { throwIfCancelled } from './shared.js';

/**
 * Built messages up to this size stay in memory between preprocessing and the hand-off (at most
 * `maxConnections` of them per logon at once); larger ones go to a file so a big attachment is not held twice.
 * Writing, streaming back and removing a file costs three round trips through libuv's thread pool per message,
 * which for ordinary mail was a large part of a hand-off (see the README, "Performance").
 */
export const IN_MEMORY_LIMIT = 256 * 1024;

/**
 * What the preprocessor hands to `submitMessage`: the built RFC 5322 message, in memory (`raw`) when it is at
 * most {@link IN_MEMORY_LIMIT} bytes, else on disk (`path`). Exactly one of the two is set.
 */
export interface MimeInfo {
  /** The message itself, for messages up to {@link IN_MEMORY_LIMIT} bytes. */
  readonly raw?: Buffer;
  /** `<workDir>/<runId>/message.eml`, for larger messages. */
  readonly path?: string;
  /** Its size in bytes. */
  readonly size: number;
}

/** Where a run keeps its files; derived from the run id alone, so a crashed run can be cleaned up without `info`. */
export function runDir(workDir: string, runId: string): string {
  return join(workDir, runId);
}

/** Builds the MIME message for one hand-off; see {@link mimePreprocessor}. */
export async function buildMime(
  message: OutboundMessage,
  addressTypes: readonly string[],
  defaultFrom: string | undefined,
): Promise<Buffer> {
  const MailComposer = await loadMailComposer();
  // Only displayed recipients of our own address types appear in To/Cc: Bcc never reaches a header, and a
  // FAX: or LOOP: recipient of the same message has no RFC 5322 form.
  const displayed = (type: 'to' | 'cc') =>
    message.recipients
      .filter((recipient) => recipient.type === type && addressTypes.includes(recipient.addressType))
      .map((recipient) => recipient.value);
  const from = smtpAddress(message.from, addressTypes) ?? defaultFrom;
  const composer = new MailComposer({
    ...(from === undefined ? {} : { from }),
    to: displayed('to'),
    cc: displayed('cc'),
    subject: message.subject,
    messageId: message.messageId,
    date: message.submittedAt,
    ...(message.text === undefined ? {} : { text: message.text }),
    ...(message.html === undefined ? {} : { html: message.html }),
    attachments: message.attachments.map((attachment) => ({
      filename: attachment.filename,
      contentType: attachment.contentType,
      content: Buffer.from(
        attachment.content.buffer,
        attachment.content.byteOffset,
        attachment.content.byteLength,
      ),
      ...(attachment.contentId === undefined ? {} : { cid: attachment.contentId }),
    })),
    headers: headersFromProperties(message.properties),
  });
  return composer.compile().build();
}

/**
 * The SMTP preprocessor: builds the MIME message once per hand-off (shared by every recipient of it) and keeps
 * it in memory, or, above {@link IN_MEMORY_LIMIT}, as a file under `<workDir>/<runId>/`, so a large message is
 * not held in memory between preprocessing and the hand-off; `removePreprocessInfo` finds that file from the run
 * id alone, also after a crash.
 */
export function mimePreprocessor(
  addressTypes: () => readonly string[],
  defaultFrom: string | undefined,
): Preprocessor<MimeInfo> {
  return {
    name: 'smtp-mime',
    async preprocess(message, _recipients, context) {
      throwIfCancelled(context.signal);
      const raw = await buildMime(message, addressTypes(), defaultFrom);
      throwIfCancelled(context.signal);
      if (raw.byteLength <= IN_MEMORY_LIMIT) return { info: { raw, size: raw.byteLength } };
      const dir = runDir(context.workDir, context.runId);
      await mkdir(dir, { recursive: true });
      const path = join(dir, 'message.eml');
      await writeFile(path, raw);
      return { info: { path, size: raw.byteLength } };
    },
    async removePreprocessInfo(context) {
      // A message kept in memory left nothing on disk; dropping `info` frees it.
      if (context.info !== undefined && context.info.path === undefined) return;
      // Otherwise by run id: `info.path` lives inside this directory, and after a crash `info` is undefined.
      await rm(runDir(context.workDir, context.runId), { recursive: true, force: true });
    },
  };
}
