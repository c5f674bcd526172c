/**
 * `provider add` against a real registry: Verdaccio on 127.0.0.1 with fixture providers published to it.
 * Proves the version is chosen from metadata before any tarball is fetched, that installs land where they
 * should with exact versions, that install scripts stay off by default, and that a failed verify rolls back.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { HOST_SPI_VERSIONS } from '@spool/core';
import {
  installProvider,
  managedProvidersDir,
  planProviderInstall,
  planProviderUpdate,
  removeProvider,
} from '@spool/core/install';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCRIPT_MARKER } from './fixtures/make-fixtures.js';
import { publishFixtures } from './fixtures/publish-fixtures.js';
import { type TestRegistry, useRegistry } from './use-registry.js';

let registry: TestRegistry;
let work: string;

/** Loads the installed provider the way the host would: import the manifest's entry, call xpProviderInit. */
async function verifyLoads(packageDir: string): Promise<void> {
  const manifest = JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8')) as {
    spool: { entry: string };
  };
  const module = (await import(pathToFileURL(join(packageDir, manifest.spool.entry)).href)) as {
    xpProviderInit?: (context: unknown) => { meta: { name: string } };
  };
  if (typeof module.xpProviderInit !== 'function') throw new Error('no xpProviderInit export');
  const provider = module.xpProviderInit({ spiVersion: '1.0.0', hostSpiVersions: HOST_SPI_VERSIONS });
  if (provider.meta.name !== 'spool-provider-fixture')
    throw new Error(`unexpected meta ${provider.meta.name}`);
}

async function dependencies(dir: string): Promise<Record<string, string>> {
  const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  return pkg.dependencies ?? {};
}

async function newDir(name: string): Promise<string> {
  const dir = join(work, name);
  await mkdir(dir, { recursive: true });
  return dir;
}

async function newProject(name: string): Promise<string> {
  const dir = await newDir(name);
  await writeFile(
    join(dir, 'package.json'),
    `${JSON.stringify({ name, private: true, version: '0.0.0' }, null, 2)}\n`,
  );
  return dir;
}

const fixtureTarballs = async (): Promise<string[]> =>
  (await registry.tarballRequests()).filter((url) => url.includes('spool-provider-fixture'));

beforeAll(async () => {
  registry = await useRegistry();
  if (registry.startMs !== undefined) console.log(`[registry] started in ${registry.startMs} ms`);
  work = await mkdtemp(join(tmpdir(), 'spool-install-'));
  await publishFixtures(registry, work);
}, 60_000);

