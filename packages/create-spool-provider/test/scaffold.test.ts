import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SPI_VERSION } from '@spool/spi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, scaffold, spiRangeOf } from '../src/index.js';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, '..', 'bin', 'create-spool-provider.js');
const workspacePackages = join(here, '..', '..');

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'spool-create-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** The environment for a nested install/build/test: this vitest's own variables removed. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: 'true', NO_COLOR: '1', FORCE_COLOR: '0' };
  for (const key of Object.keys(env)) if (key.startsWith('VITEST') || key === 'NODE_OPTIONS') delete env[key];
  return env;
}

/** Points the scaffolded package's @spool/* devDependencies at this repository's packages (not yet published). */
async function linkWorkspacePackages(dir: string): Promise<void> {
  const file = join(dir, 'package.json');
  const json = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  json.pnpm = {
    overrides: {
      '@spool/spi': `link:${join(workspacePackages, 'spi')}`,
      '@spool/testkit': `link:${join(workspacePackages, 'testkit')}`,
    },
  };
  await writeFile(file, `${JSON.stringify(json, null, 2)}\n`);
}

describe('scaffold', () => {
  it('writes the manifest with ^1.0.0 (the templates use no SPI 1.1 addition) and @spool/spi as a dev dependency only', async () => {
    const result = await scaffold({ name: 'folder', cwd: work });
    expect(result).toMatchObject({
      packageName: 'spool-provider-folder',
      addressType: 'FOLDER',
      dir: join(work, 'spool-provider-folder'),
    });
    // The oldest SPI the templates need, not the SPI this scaffolder was built with: a new provider should
    // load on every host of the major. The current SPI is in that range.
    expect(result.spiRange).toBe('^1.0.0');
    expect(SPI_VERSION).toMatch(/^1\.\d+\.0$/);
    expect(spiRangeOf('1.4.0')).toBe('^1.4.0');
    const json = JSON.parse(await readFile(join(result.dir, 'package.json'), 'utf8'));
    expect(json.spool).toEqual({ spi: result.spiRange, addressTypes: ['FOLDER'], entry: './dist/index.js' });
    expect(json.keywords).toContain('spool-provider');
    expect(json.dependencies).toBeUndefined();
    expect(json.devDependencies['@spool/spi']).toMatch(/^\^\d+\.\d+\.\d+$/);
    expect(json.devDependencies['@spool/testkit']).toMatch(/^\^\d+\.\d+\.\d+$/);
    expect(result.files).toEqual(
      expect.arrayContaining([
        '.changeset/config.json',
        'README.md',
        'test/conformance.test.ts',
        'tsup.config.ts',
      ]),
    );
    const readme = await readFile(join(result.dir, 'README.md'), 'utf8');
    expect(readme).toContain('| `folder` | string | `outbox` |');
    expect(readme).toContain('| `rejectRecipients` | string[] |');
  });

  it('refuses a non-empty folder, a bad name and a bad address type with coded errors, writing nothing', async () => {
    await expect(scaffold({ name: 'folder', cwd: work })).rejects.toMatchObject({
      code: 'SPOOL_E_CREATE_DIR_NOT_EMPTY',
    });
    await expect(scaffold({ name: 'Bad Name', cwd: work })).rejects.toMatchObject({
      code: 'SPOOL_E_CREATE_BAD_NAME',
    });
    await expect(scaffold({ name: 'x', addressType: '9x', cwd: work })).rejects.toMatchObject({
      code: 'SPOOL_E_CREATE_BAD_ADDRESS_TYPE',
    });
    expect(existsSync(join(work, 'spool-provider-x'))).toBe(false);
  });

  it('answers a missing name with usage and exit code 2, without prompting', async () => {
    const chunks: string[] = [];
    const err = { write: (chunk: string) => chunks.push(chunk) > 0 } as Pick<NodeJS.WritableStream, 'write'>;
    const code = await main([], process.stdout, err);
    const text = chunks.join('');
    expect(code).toBe(2);
    expect(text).toContain('SPOOL_E_CREATE_USAGE: missing <name>');
  });
});

describe('a scaffolded package', () => {
  it('installs, typechecks, builds and passes its own tests (conformance suite included) with no edits', async () => {
    // Through the real bin, as `pnpm create spool-provider folder` runs it: no TTY, no stdin. The same
    // package docs/writing-a-provider.md shows (test/docs.test.ts keeps the page equal to it).
    const cwd = join(work, 'e2e');
    await mkdir(cwd);
    const { stdout } = await run(process.execPath, [bin, 'folder'], { cwd, env: childEnv() });
    expect(stdout).toContain('Created spool-provider-folder (address type FOLDER');
    const dir = join(cwd, 'spool-provider-folder');
    await linkWorkspacePackages(dir);
    const env = childEnv();
    await run(
      'pnpm',
      ['install', '--prefer-offline', '--no-frozen-lockfile', '--config.confirmModulesPurge=false'],
      { cwd: dir, env },
    );
    await run('pnpm', ['run', 'typecheck'], { cwd: dir, env });
    const test = await run('pnpm', ['test'], { cwd: dir, env }).catch(
      (error: { stdout?: string; stderr?: string }) => {
        throw new Error(`pnpm test failed:\n${error.stdout}\n${error.stderr}`);
      },
    );
    expect(test.stdout).toMatch(/Tests\s+16 passed \(16\)/);
    expect(existsSync(join(dir, 'dist', 'index.js'))).toBe(true);
    // The built provider bundles defineProvider: nothing imports @spool/spi at run time.
    expect(await readFile(join(dir, 'dist', 'index.js'), 'utf8')).not.toMatch(
      /(from|import\()\s*['"]@spool\/spi['"]/,
    );
  });
});
