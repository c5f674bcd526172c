import { normalizeFolder } from '@spool/core';
import type { Command } from '../context.js';
import { ExitCode, usageError } from '../errors.js';
import { clip, formatTime, messageJson, outcomeSummary, redactorOf } from '../messages.js';
import { table } from '../output.js';
import { withMailbox } from '../spooler.js';

/** How many messages `spool list` shows without --limit. */
export const DEFAULT_LIST_LIMIT = 100;

/** `spool list <folder>`: the messages of a folder, oldest first; folder names are case-insensitive. */
export const list: Command = async (context) => {
  const { args, options, out } = context;
  const folder = normalizeFolder(args[0] ?? '');
  let limit = DEFAULT_LIST_LIMIT;
  if (options.limit !== undefined) {
    limit = Number(options.limit);
    if (!/^\d+$/.test(options.limit) || limit < 1)
      throw usageError(`--limit must be a whole number of at least 1, got ${JSON.stringify(options.limit)}`);
  }
  const { messages, redact } = await withMailbox(context, async (store, profile) => ({
    messages: await store.list(folder, { limit }),
    redact: redactorOf(profile),
  }));
  if (options.json) {
    out.json(messages.map((message) => messageJson(message, redact)));
    return ExitCode.OK;
  }
  if (messages.length === 0) {
    out.line(`${folder} is empty`);
    return ExitCode.OK;
  }
  const s = out.style;
  const lines = table([
    ['ID', 'CLASS', 'FROM', 'TO', 'SUBJECT', 'STATE', 'OUTCOMES', 'TIME'].map((h) => s.bold(h)),
    ...messages.map((message) => {
      const [first] = message.recipients;
      const more = message.recipients.length > 1 ? ` +${message.recipients.length - 1}` : '';
      return [
        message.id,
        message.messageClass,
        message.from ?? '-',
        first ? `${first.address}${more}` : '-',
        clip(message.subject, 40),
        message.state,
        message.state === 'received' ? '-' : outcomeSummary(message),
        formatTime(message.finishedAt ?? message.submittedAt),
      ];
    }),
  ]);
  for (const line of lines) out.line(line);
  if (messages.length === limit)
    out.line(s.dim(`(the first ${limit} messages of ${folder}; pass --limit to see more)`));
  return ExitCode.OK;
};
