import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { InstallTarget } from './install-target.js';
import { type RunResult, runPackageManager, syncArgs } from './package-manager.js';

/** A copy of the files an install changes, taken before it, to roll back to. */
export interface Backup {
  readonly files: ReadonlyMap<string, Buffer | undefined>;
  /** The installed package directory existed before (an update, not a new install). */
  readonly hadPackage: boolean;
  /** The managed directory was created by this install. */
  readonly createdDir: boolean;
}

/** Copies `files` (a missing one is remembered as missing, to be deleted on rollback). */
export async function takeBackup(
  target: InstallTarget,
  files: readonly string[],
  name: string,
  createdDir: boolean,
): Promise<Backup> {
  const saved = new Map<string, Buffer | undefined>();
  for (const file of files) saved.set(file, await readFile(file).catch(() => undefined));
  return { files: saved, hadPackage: existsSync(join(target.dir, 'node_modules', name)), createdDir };
}

/**
 * Restores the backup: files back, the package removed, node_modules re-synced with the restored lockfile.
 * Returns what could not be restored (empty when the rollback is complete); never throws.
 */
export async function rollBack(
  target: InstallTarget,
  backup: Backup,
  name: string,
  env: NodeJS.ProcessEnv,
): Promise<string[]> {
  const problems: string[] = [];
  if (backup.createdDir) {
    await rm(target.dir, { recursive: true, force: true }).catch((error: Error) =>
      problems.push(error.message),
    );
    return problems;
  }
  const restore = async (): Promise<void> => {
    for (const [file, content] of backup.files) {
      try {
        if (content === undefined) await rm(file, { force: true });
        else await writeFile(file, content);
      } catch (error) {
        problems.push(`restoring ${file}: ${(error as Error).message}`);
      }
    }
  };
  await restore();
  await rm(join(target.dir, 'node_modules', name), { recursive: true, force: true }).catch((error: Error) =>
    problems.push(error.message),
  );
  // Bring node_modules back in line with the restored package.json and lockfile (prunes what was added,
  // puts back a previous version on a failed update).
  const hasDependencies = existsSync(join(target.dir, 'package.json'));
  if (hasDependencies) {
    const result = await runPackageManager(target.packageManager, syncArgs(target), target.dir, env).catch(
      (error: Error): RunResult => ({ code: 1, output: error.message }),
    );
    if (result.code !== 0) problems.push(`re-sync failed: ${result.output.slice(-500)}`);
    // The re-sync may have written a lockfile that did not exist, or reformatted one: restore them again.
    await restore();
  }
  return problems;
}