afterAll(async () => {
  await registry?.release();
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

describe('planning from registry metadata', () => {
  it('picks 1.1.0 for the short name "fixture" and reports 2.0.0 skipped for its SPI', async () => {
    const plan = await planProviderInstall({
      spec: 'fixture',
      hostSpiVersions: HOST_SPI_VERSIONS,
      cwd: await newDir('plan'),
      env: registry.env(),
    });
    expect(plan).toMatchObject({ name: 'spool-provider-fixture', version: '1.1.0', negotiatedSpi: '1.1.0' });
    expect(plan.registry).toBe(registry.url);
    expect(plan.skipped).toEqual([
      expect.objectContaining({
        version: '2.0.0',
        spi: '^2.0.0',
        reason: '2.0.0 needs SPI ^2.0.0 but this host implements 1.0.0, 1.1.0',
      }),
    ]);
  });

  it('refuses fixture@2 with SPOOL_E_SPI_MISMATCH before any tarball is fetched', async () => {
    const before = await fixtureTarballs();
    const error = await planProviderInstall({
      spec: 'fixture@2',
      hostSpiVersions: HOST_SPI_VERSIONS,
      cwd: await newDir('plan2'),
      env: registry.env(),
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SPOOL_E_SPI_MISMATCH' });
    const { message, hint } = error as { message: string; hint: string };
    expect(message).toContain('spool-provider-fixture');
    expect(message).toContain('"2"');
    expect(message).toContain('2.0.0: SPI ^2.0.0');
    expect(message).toContain('implements SPI 1.0.0, 1.1.0');
    expect(hint).toContain('spool-provider-fixture@1.1.0');
    expect(hint).toContain('upgrade @spool/cli to a version implementing SPI 2.0.0');
    await new Promise((resolve) => setTimeout(resolve, 200)); // let the registry flush its log
    expect(await fixtureTarballs()).toEqual(before);
  });

  it('reports an unknown package with SPOOL_E_PACKAGE_NOT_FOUND and the registry URL', async () => {
    const error = await planProviderInstall({
      spec: 'no-such-thing',
      hostSpiVersions: HOST_SPI_VERSIONS,
      cwd: await newDir('plan3'),
      env: registry.env(),
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SPOOL_E_PACKAGE_NOT_FOUND' });
    expect((error as Error).message).toContain(registry.url);
    expect((error as Error).message).toContain(
      '@spool/provider-no-such-thing or spool-provider-no-such-thing',
    );
  });
});

describe('installing', { timeout: 90_000 }, () => {
  it('installs 1.1.0 into the managed directory of a profile outside any project', async () => {
    const profileDir = await newDir('managed-profile');
    const result = await installProvider({
      plan: { name: 'spool-provider-fixture', version: '1.1.0' },
      profileDir,
      verify: verifyLoads,
      env: registry.env(),
    });
    const dir = managedProvidersDir(profileDir);
    expect(result).toMatchObject({ mode: 'managed', dir, version: '1.1.0', packageManager: 'npm' });
    expect(result.packageDir).toBe(join(dir, 'node_modules', 'spool-provider-fixture'));
    expect(existsSync(join(result.packageDir, 'dist', 'index.js'))).toBe(true);
    expect(await dependencies(dir)).toEqual({ 'spool-provider-fixture': '1.1.0' });
    // The positive control for the "no tarball" check above: this install did fetch one, and it was logged.
    await expect
      .poll(fixtureTarballs, { timeout: 5_000 })
      .toContainEqual(expect.stringContaining('1.1.0.tgz'));

    const update = await planProviderUpdate({
      name: 'spool-provider-fixture',
      installed: '1.0.0',
      hostSpiVersions: HOST_SPI_VERSIONS,
      cwd: profileDir,
      env: registry.env(),
    });
    expect(update.plan?.version).toBe('1.1.0');
    expect(update.heldBack.map((held) => held.version)).toEqual(['2.0.0']);
    const current = await planProviderUpdate({
      name: 'spool-provider-fixture',
      installed: '1.1.0',
      hostSpiVersions: HOST_SPI_VERSIONS,
      cwd: profileDir,
      env: registry.env(),
    });
    expect(current.plan).toBeNull();
    expect(current.heldBack).toEqual([expect.objectContaining({ version: '2.0.0', kind: 'spi' })]);

    const removed = await removeProvider({ name: 'spool-provider-fixture', profileDir, env: registry.env() });
    expect(removed).toMatchObject({ mode: 'managed', version: '1.1.0' });
    expect(existsSync(result.packageDir)).toBe(false);
    expect(await dependencies(dir)).toEqual({});
  });

  it('installs into the project the profile sits in, as an exact dependency, with npm', async () => {
    const project = await newProject('scratch-project');
    const profileDir = join(project, 'config');
    await mkdir(profileDir);
    const result = await installProvider({
      plan: { name: 'spool-provider-fixture', version: '1.1.0' },
      profileDir,
      verify: verifyLoads,
      env: registry.env(),
    });
    expect(result).toMatchObject({ mode: 'project', dir: project, version: '1.1.0', packageManager: 'npm' });
    expect(await dependencies(project)).toEqual({ 'spool-provider-fixture': '1.1.0' });
    expect(existsSync(join(project, 'package-lock.json'))).toBe(true);
    expect(existsSync(join(project, 'node_modules', 'spool-provider-fixture', 'package.json'))).toBe(true);
    expect(existsSync(managedProvidersDir(profileDir))).toBe(false);
  });

  it('does not run install scripts unless allowed', async () => {
    const plan = { name: 'spool-provider-scripted', version: '1.0.0' };
    const off = await installProvider({ plan, profileDir: await newDir('scripts-off'), env: registry.env() });
    expect(existsSync(join(off.packageDir, 'package.json'))).toBe(true);
    expect(existsSync(join(off.packageDir, SCRIPT_MARKER))).toBe(false);

    const on = await installProvider({
      plan,
      profileDir: await newDir('scripts-on'),
      allowScripts: true,
      env: registry.env(),
    });
    expect(existsSync(join(on.packageDir, SCRIPT_MARKER))).toBe(true);
  });

  it('rolls back when verify throws: package.json and lockfile restored, the package gone', async () => {
    const project = await newProject('rollback-project');
    // A lockfile to restore: install the first version, then try an update whose verify fails.
    await installProvider({
      plan: { name: 'spool-provider-fixture', version: '1.0.0' },
      profileDir: project,
      env: registry.env(),
    });
    const packageJson = await readFile(join(project, 'package.json'), 'utf8');
    const lockfile = await readFile(join(project, 'package-lock.json'), 'utf8');

    const error = await installProvider({
      plan: { name: 'spool-provider-fixture', version: '1.1.0' },
      profileDir: project,
      verify: () => {
        throw Object.assign(new Error('xpProviderInit exploded'), { code: 'SPOOL_E_IMPORT_FAILED' });
      },
      env: registry.env(),
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'SPOOL_E_INSTALL_VERIFY_FAILED',
      details: expect.objectContaining({ causeCode: 'SPOOL_E_IMPORT_FAILED', rollbackProblems: [] }),
    });
    expect((error as Error).message).toContain('xpProviderInit exploded');
    expect(await readFile(join(project, 'package.json'), 'utf8')).toBe(packageJson);
    expect(await readFile(join(project, 'package-lock.json'), 'utf8')).toBe(lockfile);
    // The previous version is back in node_modules.
    const installed = JSON.parse(
      await readFile(join(project, 'node_modules', 'spool-provider-fixture', 'package.json'), 'utf8'),
    ) as { version: string };
    expect(installed.version).toBe('1.0.0');

    // A fresh install that fails verify leaves nothing behind.
    const fresh = await newProject('rollback-fresh');
    const before = await readFile(join(fresh, 'package.json'), 'utf8');
    await expect(
      installProvider({
        plan: { name: 'spool-provider-fixture', version: '1.1.0' },
        profileDir: fresh,
        verify: () => {
          throw new Error('nope');
        },
        env: registry.env(),
      }),
    ).rejects.toMatchObject({ code: 'SPOOL_E_INSTALL_VERIFY_FAILED' });
    expect(await readFile(join(fresh, 'package.json'), 'utf8')).toBe(before);
    expect(existsSync(join(fresh, 'node_modules', 'spool-provider-fixture'))).toBe(false);
    expect(existsSync(join(fresh, 'package-lock.json'))).toBe(false);
  });
});
