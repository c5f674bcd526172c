import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { SpoolError } from '@spool/spi';
import { InstallErrorCode } from './errors.js';

/** Where a provider goes: into the profile's own project, or into the managed directory beside the profile. */
export type InstallMode = 'project' | 'managed';

/** A package manager spool can drive. */
export type PackageManager = 'npm' | 'pnpm' | 'yarn';

/** The managed install directory of a profile: `<profileDir>/.spool/providers` (the loader searches its node_modules). */
export function managedProvidersDir(profileDir: string): string {
  return join(resolve(profileDir), '.spool', 'providers');
}

/** Where installs for `profileDir` go, and with which package manager. */
export interface InstallTarget {
  readonly mode: InstallMode;
  /** The directory holding the package.json the dependency is recorded in. */
  readonly dir: string;
  readonly packageManager: PackageManager;
  /** The lockfile the package manager will write (may not exist yet). */
  readonly lockfile: string | undefined;
  /** True when `dir` is a pnpm workspace root (needs `-w`). */
  readonly workspaceRoot: boolean;
}

const LOCKFILES: readonly (readonly [string, PackageManager])[] = [
  ['pnpm-lock.yaml', 'pnpm'],
  ['yarn.lock', 'yarn'],
  ['package-lock.json', 'npm'],
  ['npm-shrinkwrap.json', 'npm'],
];

async function readJson(file: string): Promise<Record<string, unknown> | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/**
 * The project `profileDir` sits in: the nearest directory at or above it with a package.json, stopping
 * before the home directory and the filesystem root (a stray ~/package.json does not make a project).
 */
export function findProjectDir(profileDir: string): string | undefined {
  const home = resolve(homedir());
  let dir = resolve(profileDir);
  for (;;) {
    if (dir === home) return undefined;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = parent;
  }
}

/** Detects the package manager of the project in `projectDir` from `packageManager` or a lockfile (walking up). */
export async function detectPackageManager(
  projectDir: string,
): Promise<{ packageManager: PackageManager; lockfile: string | undefined; workspaceRoot: boolean }> {
  const workspaceRoot = existsSync(join(projectDir, 'pnpm-workspace.yaml'));
  let dir = projectDir;
  let declared: PackageManager | undefined;
  for (;;) {
    const pkg = await readJson(join(dir, 'package.json'));
    const field = typeof pkg?.packageManager === 'string' ? pkg.packageManager.split('@')[0] : undefined;
    if (declared === undefined && (field === 'npm' || field === 'pnpm' || field === 'yarn')) declared = field;
    for (const [file, manager] of LOCKFILES) {
      if ((declared === undefined || declared === manager) && existsSync(join(dir, file))) {
        return { packageManager: manager, lockfile: join(dir, file), workspaceRoot };
      }
    }
    if (declared !== undefined && existsSync(join(dir, 'pnpm-workspace.yaml'))) break;
    const parent = dirname(dir);
    if (parent === dir || dir === resolve(homedir())) break;
    dir = parent;
  }
  const manager = declared ?? 'npm';
  const lockfileName = LOCKFILES.find(([, m]) => m === manager)![0];
  return { packageManager: manager, lockfile: join(projectDir, lockfileName), workspaceRoot };
}

/** Decides where installs for `profileDir` go (see {@link installProvider}). */
export async function resolveInstallTarget(profileDir: string): Promise<InstallTarget> {
  const project = findProjectDir(profileDir);
  if (project !== undefined)
    return { mode: 'project', dir: project, ...(await detectPackageManager(project)) };
  const dir = managedProvidersDir(profileDir);
  return {
    mode: 'managed',
    dir,
    packageManager: 'npm',
    lockfile: join(dir, 'package-lock.json'),
    workspaceRoot: false,
  };
}

/** The result of running a package manager. */
interface RunResult {
  readonly code: number;
  readonly output: string;
}

/** Runs a package manager with no stdin, no prompts (`CI=true`), collecting its output. */
function run(
  command: string,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: {
        ...env,
        CI: 'true',
        npm_config_yes: 'true',
        npm_config_fund: 'false',
        npm_config_audit: 'false',
        npm_config_update_notifier: 'false',
        YARN_ENABLE_IMMUTABLE_INSTALLS: 'false',
        YARN_ENABLE_INTERACTIVE: 'false',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-20_000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', (error) => {
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
      reject(
        new SpoolError(
          InstallErrorCode.INSTALL_FAILED,
          missing ? `${command} is not on PATH.` : `Could not run ${command}: ${error.message}`,
          {
            hint: missing
              ? `Install ${command} (or enable it with corepack enable) and try again.`
              : undefined,
            cause: error,
            details: { command, args, cwd },
          },
        ),
      );
    });
    child.once('close', (code) => resolvePromise({ code: code ?? 1, output }));
  });
}

