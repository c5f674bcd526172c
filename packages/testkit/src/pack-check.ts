import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { type ProviderMeta, SpoolError } from '@spool/spi';
import { TestkitErrorCode, usageError } from './errors.js';
import { importThroughLoader, initProvider, memoryLogger } from './target.js';

const run = promisify(execFile);

/** Options of {@link packCheck}. */
export interface PackCheckOptions {
  /**
   * How the tarball's run-time dependencies get into the scratch project:
   * - `link` (offline): each dependency is linked from where the provider's own folder resolves it (its
   *   `node_modules` or a parent's). A dependency used by the code but not declared in `dependencies` is not
   *   linked, so the load fails just as it would after a real install.
   * - `npm`: `npm install <tarball> --offline`, and when npm's cache lacks something, again with the registry.
   * - `auto` (default): `link` when every dependency resolves from the provider's folder, else `npm`.
   */
  readonly install?: 'auto' | 'link' | 'npm';
  /** `pnpm` (default inside a pnpm workspace: it rewrites `workspace:` ranges) or `npm`. */
  readonly packer?: 'pnpm' | 'npm';
  /** Environment for the pack and install commands (e.g. a registry's npm config). */
  readonly env?: NodeJS.ProcessEnv;
  /** Keep the scratch folder (its path is in the report) instead of removing it. */
  readonly keep?: boolean;
}

/** What {@link packCheck} found. */
export interface PackCheckReport {
  readonly name: string;
  readonly version: string;
  /** The files in the tarball, relative to the package root. */
  readonly files: readonly string[];
  /** How the dependencies were installed. */
  readonly install: 'link' | 'npm-offline' | 'npm';
  /** The runtime meta of the provider loaded from the installed tarball. */
  readonly meta: ProviderMeta;
  /** The scratch project (removed unless `keep`). */
  readonly scratchDir: string;
}

function packCheckError(
  name: string,
  what: string,
  hint: string,
  details: Record<string, unknown>,
  cause?: unknown,
): SpoolError {
  return new SpoolError(TestkitErrorCode.PACK_CHECK, `pack check of ${name}: ${what}`, {
    hint,
    details: { provider: name, ...details },
    ...(cause === undefined ? {} : { cause }),
  });
}

function insidePnpmWorkspace(dir: string): boolean {
  for (let current = resolve(dir); ; current = dirname(current)) {
    if (existsSync(join(current, 'pnpm-workspace.yaml'))) return true;
    if (dirname(current) === current) return false;
  }
}

/** Where the provider's own folder resolves a dependency (Node's walk up through node_modules). */
function locateFrom(packageDir: string, dependency: string): string | undefined {
  for (let current = resolve(packageDir); ; current = dirname(current)) {
    const candidate = join(current, 'node_modules', dependency);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(current) === current) return undefined;
  }
}

