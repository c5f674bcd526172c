import { normalizeFolder } from '@spool/core';
import type { Command } from '../context.js';
import { ExitCode } from '../errors.js';
import { withMailbox } from '../spooler.js';

/** `spool move <id> <folder>`: files a finished or received message in another folder. */
export const move: Command = async (context) => {
  const { args, options, out } = context;
  const id = args[0] ?? '';
  const folder = normalizeFolder(args[1] ?? '');
  await withMailbox(context, (store) => store.move(id, folder));
  if (options.json) out.json({ id, folder });
  else out.line(`${out.style.green('moved')} ${id} to ${folder}`);
  return ExitCode.OK;
};
