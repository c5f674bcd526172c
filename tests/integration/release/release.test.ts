/**
 * The release flow end to end, with a real registry (Verdaccio) on 127.0.0.1:
 *
 * 1. A copy of the publishable packages in a git workspace of its own; a patch changeset for one provider →
 *    `changeset version` bumps only that provider and writes its CHANGELOG; a minor changeset for `@spool/spi`
 *    releases no provider; `changeset publish` publishes what the registry lacks.
 * 2. A scratch project installs `@spool/cli` and that provider from the registry: the provider has no
 *    run-time dependency on `@spool/spi`, its manifest alone decides compatibility, and a message goes through
 *    it with `spool run --once`.
 * 3. A provider scaffolded by create-spool-provider is built, published, installed with `spool provider add`,
 *    passes the conformance suite as installed, and delivers a message through `spool run --once`.
 *
 * This file starts a registry of its own (the helpers of ../registry): it publishes versions that differ from
 * the working tree's (0.1.1 of a provider, 1.1.0 of the SPI), which on the run's shared registry would change
 * what every other registry test resolves. Third-party dependencies of the CLI (nodemailer, pdfkit, …) come
 * from the npm registry the machine is configured with; only the @spool and @acme scopes go to Verdaccio.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { runConformance } from '@spool/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Registry, startRegistry } from '../registry/verdaccio.js';
import { REPO_ROOT } from '../registry/workspace-packages.js';
import { createSandbox, PUBLISHED_PACKAGES, type Sandbox } from './sandbox.js';

const run = promisify(execFile);
const require = createRequire(import.meta.url);

let registry: Registry;
let work: string;
let sandbox: Sandbox;
let before: Record<string, string>;
let app: string;
let appEnv: NodeJS.ProcessEnv;

/** A user's npm environment: their configuration, plus @spool and @acme sent to the test registry. */
async function userEnv(): Promise<NodeJS.ProcessEnv> {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !/^npm_(config|package|lifecycle)_/i.test(key) && !key.startsWith('VITEST'),
    ),
  );
  const { stdout: globalconfig } = await run('npm', ['config', 'get', 'globalconfig'], { env: base });
  const auth = (await readFile(registry.npmrc, 'utf8')).split('\n').filter((line) => line.startsWith('//'));
  const npmrc = join(work, 'user.npmrc');
  await writeFile(
    npmrc,
    [
      `@spool:registry=${registry.url}`,
      `@acme:registry=${registry.url}`,
      ...auth,
      'audit=false',
      'fund=false',
      'update-notifier=false',
      '',
    ].join('\n'),
  );
  return {
    ...base,
    npm_config_userconfig: npmrc,
    npm_config_globalconfig: globalconfig.trim(),
    // A cache kept with the registry's files: fresh per run, so nothing published in another run is reused.
    npm_config_cache: join(registry.dir, 'npm-cache'),
    CI: 'true',
    NO_COLOR: '1',
  };
}

