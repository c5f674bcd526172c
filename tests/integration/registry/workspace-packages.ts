/**
 * Publishes this repository's own packages (as built in the working tree) to a test registry, the way pnpm
 * would pack them: only `package.json`, the README and the `files` entries, with every `workspace:` range
 * replaced by the version it points at. Each version is published only when the registry lacks it, so test
 * files sharing the run's registry can all call it.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Registry } from './verdaccio.js';

/** The repository root (this file is tests/integration/registry/workspace-packages.ts). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The published packages by name → folder, in dependency order (what `@spool/cli` needs, and itself). */
export const WORKSPACE_PACKAGES: Readonly<Record<string, string>> = {
  '@spool/spi': 'packages/spi',
  '@spool/core': 'packages/core',
  '@spool/provider-loopback': 'providers/loopback',
  '@spool/provider-smtp': 'providers/smtp',
  '@spool/provider-fax-sim': 'providers/fax-sim',
  '@spool/cli': 'packages/cli',
};

type Manifest = Record<string, unknown> & { name: string; version: string; files?: string[] };

function manifestOf(folder: string): Manifest {
  return JSON.parse(readFileSync(join(REPO_ROOT, folder, 'package.json'), 'utf8')) as Manifest;
}

/** `workspace:^` → `^1.2.3`, `workspace:~` → `~1.2.3`, `workspace:*` → `1.2.3`, `workspace:^1.0.0` → `^1.0.0`. */
function resolveWorkspaceRange(range: string, version: string): string {
  const rest = range.slice('workspace:'.length);
  if (rest === '*' || rest === '') return version;
  if (rest === '^' || rest === '~') return `${rest}${version}`;
  return rest;
}

/** Writes the publishable form of one workspace package into `stage` and returns `stage`. */
export function stageWorkspacePackage(name: string, stage: string): string {
  const folder = WORKSPACE_PACKAGES[name];
  if (folder === undefined)
    throw new Error(`${name} is not one of ${Object.keys(WORKSPACE_PACKAGES).join(', ')}`);
  const source = join(REPO_ROOT, folder);
  const manifest = manifestOf(folder);
  mkdirSync(stage, { recursive: true });
  for (const entry of [...(manifest.files ?? []), 'README.md', 'LICENSE']) {
    if (existsSync(join(source, entry))) cpSync(join(source, entry), join(stage, entry), { recursive: true });
  }
  if (manifest.files?.includes('dist') && !existsSync(join(source, 'dist')))
    throw new Error(`${name} is not built (${join(source, 'dist')} is missing): run pnpm build first`);
  const published: Manifest = { ...manifest };
  delete published.devDependencies;
  delete published.scripts;
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
    const deps = published[field] as Record<string, string> | undefined;
    if (deps === undefined) continue;
    published[field] = Object.fromEntries(
      Object.entries(deps).map(([dep, range]) => {
        if (!range.startsWith('workspace:')) return [dep, range];
        const depFolder = WORKSPACE_PACKAGES[dep];
        if (depFolder === undefined)
          throw new Error(`${name} depends on ${dep} (${range}), which is not in WORKSPACE_PACKAGES`);
        return [dep, resolveWorkspaceRange(range, manifestOf(depFolder).version)];
      }),
    );
  }
  writeFileSync(join(stage, 'package.json'), `${JSON.stringify(published, null, 2)}\n`);
  return stage;
}

async function published(registryUrl: string, name: string, version: string): Promise<boolean> {
  const response = await fetch(new URL(`${name.replace('/', '%2f')}/${version}`, registryUrl));
  await response.body?.cancel();
  return response.status === 200;
}

/**
 * Publishes `names` (default: every {@link WORKSPACE_PACKAGES} entry) to `registry`, staged under `work`.
 * Resolves to the name → version map of what the registry now holds.
 */
export async function publishWorkspacePackages(
  registry: Pick<Registry, 'url' | 'publish'>,
  work: string,
  names: readonly string[] = Object.keys(WORKSPACE_PACKAGES),
): Promise<Record<string, string>> {
  const versions: Record<string, string> = {};
  for (const name of names) {
    const { version } = manifestOf(WORKSPACE_PACKAGES[name]!);
    versions[name] = version;
    if (await published(registry.url, name, version)) continue;
    const stage = stageWorkspacePackage(name, join(work, 'workspace-packages', name.replace('/', '__')));
    try {
      await registry.publish(stage);
    } catch (error) {
      // Another test file may have published it between the check and the publish.
      if (!(await published(registry.url, name, version))) throw error;
    }
  }
  return versions;
}
