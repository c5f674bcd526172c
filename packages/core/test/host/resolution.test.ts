import { existsSync, mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ProviderHost } from '../../src/host/provider-host.js';
import { caught, fixtureProfile, memorySink, temporaryDir } from '../helpers.js';

/** Where this copy of @spool/core lives: the providers below are never under it. */
const CORE_DIR = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/**
 * Writes a light provider package (hand-written, no build) into `dir`. With `dependency`, its entry imports
 * that package, so loading it proves Node resolved the provider's own dependencies from its real location.
 */
function writeProvider(
  dir: string,
  name: string,
  options: { version?: string; type?: string; dependency?: string } = {},
) {
  const version = options.version ?? '1.0.0';
  const type = options.type ?? 'X';
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({
      name,
      version,
      type: 'module',
      keywords: ['spool-provider'],
      main: './index.js',
      spool: { spi: '^1.0.0', addressTypes: [type] },
      ...(options.dependency ? { dependencies: { [options.dependency]: '1.0.0' } } : {}),
    }),
  );
  writeFileSync(
    join(dir, 'index.js'),
    `${options.dependency ? `import { where } from '${options.dependency}';\n` : "const where = 'none';\n"}
export function xpProviderInit() {
  return {
    meta: { name: ${JSON.stringify(name)}, version: ${JSON.stringify(version)}, spi: '^1.0.0', addressTypes: [${JSON.stringify(type)}] },
    async transportLogon(support) {
      support.modifyStatusRow({ identity: where, available: true });
      return {
        addressTypes: () => [${JSON.stringify(type)}],
        transportNotify() {},
        async submitMessage() { return { recipients: {} }; },
        async transportLogoff() {},
      };
    },
    async shutdown() {},
  };
}
`,
  );
}

/**
 * An application laid out by pnpm's strict (isolated) linker: the package lives in the virtual store,
 * `node_modules/.pnpm/<name>@<version>/node_modules/<name>`, next to its own dependencies, and the app sees
 * it only through the symlink `node_modules/<name>`.
 */
function pnpmApp(name: string): string {
  const app = temporaryDir('spool-app-');
  const store = join(app, 'node_modules', '.pnpm', `${name}@1.0.0`, 'node_modules');
  writeProvider(join(store, name), name, { dependency: 'spool-x-dep' });
  mkdirSync(join(store, 'spool-x-dep'), { recursive: true });
  writeFileSync(
    join(store, 'spool-x-dep', 'package.json'),
    JSON.stringify({ name: 'spool-x-dep', version: '1.0.0', type: 'module', main: './index.js' }),
  );
  writeFileSync(
    join(store, 'spool-x-dep', 'index.js'),
    "export const where = 'dep from the virtual store';\n",
  );
  const link = join(app, 'node_modules', name);
  symlinkSync(relative(join(app, 'node_modules'), join(store, name)), link, 'dir');
  return app;
}

const start = (app: string, providers: unknown[], builtins?: Record<string, string>) =>
  ProviderHost.start({
    profile: fixtureProfile({ providers }, app),
    strict: true,
    logSink: memorySink(),
    ...(builtins ? { builtins } : {}),
  });

