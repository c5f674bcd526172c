import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { readJson } from './read-json.js';

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

/** The managed directory of `profileDir` as a target: always npm, whatever the profile's project uses. */
export function managedInstallTarget(profileDir: string): InstallTarget {
  const dir = managedProvidersDir(profileDir);
  return {
    mode: 'managed',
    dir,
    packageManager: 'npm',
    lockfile: join(dir, 'package-lock.json'),
    workspaceRoot: false,
  };
}

const LOCKFILES: readonly (readonly [string, PackageManager])[] = [
  ['pnpm-lock.yaml', 'pnpm'],
  ['yarn.lock', 'yarn'],
  ['package-lock.json', 'npm'],
  ['npm-shrinkwrap.json', 'npm'],
];

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

/** Decides where installs for `profileDir` go (see `installProvider`). */
export async function resolveInstallTarget(profileDir: string): Promise<InstallTarget> {
  const project = findProjectDir(profileDir);
  if (project !== undefined)
    return { mode: 'project', dir: project, ...(await detectPackageManager(project)) };
  return managedInstallTarget(profileDir);
}
