import { existsSync, rmSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { StoreAdmin } from '@spool/core';
import { SpoolError } from '@spool/spi';
import type { Command } from '../context.js';
import { CliErrorCode, ExitCode } from '../errors.js';
import { storeLabel } from '../messages.js';
import { withMailbox } from '../spooler.js';

const sizeOf = (file: string) => (existsSync(file) ? statSync(file).size : 0);

/** The store's maintenance operations, or a coded error for a store that has none. */
function adminOf(store: { readonly description: string; readonly admin?: StoreAdmin }): StoreAdmin {
  if (store.admin) return store.admin;
  throw new SpoolError(
    CliErrorCode.STORE_NO_ADMIN,
    `the store (${store.description}) has no vacuum or backup of its own`,
    {
      hint: "Use the database's own tools (for PostgreSQL: VACUUM and pg_dump).",
      details: { store: store.description },
    },
  );
}

/** `spool store vacuum`: compacts the store file. */
export const storeVacuum: Command = async (context) => {
  const { out, options } = context;
  const result = await withMailbox(context, async (store, profile) => {
    const admin = adminOf(store);
    const file = storeLabel(profile);
    const bytesBefore = sizeOf(file);
    await admin.vacuum();
    return { file, bytesBefore, bytesAfter: sizeOf(file) };
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
  const result = await withMailbox(context, async (store, profile) => {
    await adminOf(store).backup(file);
    return { store: storeLabel(profile), file, bytes: sizeOf(file) };
  });
  if (options.json) out.json(result);
  else out.line(`${out.style.green('backed up')} ${result.store} to ${result.file} (${result.bytes} bytes)`);
  return ExitCode.OK;
};