describe('resolution from the profile directory, with core installed elsewhere', () => {
  it('loads a provider from a pnpm strict layout (virtual store + symlink) next to the profile', async () => {
    const app = pnpmApp('spool-provider-x');
    expect(app.startsWith(CORE_DIR)).toBe(false);
    await using host = await start(app, ['x']);
    const [entry] = host.entries;
    expect(entry?.status).toBe('active');
    expect(entry?.imported?.package).toMatchObject({
      name: 'spool-provider-x',
      source: 'installed',
      dir: join(app, 'node_modules', 'spool-provider-x'),
    });
    // The module was imported from its real path in the virtual store, whose node_modules held its dependency.
    expect(realpathSync(entry!.imported!.entryFile)).toContain(join('.pnpm', 'spool-provider-x@1.0.0'));
    expect(host.statusTable.get('x/default')).toMatchObject({
      available: true,
      identity: 'dep from the virtual store',
    });
    expect(host.claimants('x').map((logon) => logon.id)).toEqual(['x/default']);
  });

  it('does not find a provider installed only next to core (or anywhere not above the profile)', async () => {
    const coreSide = temporaryDir('spool-core-side-');
    writeProvider(join(coreSide, 'node_modules', 'spool-provider-only-core'), 'spool-provider-only-core');
    const app = pnpmApp('spool-provider-x');
    const error = await caught(() => start(app, ['only-core']));
    expect(error.code).toBe('SPOOL_E_NOT_INSTALLED');
    expect(error.message).toContain(join(app, 'node_modules'));
    expect(error.message).not.toContain(coreSide);

    // The same package is found when the profile is in that directory: the fixture itself is fine.
    await using host = await start(coreSide, ['only-core']);
    expect(host.entries[0]?.imported?.package.source).toBe('installed');
  });

  it("does not find packages from core's own node_modules", async () => {
    expect(existsSync(join(CORE_DIR, 'node_modules', '@spool', 'spi'))).toBe(true);
    const app = temporaryDir('spool-app-');
    const error = await caught(() => start(app, ['@spool/spi']));
    expect(error.code).toBe('SPOOL_E_NOT_INSTALLED');
  });
});

describe('built-in providers', () => {
  it('uses the built-in when nothing is installed', async () => {
    const builtinDir = join(temporaryDir('spool-cli-'), 'node_modules', '@spool', 'provider-bi');
    writeProvider(builtinDir, '@spool/provider-bi', { version: '0.5.0', type: 'BI' });
    const app = temporaryDir('spool-app-');
    await using host = await start(app, ['bi'], { '@spool/provider-bi': builtinDir });
    expect(host.entries[0]?.imported?.package).toMatchObject({
      source: 'builtin',
      dir: builtinDir,
      shadowed: [],
    });
    expect(host.entries[0]?.imported?.version).toBe('0.5.0');
  });

  it('an installed copy in the profile’s project overrides the built-in, which is listed as shadowed', async () => {
    const builtinDir = join(temporaryDir('spool-cli-'), 'node_modules', '@spool', 'provider-bi');
    writeProvider(builtinDir, '@spool/provider-bi', { version: '0.5.0', type: 'BI' });
    const app = temporaryDir('spool-app-');
    const installed = join(app, 'node_modules', '@spool', 'provider-bi');
    writeProvider(installed, '@spool/provider-bi', { version: '0.6.0', type: 'BI' });
    await using host = await start(app, ['bi'], { '@spool/provider-bi': builtinDir });
    const pkg = host.entries[0]?.imported?.package;
    expect(pkg).toMatchObject({ source: 'installed', dir: installed });
    expect(pkg?.shadowed).toEqual([{ dir: builtinDir, source: 'builtin' }]);
    expect(host.entries[0]?.imported?.version).toBe('0.6.0');
  });

  it('a copy in a parent directory of the profile also overrides the built-in', async () => {
    const builtinDir = join(temporaryDir('spool-cli-'), 'bi');
    writeProvider(builtinDir, '@spool/provider-bi', { type: 'BI' });
    const root = temporaryDir('spool-app-');
    writeProvider(join(root, 'node_modules', '@spool', 'provider-bi'), '@spool/provider-bi', { type: 'BI' });
    const profileDir = join(root, 'config', 'spool');
    mkdirSync(profileDir, { recursive: true });
    await using host = await start(profileDir, ['bi'], { '@spool/provider-bi': builtinDir });
    expect(host.entries[0]?.imported?.package).toMatchObject({
      source: 'installed',
      dir: join(root, 'node_modules', '@spool', 'provider-bi'),
    });
  });
});