async function pack(
  packageDir: string,
  destination: string,
  packer: 'pnpm' | 'npm',
  env: NodeJS.ProcessEnv,
): Promise<string> {
  if (packer === 'pnpm') {
    const { stdout } = await run('pnpm', ['pack', '--pack-destination', destination], {
      cwd: packageDir,
      env,
    });
    const line = stdout
      .trim()
      .split('\n')
      .filter((l) => l.trim().endsWith('.tgz'))
      .at(-1)
      ?.trim();
    if (!line) throw new Error(`pnpm pack printed no tarball path:\n${stdout}`);
    return resolve(packageDir, line);
  }
  const { stdout } = await run(
    'npm',
    ['pack', '--json', '--pack-destination', destination, '--ignore-scripts'],
    { cwd: packageDir, env },
  );
  const [entry] = JSON.parse(stdout) as { filename: string }[];
  return join(destination, entry!.filename.replace(/^@/, '').replace(/\//, '-'));
}

/**
 * Packs the provider the way it would be published (`pnpm pack` / `npm pack`), installs the tarball into a
 * scratch project, and loads it through the real loader (`@spool/core`: manifest, SPI negotiation, import,
 * `xpProviderInit`, meta check). Catches what tests on the source folder cannot: `files` leaving out `dist`,
 * wrong `exports`/`spool.entry`, a dependency kept in devDependencies, ESM/CJS mistakes. Build first.
 * Throws `SPOOL_E_PACK_CHECK` with the loader's own code in `details.loaderCode` and the packed file list.
 */
export async function packCheck(
  packageDir: string,
  options: PackCheckOptions = {},
): Promise<PackCheckReport> {
  const dir = resolve(packageDir);
  if (!existsSync(join(dir, 'package.json'))) {
    throw usageError(`packCheck: ${dir} has no package.json`, 'Pass the provider package folder.');
  }
  const source = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { name?: string };
  const name = String(source.name ?? dir);
  const env = { ...process.env, ...options.env };
  const scratch = await mkdtemp(join(tmpdir(), 'spool-pack-check-'));
  try {
    const packer = options.packer ?? (insidePnpmWorkspace(dir) ? 'pnpm' : 'npm');
    let tarball: string;
    try {
      tarball = await pack(dir, scratch, packer, env);
    } catch (error) {
      throw packCheckError(
        name,
        `${packer} pack failed: ${(error as { stderr?: string }).stderr || (error as Error).message}`,
        'Fix package.json so the package packs (run the same command by hand to see why).',
        { packer },
        error,
      );
    }
    const extracted = join(scratch, 'extracted');
    await mkdir(extracted, { recursive: true });
    await run('tar', ['-xzf', tarball, '-C', extracted]);
    const { stdout: listing } = await run('tar', ['-tzf', tarball]);
    const files = listing
      .split('\n')
      .filter(Boolean)
      .map((f) => f.replace(/^package\//, ''))
      .sort();
    const packed = JSON.parse(await readFile(join(extracted, 'package', 'package.json'), 'utf8')) as {
      name: string;
      version: string;
      dependencies?: Record<string, string>;
    };

    const project = join(scratch, 'project');
    await mkdir(join(project, 'node_modules'), { recursive: true });
    await writeFile(
      join(project, 'package.json'),
      `${JSON.stringify({ name: 'spool-pack-check', private: true, version: '0.0.0' }, null, 2)}\n`,
    );

    const dependencies = Object.keys(packed.dependencies ?? {});
    const located = new Map(dependencies.map((d) => [d, locateFrom(dir, d)] as const));
    const mode = options.install ?? 'auto';
    const linkable = [...located.values()].every((where) => where !== undefined);
    if (mode === 'link' && !linkable) {
      const missing = dependencies.filter((d) => located.get(d) === undefined);
      throw packCheckError(
        name,
        `dependencies ${missing.join(', ')} do not resolve from ${dir}`,
        'Install the provider\'s dependencies first (pnpm install), or use install: "npm".',
        { missing },
      );
    }
    let install: PackCheckReport['install'];
    if (mode === 'link' || (mode === 'auto' && linkable)) {
      install = 'link';
      const target = join(project, 'node_modules', packed.name);
      await mkdir(dirname(target), { recursive: true });
      await cp(join(extracted, 'package'), target, { recursive: true });
      for (const [dependency, where] of located) {
        const link = join(project, 'node_modules', dependency);
        await mkdir(dirname(link), { recursive: true });
        await symlink(await realpath(where!), link, 'junction');
      }
    } else {
      const args = ['install', tarball, '--ignore-scripts', '--no-audit', '--no-fund', '--no-package-lock'];
      try {
        await run('npm', [...args, '--offline'], { cwd: project, env });
        install = 'npm-offline';
      } catch {
        try {
          await run('npm', [...args, '--prefer-offline'], { cwd: project, env });
          install = 'npm';
        } catch (error) {
          throw packCheckError(
            name,
            `npm install of the tarball failed: ${(error as { stderr?: string }).stderr || (error as Error).message}`,
            'Check the dependencies in package.json (every one must exist in the registry; no workspace: ranges left).',
            {},
            error,
          );
        }
      }
    }

    try {
      const imported = await importThroughLoader(packed.name, project);
      const provider = await initProvider(imported, memoryLogger(), 'pack-check');
      await provider.shutdown({ reason: 'dispose' });
      return {
        name: packed.name,
        version: packed.version,
        files,
        install,
        meta: provider.meta,
        scratchDir: scratch,
      };
    } catch (error) {
      const loaderCode = (error as { code?: unknown }).code;
      const fix =
        loaderCode === 'SPOOL_E_NO_ENTRY'
          ? 'The entry module is not in the tarball: build before packing, and make sure "files" in package.json includes the folder of "spool.entry" (usually dist).'
          : loaderCode === 'SPOOL_E_IMPORT_FAILED'
            ? 'The installed package does not import: a module it needs is missing from the tarball or from "dependencies" (devDependencies are not installed for users), or it mixes ESM and CommonJS ("type", file extensions).'
            : "Load the tarball by hand to see more; the loader's error is attached as the cause.";
      throw packCheckError(
        name,
        `the packed tarball (${files.length} files: ${files.join(', ')}) did not load through the real loader: ${(error as Error).message}`,
        fix,
        { loaderCode, files, install },
        error,
      );
    }
  } finally {
    if (!options.keep) await rm(scratch, { recursive: true, force: true });
  }
}
