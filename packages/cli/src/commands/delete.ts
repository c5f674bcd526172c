import type { Command } from '../context.js';
import { ExitCode } from '../errors.js';
import { withMailbox } from '../spooler.js';

/** `spool delete <id>`: deletes a finished or received message for good. */
export const deleteMessage: Command = async (context) => {
  const { args, options, out } = context;
  const id = args[0] ?? '';
  await withMailbox(context, (store) => store.delete(id));
  if (options.json) out.json({ id, deleted: true });
  else out.line(`${out.style.green('deleted')} ${id}`);
  return ExitCode.OK;
};
