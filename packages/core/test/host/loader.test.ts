import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importProvider } from '../../src/host/load-provider.js';
import { ProviderHost } from '../../src/host/provider-host.js';
import { caught, FIXTURE_PROFILE_DIR, fixtureProfile, memorySink, temporaryDir } from '../helpers.js';

const load = (spec: string, extra: { hostSpiVersions?: string[]; ignoreSpiRange?: boolean } = {}) =>
  importProvider(spec, {
    profileDir: FIXTURE_PROFILE_DIR,
    hostSpiVersions: extra.hostSpiVersions ?? ['1.0.0'],
    ...extra,
  });

describe('loading providers: each failure has its own code and says where and how to fix it', () => {
  it('loads an ESM provider by full name and negotiates the SPI version', async () => {
    const imported = await load('spool-provider-good');
    expect(imported.package.source).toBe('installed');
    expect(imported.spiVersion).toBe('1.0.0');
    expect(typeof imported.xpProviderInit).toBe('function');
  });

  it('picks the highest host SPI version the range accepts', async () => {
    const imported = await load('spool-provider-good', {
      hostSpiVersions: ['1.0.0', '1.1.0', '1.2.0', '2.0.0'],
    });
    expect(imported.spiVersion).toBe('1.2.0');
  });

  it('expands short names and loads scoped and CommonJS packages', async () => {
    expect((await load('good')).package.name).toBe('spool-provider-good');
    expect((await load('@acme/spool-provider-scoped')).package.name).toBe('@acme/spool-provider-scoped');
    const cjs = await load('cjs');
    const provider = await cjs.xpProviderInit({
      spiVersion: '1.0.0',
      hostSpiVersions: ['1.0.0'],
      hostVersion: '0',
      entryId: 'cjs',
      logger: console as never,
    });
    expect(provider.meta.addressTypes).toEqual(['CJS']);
  });

  it('not installed: names what it looked for and suggests the closest name', async () => {
    const error = await caught(() => load('goood'));
    expect(error.code).toBe('SPOOL_E_NOT_INSTALLED');
    expect(error.message).toContain('spool-provider-goood');
    expect(error.message).toContain(join(FIXTURE_PROFILE_DIR, 'node_modules'));
    expect(error.hint).toContain('Did you mean "good"');
  });

  it('SPI mismatch is refused before any provider code runs', async () => {
    const marker = join(temporaryDir(), 'marker');
    process.env.SPOOL_TEST_MARKER = marker;
    const error = await caught(() => load('future'));
    expect(error.code).toBe('SPOOL_E_SPI_MISMATCH');
    expect(error.message).toContain('spool-provider-future@1.0.0');
    expect(error.message).toContain('^99.0.0');
    expect(error.message).toContain(join(FIXTURE_PROFILE_DIR, 'node_modules', 'spool-provider-future'));
    expect(error.details).toMatchObject({ range: '^99.0.0', hostVersions: ['1.0.0'], needs: '99.0.0' });
    expect(error.hint).toContain('implements SPI 99.0.0');
    expect(existsSync(marker)).toBe(false);
  });

  it('an SPI mismatch for an older provider suggests a newer provider version', async () => {
    const error = await caught(() => load('good', { hostSpiVersions: ['2.0.0'] }));
    expect(error.code).toBe('SPOOL_E_SPI_MISMATCH');
    expect(error.hint).toContain('newer version of spool-provider-good');
  });

  it('import failures say which kind and carry the cause', async () => {
    const syntax = await caught(() => load('syntax'));
    expect(syntax.code).toBe('SPOOL_E_IMPORT_FAILED');
    expect(syntax.message).toContain('a syntax error');
    const missing = await caught(() => load('missing-dep'));
    expect(missing.code).toBe('SPOOL_E_IMPORT_FAILED');
    expect(missing.message).toContain('a missing dependency');
    expect(missing.message).toContain('spool-definitely-not-installed-dependency');
    const throws = await caught(() => load('throws'));
    expect(throws.code).toBe('SPOOL_E_IMPORT_FAILED');
    expect(throws.message).toContain('boom at top level');
    expect(throws.cause).toBeInstanceOf(Error);
  });

  it('no entry point, and an entry without xpProviderInit', async () => {
    const noFile = await caught(() => load('no-entry'));
    expect(noFile.code).toBe('SPOOL_E_NO_ENTRY');
    expect(noFile.message).toContain(join('spool-provider-no-entry', 'dist', 'index.js'));
    const noExport = await caught(() => load('no-export'));
    expect(noExport.code).toBe('SPOOL_E_NO_ENTRY');
    expect(noExport.message).toContain('xpProviderInit');
  });

  it('a package without a valid manifest is refused with the manifest code', async () => {
    expect((await caught(() => load('bad-manifest'))).code).toBe('SPOOL_E_BAD_MANIFEST');
    const notProvider = await caught(() => load('not-a-provider'));
    expect(notProvider.code).toBe('SPOOL_E_BAD_MANIFEST');
    expect(notProvider.message).toContain('"spool" key is missing');
  });

  it('ignoreSpiRange loads anyway and warns loudly on start', async () => {
    const imported = await load('future-free', {}).catch(() => undefined);
    expect(imported).toBeUndefined(); // sanity: unknown name still fails
    const sink = memorySink();
    const profile = fixtureProfile({ providers: [{ provider: 'good', ignoreSpiRange: true }] });
    await using host = await ProviderHost.start({
      profile,
      logSink: sink,
      hostSpiVersions: ['2.0.0'],
      strict: true,
    });
    expect(host.logons()).toHaveLength(1);
    expect(sink.records.some((r) => r.level === 'warn' && r.message.includes('ignoreSpiRange'))).toBe(true);
  });
});

