/**
 * A throw-away copy of this repository's publishable packages as a git workspace of their own, so a test can
 * run the real release flow (`changeset version`, `changeset publish`) on it without touching the working
 * tree: each package's package.json (scripts dropped), README and `files` (built output), the pnpm workspace
 * file and the changesets config — and no pending changesets, so the test decides what gets released.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../registry/workspace-packages.js';

const run = promisify(execFile);

/** Every package this repository publishes: name → folder. */
export const PUBLISHED_PACKAGES: Readonly<Record<string, string>> = {
  '@spool/spi': 'packages/spi',
  '@spool/core': 'packages/core',
  '@spool/cli': 'packages/cli',
  '@spool/testkit': 'packages/testkit',
  'create-spool-provider': 'packages/create-spool-provider',
  '@spool/provider-loopback': 'providers/loopback',
  '@spool/provider-smtp': 'providers/smtp',
  '@spool/provider-fax-sim': 'providers/fax-sim',
};

/** The changesets CLI of this repository (root devDependency). */
export const CHANGESET_BIN = createRequire(join(REPO_ROOT, 'package.json')).resolve('@changesets/cli/bin.js');

type Manifest = Record<string, unknown> & { name: string; version: string; files?: string[] };

/** A workspace copy and the commands the release flow runs in it. */
export interface Sandbox {
  readonly dir: string;
  /** Name → version, as the sandbox's package.json files say now. */
  versions(): Record<string, string>;
  /** The package.json of one package. */
  manifest(name: string): Manifest;
  /** Path of a file inside one package's folder. */
  fileOf(name: string, path: string): string;
  /** Writes `.changeset/<id>.md` bumping `releases` with `summary`. */
  addChangeset(
    id: string,
    releases: Readonly<Record<string, 'patch' | 'minor' | 'major'>>,
    summary: string,
  ): void;
  /** Runs `changeset <args>` in the sandbox. */
  changeset(args: readonly string[], env?: NodeJS.ProcessEnv): Promise<{ stdout: string; stderr: string }>;
  /** Commits everything (changesets reads git for what changed and tags what it published). */
  commit(message: string): Promise<void>;
}

const GIT_ENV = {
  GIT_AUTHOR_NAME: 'spool test',
  GIT_AUTHOR_EMAIL: 'test@example.invalid',
  GIT_COMMITTER_NAME: 'spool test',
  GIT_COMMITTER_EMAIL: 'test@example.invalid',
};

/** Copies the publishable packages (built) into `dir` and makes it a git repository with one commit. */
export async function createSandbox(dir: string): Promise<Sandbox> {
  mkdirSync(join(dir, '.changeset'), { recursive: true });
  const root = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: 'spool-release-sandbox', private: true, packageManager: root.packageManager }, null, 2)}\n`,
  );
  cpSync(join(REPO_ROOT, 'pnpm-workspace.yaml'), join(dir, 'pnpm-workspace.yaml'));
  cpSync(join(REPO_ROOT, '.changeset', 'config.json'), join(dir, '.changeset', 'config.json'));
  for (const [name, folder] of Object.entries(PUBLISHED_PACKAGES)) {
    const source = join(REPO_ROOT, folder);
    const target = join(dir, folder);
    const manifest = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8')) as Manifest;
    mkdirSync(target, { recursive: true });
    for (const entry of [...(manifest.files ?? []), 'README.md']) {
      if (existsSync(join(source, entry)))
        cpSync(join(source, entry), join(target, entry), { recursive: true });
    }
    if (manifest.files?.includes('dist') && !existsSync(join(source, 'dist'))) {
      throw new Error(`${name} is not built (${join(source, 'dist')} is missing): run pnpm build first`);
    }
    delete manifest.scripts; // the copy is already built; nothing may rebuild or run hooks during publish
    writeFileSync(join(target, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  }
  // What `pnpm install` would link: each workspace: dependency to its sibling folder. pnpm publish reads the
  // linked package's version to rewrite the range, and nothing else needs installing for a built copy.
  for (const folder of Object.values(PUBLISHED_PACKAGES)) {
    const manifest = JSON.parse(readFileSync(join(dir, folder, 'package.json'), 'utf8')) as Manifest;
    for (const field of ['dependencies', 'devDependencies', 'peerDependencies']) {
      for (const [dep, range] of Object.entries((manifest[field] ?? {}) as Record<string, string>)) {
        if (!range.startsWith('workspace:') || PUBLISHED_PACKAGES[dep] === undefined) continue;
        const link = join(dir, folder, 'node_modules', dep);
        mkdirSync(dirname(link), { recursive: true });
        symlinkSync(join(dir, PUBLISHED_PACKAGES[dep]!), link, 'junction');
      }
    }
  }
  writeFileSync(join(dir, '.gitignore'), 'node_modules\n');
  const git = (args: string[]) => run('git', args, { cwd: dir, env: { ...process.env, ...GIT_ENV } });
  await git(['init', '-q', '-b', 'main']);
  await git(['add', '-A']);
  await git(['commit', '-q', '-m', 'sandbox']);

  const manifest = (name: string): Manifest =>
    JSON.parse(readFileSync(join(dir, PUBLISHED_PACKAGES[name]!, 'package.json'), 'utf8')) as Manifest;
  return {
    dir,
    manifest,
    versions: () =>
      Object.fromEntries(Object.keys(PUBLISHED_PACKAGES).map((name) => [name, manifest(name).version])),
    fileOf: (name, path) => join(dir, PUBLISHED_PACKAGES[name]!, path),
    addChangeset(id, releases, summary) {
      const header = Object.entries(releases)
        .map(([name, bump]) => `"${name}": ${bump}`)
        .join('\n');
      writeFileSync(join(dir, '.changeset', `${id}.md`), `---\n${header}\n---\n\n${summary}\n`);
    },
    async changeset(args, env = process.env) {
      try {
        return await run(process.execPath, [CHANGESET_BIN, ...args], {
          cwd: dir,
          env: { ...env, ...GIT_ENV },
        });
      } catch (error) {
        const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
        throw new Error(`changeset ${args.join(' ')} failed:\n${stdout}\n${stderr}`, { cause: error });
      }
    },
    async commit(message) {
      await git(['add', '-A']);
      await git(['commit', '-q', '-m', message]);
    },
  };
}
