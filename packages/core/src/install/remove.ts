import { SpoolError } from '@spool/spi';
import { InstallErrorCode } from './errors.js';
import { findInstalledProvider } from './find-installed.js';
import type { InstallMode } from './install-target.js';
import { removeArgs, runPackageManager } from './package-manager.js';

/** Options of {@link removeProvider}. */
export interface RemoveOptions {
  readonly name: string;
  readonly profileDir: string;
  readonly env?: NodeJS.ProcessEnv;
}

/** Uninstalls a provider installed for the profile (from its project or the managed directory). */
export async function removeProvider(
  options: RemoveOptions,
): Promise<{ mode: InstallMode; dir: string; version: string }> {
  const found = await findInstalledProvider(options.name, options.profileDir);
  if (found === undefined) {
    throw new SpoolError(
      InstallErrorCode.NOT_INSTALLED,
      `${options.name} is not installed for the profile in ${options.profileDir}.`,
      {
        hint: 'spool provider list shows what is installed.',
        details: { name: options.name, profileDir: options.profileDir },
      },
    );
  }
  const { target } = found;
  const result = await runPackageManager(
    target.packageManager,
    removeArgs(target, options.name),
    target.dir,
    options.env ?? process.env,
  );
  if (result.code !== 0) {
    throw new SpoolError(
      InstallErrorCode.INSTALL_FAILED,
      `${target.packageManager} failed (exit ${result.code}) removing ${options.name} from ${target.dir}.`,
      {
        details: { name: options.name, dir: target.dir, output: result.output },
      },
    );
  }
  return { mode: target.mode, dir: target.dir, version: found.version };
}