describe('errors after import', () => {
  const start = (provider: string, extra: Record<string, unknown> = {}) =>
    ProviderHost.start({
      profile: fixtureProfile({ providers: [{ provider, ...extra }] }),
      logSink: memorySink(),
      strict: true,
    });

  it('wrong shape: xpProviderInit returned something that is not a provider', async () => {
    const error = await caught(() => start('wrong-shape'));
    expect(error.code).toBe('SPOOL_E_BAD_SHAPE');
    expect(error.message).toContain('transportLogon');
  });

  it('runtime meta disagreeing with the manifest', async () => {
    const error = await caught(() => start('meta-mismatch'));
    expect(error.code).toBe('SPOOL_E_META_MISMATCH');
    expect(error.message).toContain('manifest "^1.0.0", runtime "^1.1.0"');
  });

  it('a provider refusing the negotiated version at run time', async () => {
    const error = await caught(() => start('refuse'));
    expect(error.code).toBe('SPOOL_E_VERSION_REFUSED');
    // Refused is what the host offered: the newest SPI it implements that the fixture's ^1.0.0 accepts.
    expect(error.message).toContain('refusing SPI 1.1.0');
  });

  it('invalid options name the profile file and the key, with secrets redacted', async () => {
    process.env.SPOOL_TEST_SECRET = 'hunter2-very-secret';
    const error = await caught(() =>
      start('faulty', {
        options: { port: 'not-a-port', password: '${SPOOL_TEST_SECRET}', extra: '${SPOOL_TEST_SECRET}' },
      }),
    );
    expect(error.code).toBe('SPOOL_E_INVALID_OPTIONS');
    expect(error.message).toContain(join(FIXTURE_PROFILE_DIR, 'spool.config.json'));
    expect(error.message).toContain('providers[0].options.port');
    expect(error.message).not.toContain('hunter2-very-secret');
  });

  it('a failing entry is recorded on its row while the others load (non-strict)', async () => {
    const profile = fixtureProfile({ providers: ['future', 'good'] });
    await using host = await ProviderHost.start({ profile, logSink: memorySink() });
    expect(host.entries[0]?.status).toBe('failed');
    expect(host.entries[0]?.error?.code).toBe('SPOOL_E_SPI_MISMATCH');
    expect(host.statusTable.get('future')).toMatchObject({
      failure: true,
      lastError: { code: 'SPOOL_E_SPI_MISMATCH' },
    });
    expect(host.claimants('GOOD').map((l) => l.id)).toEqual(['good/default']);
  });
});
