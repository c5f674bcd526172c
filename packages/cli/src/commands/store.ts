import { existsSync, rmSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { SpoolError } from '@spool/core';
import type { Command } from '../context.js';
import { CliErrorCode, ExitCode } from '../errors.js';
import { withStore } from '../spooler.js';

const sizeOf = (file: string) => (existsSync(file) ? statSync(file).size : 0);

/** `spool store vacuum`: compacts the store file. */
export const storeVacuum: Command = async (context) => {
  const { out, options } = context;
  const result = await withStore(context, async (store) => {
    const bytesBefore = sizeOf(store.file);
    await store.vacuum();
    return { file: store.file, bytesBefore, bytesAfter: sizeOf(store.file) };
  });
  if (options.json) out.json(result);
  else
    out.line(
      `${out.style.green('vacuumed')} ${result.file} (${result.bytesBefore} → ${result.bytesAfter} bytes)`,
    );
  return ExitCode.OK;
};

/** `spool store backup <file>`: an online, consistent copy of the store (core's `store.backup`). */
export const storeBackup: Command = async (context) => {
  const { args, cwd, out, options } = context;
  const file = resolve(cwd, args[0] ?? '');
  if (existsSync(file)) {
    if (!options.force)
      throw new SpoolError(CliErrorCode.FILE_EXISTS, `${file} exists`, {
        hint: 'Choose another file, or pass --force to replace it.',
        details: { file },
      });
    rmSync(file);
  }
  const result = await withStore(context, async (store) => {
    await store.backup(file);
    return { store: store.file, file, bytes: sizeOf(file) };
  });
  if (options.json) out.json(result);
  else out.line(`${out.style.green('backed up')} ${result.store} to ${result.file} (${result.bytes} bytes)`);
  return ExitCode.OK;
};