function addArgs(target: InstallTarget, spec: string, name: string, allowScripts: boolean): string[] {
  switch (target.packageManager) {
    case 'npm':
      return [
        'install',
        '--save-exact',
        '--no-audit',
        '--no-fund',
        ...(allowScripts ? [] : ['--ignore-scripts']),
        spec,
      ];
    case 'pnpm':
      return [
        'add',
        '--save-exact',
        ...(target.workspaceRoot ? ['--workspace-root'] : []),
        // pnpm 10 runs no dependency build scripts unless allowed by name.
        ...(allowScripts ? [`--allow-build=${name}`] : ['--ignore-scripts']),
        spec,
      ];
    case 'yarn':
      return ['add', '--exact', ...(allowScripts ? [] : ['--mode=skip-build']), spec];
  }
}

function removeArgs(target: InstallTarget, name: string): string[] {
  switch (target.packageManager) {
    case 'npm':
      return ['uninstall', '--no-audit', '--no-fund', '--ignore-scripts', name];
    case 'pnpm':
      return ['remove', ...(target.workspaceRoot ? ['--workspace-root'] : []), name];
    case 'yarn':
      return ['remove', name];
  }
}

function syncArgs(target: InstallTarget): string[] {
  switch (target.packageManager) {
    case 'npm':
      return ['install', '--no-audit', '--no-fund', '--ignore-scripts'];
    case 'pnpm':
      return ['install', '--ignore-scripts'];
    case 'yarn':
      return ['install', '--mode=skip-build'];
  }
}

/** A copy of the files an install changes, taken before it, to roll back to. */
interface Backup {
  readonly files: ReadonlyMap<string, Buffer | undefined>;
  /** The installed package directory existed before (an update, not a new install). */
  readonly hadPackage: boolean;
  /** The managed directory was created by this install. */
  readonly createdDir: boolean;
}

async function takeBackup(
  target: InstallTarget,
  files: readonly string[],
  name: string,
  createdDir: boolean,
): Promise<Backup> {
  const saved = new Map<string, Buffer | undefined>();
  for (const file of files) saved.set(file, await readFile(file).catch(() => undefined));
  return { files: saved, hadPackage: existsSync(join(target.dir, 'node_modules', name)), createdDir };
}

/** Restores the backup: files back, the package removed, node_modules re-synced with the restored lockfile. */
async function rollBack(
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
    const result = await run(target.packageManager, syncArgs(target), target.dir, env).catch(
      (error: Error): RunResult => ({ code: 1, output: error.message }),
    );
    if (result.code !== 0) problems.push(`re-sync failed: ${result.output.slice(-500)}`);
    // The re-sync may have written a lockfile that did not exist, or reformatted one: restore them again.
    await restore();
  }
  return problems;
}

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
 * - otherwise into the managed directory {@link managedProvidersDir} with npm.
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
    result = await run(
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

/** The installed version of `name` for the profile, and where (project first, then the managed directory). */
export async function findInstalledProvider(
  name: string,
  profileDir: string,
): Promise<{ target: InstallTarget; version: string; packageDir: string } | undefined> {
  const project = await resolveInstallTarget(profileDir);
  const managedDir = managedProvidersDir(profileDir);
  const targets: InstallTarget[] = [project];
  if (project.mode === 'project') {
    targets.push({
      mode: 'managed',
      dir: managedDir,
      packageManager: 'npm',
      lockfile: join(managedDir, 'package-lock.json'),
      workspaceRoot: false,
    });
  }
  for (const target of targets) {
    const pkg = await readJson(join(target.dir, 'package.json'));
    const deps = {
      ...(pkg?.dependencies as Record<string, string> | undefined),
      ...(pkg?.devDependencies as Record<string, string> | undefined),
    };
    if (deps[name] === undefined) continue;
    const packageDir = join(target.dir, 'node_modules', name);
    const installed = await readJson(join(packageDir, 'package.json'));
    return {
      target,
      version: typeof installed?.version === 'string' ? installed.version : deps[name],
      packageDir,
    };
  }
  return undefined;
}

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
  const result = await run(
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