/** Runs the `spool` the scratch project installed from the registry. */
async function spool(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const bin = join(app, 'node_modules', '@spool', 'cli', 'bin', 'spool.js');
  return run(process.execPath, [bin, ...args], { cwd: app, env: appEnv, timeout: 120_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({
      code: typeof error.code === 'number' ? error.code : 1,
      stdout: error.stdout ?? '',
      stderr: error.stderr ?? '',
    }),
  );
}

async function registryVersions(name: string): Promise<string[]> {
  const response = await fetch(new URL(name.replace('/', '%2f'), registry.url));
  if (response.status === 404) return [];
  const body = (await response.json()) as { versions?: Record<string, unknown> };
  return Object.keys(body.versions ?? {}).sort();
}

beforeAll(async () => {
  registry = await startRegistry();
  work = await mkdtemp(join(tmpdir(), 'spool-release-'));
  sandbox = await createSandbox(join(work, 'repo'));
  before = sandbox.versions();
  app = join(work, 'app');
  await mkdir(app, { recursive: true });
  await writeFile(
    join(app, 'package.json'),
    `${JSON.stringify({ name: 'scratch-app', private: true, version: '0.0.0' }, null, 2)}\n`,
  );
  appEnv = await userEnv();
}, 120_000);

afterAll(async () => {
  await registry?.stop();
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

describe('releasing with changesets', { timeout: 300_000 }, () => {
  it('a patch changeset for one provider bumps only that provider and writes its CHANGELOG', async () => {
    sandbox.addChangeset(
      'loopback-fix',
      { '@spool/provider-loopback': 'patch' },
      'Fixed the release test fixture.',
    );
    await sandbox.changeset(['version']);
    const after = sandbox.versions();
    const changed = Object.keys(after).filter((name) => after[name] !== before[name]);
    expect(changed).toEqual(['@spool/provider-loopback']);
    expect(after['@spool/provider-loopback']).not.toBe(before['@spool/provider-loopback']);
    const changelog = readFileSync(sandbox.fileOf('@spool/provider-loopback', 'CHANGELOG.md'), 'utf8');
    expect(changelog).toContain(`## ${after['@spool/provider-loopback']}`);
    expect(changelog).toContain('Fixed the release test fixture.');
    for (const name of Object.keys(PUBLISHED_PACKAGES).filter((n) => n !== '@spool/provider-loopback')) {
      expect(existsSync(sandbox.fileOf(name, 'CHANGELOG.md')), `${name} has no CHANGELOG`).toBe(false);
    }
    await sandbox.commit('Version packages (loopback)');
  });

  it('a minor changeset for @spool/spi releases no provider: they use the SPI at build time only', async () => {
    const previous = sandbox.versions();
    sandbox.addChangeset('spi-minor', { '@spool/spi': 'minor' }, 'Added to the contract (release test).');
    await sandbox.changeset(['version']);
    const after = sandbox.versions();
    const [major, minor] = previous['@spool/spi']!.split('.').map(Number);
    expect(after['@spool/spi']).toBe(`${major}.${minor! + 1}.0`);
    for (const name of Object.keys(PUBLISHED_PACKAGES).filter((n) => n.startsWith('@spool/provider-'))) {
      expect(after[name], name).toBe(previous[name]);
    }
    // Providers keep @spool/spi in devDependencies, so nothing they publish names it.
    for (const name of Object.keys(PUBLISHED_PACKAGES).filter((n) => n.startsWith('@spool/provider-'))) {
      expect(sandbox.manifest(name).dependencies ?? {}, name).not.toHaveProperty('@spool/spi');
    }
    await sandbox.commit('Version packages (spi)');
  });

  it('changeset publish publishes every version the registry lacks', async () => {
    const env = registry.env();
    const { stdout, stderr } = await sandbox.changeset(['publish'], env);
    const versions = sandbox.versions();
    for (const [name, version] of Object.entries(versions)) {
      expect(await registryVersions(name), `${name}\n${stdout}\n${stderr}`).toEqual([version]);
    }
    // Published manifests carry real ranges (pnpm rewrites workspace:^ to the workspace version), and no
    // provider names @spool/spi among the dependencies its users install.
    const response = await fetch(new URL(`@spool%2fcore/${versions['@spool/core']}`, registry.url));
    const core = (await response.json()) as { dependencies: Record<string, string> };
    expect(core.dependencies['@spool/spi']).toBe(`^${versions['@spool/spi']}`);
    for (const name of Object.keys(versions).filter((n) => n.startsWith('@spool/provider-'))) {
      const meta = await fetch(new URL(`${name.replace('/', '%2f')}/${versions[name]}`, registry.url));
      const published = (await meta.json()) as {
        dependencies?: Record<string, string>;
        spool?: { spi: string };
      };
      expect(published.dependencies ?? {}, name).not.toHaveProperty('@spool/spi');
      expect(published.spool?.spi, name).toBe('^1.0.0');
    }
  });
});

describe('installing from the registry', { timeout: 300_000 }, () => {
  it('a scratch project installs @spool/cli and the provider; the provider has no run-time @spool/spi', async () => {
    await run(
      'npm',
      ['install', '@spool/cli', '@spool/provider-loopback', '--prefer-offline', '--ignore-scripts'],
      {
        cwd: app,
        env: appEnv,
        timeout: 240_000,
      },
    );
    const versions = sandbox.versions();
    const installed = join(app, 'node_modules', '@spool', 'provider-loopback');
    const manifest = JSON.parse(await readFile(join(installed, 'package.json'), 'utf8'));
    expect(manifest.version).toBe(versions['@spool/provider-loopback']);
    expect(manifest.dependencies ?? {}).not.toHaveProperty('@spool/spi');
    expect(existsSync(join(installed, 'node_modules'))).toBe(false);
    const entry = await readFile(join(installed, manifest.spool.entry), 'utf8');
    expect(entry).not.toMatch(/(from|import\()\s*['"]@spool\/spi['"]/);
    // The host's copy of the contract is the new minor; the provider was built against the old one.
    const spi = JSON.parse(
      await readFile(join(app, 'node_modules', '@spool', 'spi', 'package.json'), 'utf8'),
    );
    expect(spi.version).toBe(versions['@spool/spi']);
  });

  it('a message goes through the installed provider with spool run --once', async () => {
    await writeFile(
      join(app, 'spool.config.json'),
      `${JSON.stringify({ providers: [{ provider: '@spool/provider-loopback' }] }, null, 2)}\n`,
    );
    const sent = await spool([
      'send',
      '--from',
      'LOOP:me',
      '--to',
      'LOOP:alice',
      '--subject',
      'via the registry',
      '--body',
      'hello',
      '--json',
    ]);
    expect(sent.code, sent.stderr).toBe(0);
    const once = await spool(['run', '--once', '--json']);
    expect(once.code, once.stderr).toBe(0);
    const inbox = await spool(['list', 'inbox', '--json']);
    expect(inbox.stdout).toContain('via the registry');
  });

  it('the manifest alone decides compatibility: an SPI range the host lacks is refused before import', async () => {
    const file = join(app, 'node_modules', '@spool', 'provider-loopback', 'package.json');
    const original = await readFile(file, 'utf8');
    const manifest = JSON.parse(original);
    manifest.spool.spi = '^2.0.0';
    await writeFile(file, JSON.stringify(manifest, null, 2));
    // A top-level throw in the entry proves the host never imported it.
    const entry = join(dirname(file), manifest.spool.entry);
    const code = await readFile(entry, 'utf8');
    await writeFile(entry, `throw new Error('imported although the SPI range does not fit');\n${code}`);
    try {
      const result = await spool(['provider', 'list', '--json']);
      expect(`${result.stdout}${result.stderr}`).toContain('SPOOL_E_SPI_MISMATCH');
      expect(`${result.stdout}${result.stderr}`).not.toContain('imported although');
    } finally {
      await writeFile(file, original);
      await writeFile(entry, code);
    }
  });
});

describe('a scaffolded provider, published and installed', { timeout: 300_000 }, () => {
  const name = '@acme/spool-provider-drop';
  let packageDir: string;

  it('is scaffolded, built and published to the registry', async () => {
    const bin = join(
      dirname(require.resolve('create-spool-provider/package.json')),
      'bin',
      'create-spool-provider.js',
    );
    const env = { ...appEnv };
    await run(process.execPath, [bin, name, '--dir', 'drop', '--address-type', 'DROP'], { cwd: work, env });
    const dir = join(work, 'drop');
    // Its @spool/* devDependencies are this repository's packages (the versions under test), linked for the build.
    const file = join(dir, 'package.json');
    const original = readFileSync(file, 'utf8');
    const linked = JSON.parse(original);
    linked.pnpm = {
      overrides: {
        '@spool/spi': `link:${join(REPO_ROOT, 'packages', 'spi')}`,
        '@spool/testkit': `link:${join(REPO_ROOT, 'packages', 'testkit')}`,
      },
    };
    writeFileSync(file, JSON.stringify(linked, null, 2));
    const pnpmEnv = Object.fromEntries(
      Object.entries(process.env).filter(([key]) => !key.startsWith('VITEST')),
    );
    await run('pnpm', ['install', '--prefer-offline', '--no-frozen-lockfile'], {
      cwd: dir,
      env: pnpmEnv,
      timeout: 240_000,
    });
    await run('pnpm', ['run', 'build'], { cwd: dir, env: pnpmEnv });
    writeFileSync(file, original); // publish the package.json the author has
    await registry.publish(dir);
    expect(await registryVersions(name)).toEqual(['0.1.0']);
  });

  it('is installed with spool provider add, which picks it by its manifest', async () => {
    const result = await spool(['provider', 'add', name, '--json']);
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    const added = JSON.parse(result.stdout);
    expect(added).toMatchObject({ name, version: '0.1.0', addressTypes: ['DROP'] });
    packageDir = added.packageDir;
    expect(existsSync(join(packageDir, 'dist', 'index.js'))).toBe(true);
  });

  it('passes the conformance suite as installed', async () => {
    // The suite's test functions are injected: here they collect the checks, which run against the install.
    const checks: { name: string; body: () => unknown }[] = [];
    runConformance({
      packageDir,
      addresses: ['DROP:alice', 'DROP:bob'],
      options: { folder: 'conformance-out' },
      describe: (_title, body) => body(),
      it: (checkName, body) => checks.push({ name: checkName, body }),
    });
    expect(checks.length).toBeGreaterThanOrEqual(14);
    for (const check of checks) {
      await Promise.resolve(check.body()).catch((error: unknown) => {
        throw new Error(`conformance check "${check.name}" failed: ${(error as Error).message}`, {
          cause: error,
        });
      });
    }
  });

  it('delivers a message through spool run --once', async () => {
    const sent = await spool([
      'send',
      '--from',
      'LOOP:me',
      '--to',
      'DROP:carol',
      '--subject',
      'dropped',
      '--body',
      'hi',
      '--json',
    ]);
    expect(sent.code, sent.stderr).toBe(0);
    const { id } = JSON.parse(sent.stdout);
    const once = await spool(['run', '--once', '--json']);
    expect(once.code, once.stderr).toBe(0);
    const files = await readdir(join(app, 'outbox'));
    expect(files).toEqual([`${id}-0.json`]);
    expect(JSON.parse(await readFile(join(app, 'outbox', files[0]!), 'utf8'))).toMatchObject({
      to: 'DROP:carol',
      subject: 'dropped',
    });
  });
});
