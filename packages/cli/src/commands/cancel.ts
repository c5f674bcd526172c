import type { Command } from '../context.js';
import { ExitCode } from '../errors.js';
import { messageJson, outcomeSummary, redactorOf } from '../messages.js';
import { withSpooler } from '../spooler.js';

/**
 * `spool cancel <id>`: cancels a queued message through the spooler, which also tells the logons that
 * deferred it (abort-deferred). Delivered recipients stay delivered; the message goes to Deleted.
 */
export const cancel: Command = async (context) => {
  const { args, options, out } = context;
  const id = args[0] ?? '';
  const { message, json } = await withSpooler(context, async (spooler, profile) => {
    const cancelled = await spooler.cancel(id);
    return { message: cancelled, json: messageJson(cancelled, redactorOf(profile)) };
  });
  if (options.json) out.json(json);
  else
    out.line(
      `${out.style.green('cancelled')} ${message.id} (${outcomeSummary(message)}); it is in ${message.folder}`,
    );
  return ExitCode.OK;
};
