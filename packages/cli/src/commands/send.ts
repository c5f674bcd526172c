import { readFileSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import type { AttachmentInput } from '@spool/core';
import { SpoolError } from '@spool/spi';
import type { Command } from '../context.js';
import type { SubmitBody } from '../daemon/server.js';
import { viaDaemon } from '../daemon-client.js';
import { recipientsOf, type SendWarning, sendWarnings } from '../entry-health.js';
import { CliErrorCode, ExitCode, usageError } from '../errors.js';
import { loadCliProfile } from '../host.js';
import { withSpooler } from '../spooler.js';

/** What `spool send --json` prints. */
export interface SendReport {
  /** The store id (use it with show, cancel, move, delete). */
  readonly id: string;
  /** The RFC 5322 Message-ID. */
  readonly messageId: string;
  /** True when the idempotency key was used before: nothing was stored, `id` is the first message's. */
  readonly duplicate: boolean;
  /**
   * Recipients whose address type belongs to a provider entry that cannot serve now: the message is queued
   * all the same and waits for the entry. Empty when every recipient's entry serves.
   */
  readonly warnings: readonly SendWarning[];
}

/** Content types by file extension; anything else is sent as application/octet-stream. */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.txt': 'text/plain',
  '.html': 'text/html',
  '.htm': 'text/html',
  '.pdf': 'application/pdf',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.json': 'application/json',
  '.csv': 'text/csv',
};

/** The content type for a file name, from its extension (case-insensitive). */
export function contentTypeOf(file: string): string {
  return CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

function readArgumentFile(cwd: string, file: string, option: string): Buffer {
  const path = resolve(cwd, file);
  try {
    return readFileSync(path);
  } catch (error) {
    throw new SpoolError(
      CliErrorCode.FILE_UNREADABLE,
      `${option} ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
      { hint: `Check the path (relative to ${cwd}) and that the file is readable.`, details: { file: path } },
    );
  }
}

/**
 * `spool send`: stores one message in the Outbox and prints its id. With a daemon running on the profile it
 * goes through the daemon's API (`POST /messages`), which starts handing it off at once. Otherwise the
 * spooler is created here with `autoStart: false`, so nothing is handed off; `spool run` delivers it later.
 */
export const send: Command = async (context) => {
  const { options, out, cwd } = context;
  const hint = 'Example: spool send --from LOOP:me --to LOOP:you --subject Hi --body "Hello"';
  const { from, subject } = options;
  if (from === undefined) throw usageError('spool send needs --from ADDR', hint);
  if (options.to.length === 0) throw usageError('spool send needs at least one --to ADDR', hint);
  if (subject === undefined) throw usageError('spool send needs --subject TEXT', hint);
  if ((options.body === undefined) === (options.bodyFile === undefined))
    throw usageError('spool send needs exactly one of --body TEXT and --body-file FILE', hint);
  const text = options.bodyFile
    ? readArgumentFile(cwd, options.bodyFile, '--body-file').toString('utf8')
    : (options.body ?? '');
  const attachments: AttachmentInput[] = options.attach.map((file) => ({
    filename: basename(file),
    contentType: contentTypeOf(file),
    content: new Uint8Array(readArgumentFile(cwd, file, '--attach')),
  }));

  const input = {
    from,
    to: options.to,
    cc: options.cc,
    bcc: options.bcc,
    subject,
    text,
    deleteAfterSubmit: options.deleteAfterSubmit,
    ...(options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey }),
  };
  const profile = await loadCliProfile(context);
  // A running daemon stores it (and starts handing it off at once); without one, a store-only spooler here.
  const body: SubmitBody = {
    ...input,
    attachments: attachments.map(({ content, ...rest }) => ({
      ...rest,
      contentBase64: Buffer.from(content).toString('base64'),
    })),
  };
  const answer =
    (await viaDaemon(profile, (daemon) => daemon.request<SendReport>('POST', '/messages', body))) ??
    (await withSpooler(
      context,
      async (spooler) => {
        const stored = await spooler.submit({ ...input, attachments });
        return {
          ...stored,
          warnings: sendWarnings(spooler.providers(), spooler.profile, recipientsOf(input)),
        };
      },
      profile,
    ));
  // A daemon of an older CLI answers without warnings.
  const result: SendReport = { ...answer, warnings: answer.warnings ?? [] };
  if (options.json) out.json(result);
  else {
    out.line(result.id);
    if (result.duplicate)
      out.warn(`idempotency key already used: nothing stored; ${result.id} is the first message's id`);
  }
  for (const warning of result.warnings) out.warn(sendWarningText(warning));
  return ExitCode.OK;
};

/**
 * One warning line: the recipients, the entry and its coded error, and that the message waits. The message
 * of the error is in `--json` (and, in-process, in the load error logged just before).
 */
export function sendWarningText(warning: SendWarning): string {
  return `${warning.recipients.join(', ')}: provider entry "${warning.entry}" cannot serve ${warning.addressType} (${warning.code}); the message is queued and waits until the entry serves again (\`spool provider doctor\` shows why)`;
}
