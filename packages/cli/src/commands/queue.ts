import type { Command } from '../context.js';
import { ExitCode } from '../errors.js';
import { pendingJson, printPending, redactorOf } from '../messages.js';
import { withMailbox } from '../spooler.js';

/** `spool queue`: every pending recipient with its next attempt, soonest first (the store's `pending()`). */
export const queue: Command = async (context) => {
  const { out, options } = context;
  const rows = await withMailbox(context, async (store, profile) =>
    pendingJson(await store.pending(), redactorOf(profile)),
  );
  if (options.json) out.json(rows);
  else printPending(out, rows, `${rows.length} pending recipient${rows.length === 1 ? '' : 's'}:`);
  return ExitCode.OK;
};
