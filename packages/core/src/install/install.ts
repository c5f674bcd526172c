import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { SpoolError } from '@spool/spi';
import { InstallErrorCode } from './errors.js';
import { type InstallMode, type PackageManager, resolveInstallTarget } from './install-target.js';
import { addArgs, type RunResult, runPackageManager } from './package-manager.js';
import { readJson } from './read-json.js';
import { rollBack, takeBackup } from './rollback.js';

/** A provider version chosen by `planProviderInstall` (only these fields are needed). */
export interface InstallablePlan {
  readonly name: string;
  readonly version: string;
}

/** Options of {@link installProvider}. */
export interface InstallOptions {
  readonly plan: InstallablePlan;
  /** The profile's directory: decides project vs managed install. */
  readonly profileDir: string;
  /** Run the package's install scripts. Default false. */
  readonly allowScripts?: boolean;
  /** Loads the installed package through the real loader; a throw rolls the install back. */
  readonly verify?: (packageDir: string) => unknown;
  /** Environment of the package manager; default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
}

/** What {@link installProvider} did. */
export interface InstallResult {
  readonly mode: InstallMode;
  /** The directory whose package.json records the dependency. */
  readonly dir: string;
  /** The installed package's directory (`<dir>/node_modules/<name>`). */
  readonly packageDir: string;
  readonly version: string;
  readonly packageManager: PackageManager;
}

/**
 * Installs exactly `plan.version` of `plan.name` for the profile in `profileDir`:
 * - when the profile sits in a package (a package.json at or above it, below the home directory), into that
 *   project with its own package manager (pnpm / yarn / npm, from `packageManager` or the lockfile);
 * - otherwise into the managed directory (`managedProvidersDir`) with npm.
 * The dependency is recorded as an exact version; install scripts run only with `allowScripts`; nothing
 * prompts. Then `verify(packageDir)` runs; if it (or the install) fails, package.json and the lockfile are
 * restored from a backup taken before, what was added is removed, and the error is rethrown with context.
 */
export async function installProvider(options: InstallOptions): Promise<InstallResult> {
  const { plan } = options;
  const env = options.env ?? process.env;
  const target = await resolveInstallTarget(options.profileDir);
  const packageJson = join(target.dir, 'package.json');
  const createdDir = target.mode === 'managed' && !existsSync(target.dir);
  if (target.mode === 'managed' && !existsSync(packageJson)) {
    await mkdir(target.dir, { recursive: true });
  }
  const backupFiles = [packageJson, ...(target.lockfile === undefined ? [] : [target.lockfile])];
  if (target.packageManager === 'pnpm' && options.allowScripts) {
    // `--allow-build` records the package in the workspace settings; restore them too.
    backupFiles.push(
      join(
        target.workspaceRoot ? target.dir : dirname(target.lockfile ?? packageJson),
        'pnpm-workspace.yaml',
      ),
    );
  }
  const backup = await takeBackup(target, backupFiles, plan.name, createdDir);
  if (target.mode === 'managed' && !existsSync(packageJson)) {
    await writeFile(
      packageJson,
      `${JSON.stringify(
        {
          name: 'spool-managed-providers',
          private: true,
          description: 'Transport providers installed by `spool provider add` for the profile in ../..',
          dependencies: {},
        },
        null,
        2,
      )}\n`,
    );
  }

  const spec = `${plan.name}@${plan.version}`;
  const packageDir = join(target.dir, 'node_modules', plan.name);
  const fail = async (code: string, message: string, cause: unknown, extra: Record<string, unknown> = {}) => {
    const problems = await rollBack(target, backup, plan.name, env);
    return new SpoolError(
      code,
      `${message}${problems.length === 0 ? ' The install was rolled back.' : ` Rollback was incomplete: ${problems.join('; ')}`}`,
      {
        cause,
        hint: extra.hint as string | undefined,
        details: {
          name: plan.name,
          version: plan.version,
          mode: target.mode,
          dir: target.dir,
          rollbackProblems: problems,
          ...extra,
        },
      },
    );
  };

  let result: RunResult;
  try {
    result = await runPackageManager(
      target.packageManager,
      addArgs(target, spec, plan.name, options.allowScripts ?? false),
      target.dir,
      env,
    );
  } catch (error) {
    throw await fail(InstallErrorCode.INSTALL_FAILED, `Could not install ${spec} into ${target.dir}.`, error);
  }
  if (result.code !== 0) {
    throw await fail(
      InstallErrorCode.INSTALL_FAILED,
      `${target.packageManager} failed (exit ${result.code}) installing ${spec} into ${target.dir}:\n${result.output.trim().split('\n').slice(-15).join('\n')}\n`,
      undefined,
      {
        output: result.output,
        hint: `Run \`${target.packageManager} ${addArgs(target, spec, plan.name, options.allowScripts ?? false).join(' ')}\` in ${target.dir} to see the full output.`,
      },
    );
  }

  const installed = await readJson(join(packageDir, 'package.json'));
  if (installed?.version !== plan.version) {
    throw await fail(
      InstallErrorCode.INSTALL_FAILED,
      `${target.packageManager} reported success but ${packageDir} holds ${installed === undefined ? 'nothing' : `version ${String(installed.version)}`}, not ${plan.version}.`,
      undefined,
      { hint: "Yarn Plug'n'Play is not supported: set nodeLinker: node-modules in .yarnrc.yml." },
    );
  }

  if (options.verify !== undefined) {
    try {
      await options.verify(packageDir);
    } catch (error) {
      const causeCode = (error as { code?: unknown }).code;
      throw await fail(
        InstallErrorCode.VERIFY_FAILED,
        `${spec} installed into ${target.dir} but did not load: ${(error as Error).message ?? String(error)}.`,
        error,
        {
          causeCode: typeof causeCode === 'string' ? causeCode : undefined,
          hint:
            (error as { hint?: unknown }).hint ??
            "Report it to the provider's authors, or pick another version.",
        },
      );
    }
  }
  return {
    mode: target.mode,
    dir: target.dir,
    packageDir,
    version: plan.version,
    packageManager: target.packageManager,
  };
}
