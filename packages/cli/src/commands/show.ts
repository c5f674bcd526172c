import { ErrorCode } from '@spool/core';
import { SpoolError } from '@spool/spi';
import type { Command } from '../context.js';
import { ExitCode } from '../errors.js';
import { formatTime, type MessageJson, messageJson, redactorOf } from '../messages.js';
import type { Output } from '../output.js';
import { table } from '../output.js';
import { withMailbox } from '../spooler.js';

/** The error for an id the store does not have (the same code and fix as the spooler's `get()`). */
export function messageNotFound(id: string): SpoolError {
  return new SpoolError(ErrorCode.MESSAGE_NOT_FOUND, `no message with id ${id}`, {
    hint: 'List messages with `spool list <folder>` to find the id.',
    details: { id },
  });
}

/** `spool show <id>`: one message with its recipients' outcomes and its attachments. */
export const show: Command = async (context) => {
  const { args, options, out } = context;
  const id = args[0] ?? '';
  const message = await withMailbox(context, async (store, profile) => {
    const found = await store.get(id);
    if (!found) throw messageNotFound(id);
    return messageJson(found, redactorOf(profile));
  });
  if (options.json) out.json(message);
  else printMessage(out, message);
  return ExitCode.OK;
};

/** Prints a message for people: the header fields, recipients, attachments, then the text. */
export function printMessage(out: Output, message: MessageJson): void {
  const s = out.style;
  const time = (value: string | null) => formatTime(value === null ? null : Date.parse(value));
  const fields: [string, string][] = [
    ['id', message.id],
    ['message-id', message.messageId],
    ['folder', `${message.folder} (${message.state})`],
    ['class', message.messageClass],
    ['from', message.from ?? '-'],
    ['subject', message.subject],
    ['submitted', time(message.submittedAt)],
    ['finished', time(message.finishedAt)],
  ];
  if (message.deleteAfterSubmit) fields.push(['disposition', 'delete after submit']);
  for (const line of table(fields.map(([key, value]) => [s.bold(`${key}:`), value]))) out.line(line);
  out.line();
  out.line(s.bold(`recipients (${message.recipients.length}):`));
  const outcome = (text: string) =>
    text === 'delivered'
      ? s.green(text)
      : text === 'failed'
        ? s.red(text)
        : text === 'pending'
          ? s.yellow(text)
          : text;
  const recipientRows = message.recipients.map((r) => [
    `  ${r.type}`,
    r.address,
    outcome(r.outcome),
    `attempts ${r.attempts}`,
    r.nextAttemptAt ? `next ${time(r.nextAttemptAt)}` : '',
    r.lastError ?? '',
  ]);
  for (const line of table(recipientRows)) out.line(line);
  if (message.attachments.length > 0) {
    out.line();
    out.line(s.bold(`attachments (${message.attachments.length}):`));
    const rows = message.attachments.map((a) => [`  ${a.filename}`, a.contentType, `${a.size} bytes`]);
    for (const line of table(rows)) out.line(line);
  }
  if (message.text !== null && message.text !== '') {
    out.line();
    out.line(message.text);
  } else if (message.html !== null) {
    out.line();
    out.line(s.dim('(HTML body only; see --json)'));
  }
}
