import { describe, expect, it } from 'vitest';
import { chooseProviderVersion, type Packument, type PackumentVersion } from '../../src/install/choose.js';
import { authorizationFor, packumentUrl, parseNpmrc, registryFor } from '../../src/install/registry.js';
import { expandProviderName, parseProviderSpec } from '../../src/install/spec.js';

const provider = (spi: string, extra: Partial<PackumentVersion> = {}): PackumentVersion => ({
  spool: { spi, addressTypes: ['FAX'] },
  keywords: ['spool-provider'],
  ...extra,
});

const packument: Packument = {
  name: 'spool-provider-fax',
  'dist-tags': { latest: '2.0.0', next: '2.1.0-beta.1' },
  versions: {
    '0.9.0': {},
    '1.0.0': provider('^1.0.0'),
    '1.1.0': provider('^1.0.0'),
    '1.2.0': provider('^1.0.0', { deprecated: 'broken, use 1.1.0' }),
    '1.3.0': { spool: { spi: 'not a range', addressTypes: [] } },
    '2.0.0': provider('^2.0.0'),
    '2.1.0-beta.1': provider('^2.1.0'),
  },
};

describe('chooseProviderVersion', () => {
  it('skips a version whose manifest the loader would refuse (same rule as the loader)', () => {
    const bad: Packument = {
      name: 'spool-provider-x',
      'dist-tags': { latest: '1.1.0' },
      versions: {
        '1.0.0': provider('^1.0.0'),
        '1.1.0': { spool: { spi: '^1.0.0', addressTypes: ['not a type'] } },
      },
    };
    const chosen = chooseProviderVersion(bad, { hostSpiVersions: ['1.0.0'] });
    expect(chosen.version).toBe('1.0.0');
    expect(chosen.skipped.map((s) => [s.version, s.kind])).toEqual([['1.1.0', 'not-a-provider']]);
  });

  it('picks the newest version the host accepts and explains every newer one it skipped', () => {
    const chosen = chooseProviderVersion(packument, { hostSpiVersions: ['1.0.0'] });
    expect(chosen.version).toBe('1.1.0');
    expect(chosen.negotiatedSpi).toBe('1.0.0');
    expect(chosen.skipped.map((s) => [s.version, s.kind])).toEqual([
      ['2.1.0-beta.1', 'prerelease'],
      ['2.0.0', 'spi'],
      ['1.3.0', 'not-a-provider'],
      ['1.2.0', 'deprecated'],
    ]);
    expect(chosen.skipped[1]!.reason).toBe('2.0.0 needs SPI ^2.0.0 but this host implements 1.0.0');
    expect(chosen.skipped[2]!.reason).toContain('not a spool provider');
  });

  it('reports the install scripts of the chosen version, in the order a package manager runs them', () => {
    const scripted: Packument = {
      name: 'spool-provider-s',
      versions: {
        '1.0.0': provider('^1.0.0', { scripts: { test: 'x', postinstall: 'y', preinstall: 'z' } }),
        '1.1.0': provider('^1.0.0', { scripts: { build: 'tsup' } }),
      },
    };
    expect(chooseProviderVersion(scripted, { hostSpiVersions: ['1.0.0'] }).installScripts).toEqual([]);
    expect(
      chooseProviderVersion(scripted, { hostSpiVersions: ['1.0.0'], range: '1.0.0' }).installScripts,
    ).toEqual(['preinstall', 'postinstall']);
  });

  it('negotiates the highest host SPI version the range accepts', () => {
    const chosen = chooseProviderVersion(packument, { hostSpiVersions: ['1.0.0', '2.0.0', '2.1.0'] });
    expect(chosen.version).toBe('2.0.0');
    expect(chosen.negotiatedSpi).toBe('2.1.0');
  });

  it('honours the range, dist-tags, prereleases and deprecated when asked', () => {
    expect(chooseProviderVersion(packument, { range: '~1.0', hostSpiVersions: ['1.0.0'] }).version).toBe(
      '1.0.0',
    );
    expect(chooseProviderVersion(packument, { range: 'next', hostSpiVersions: ['2.1.0'] }).version).toBe(
      '2.1.0-beta.1',
    );
    expect(
      chooseProviderVersion(packument, { includePrerelease: true, hostSpiVersions: ['2.1.0'] }).version,
    ).toBe('2.1.0-beta.1');
    expect(
      chooseProviderVersion(packument, { includeDeprecated: true, hostSpiVersions: ['1.0.0'] }).version,
    ).toBe('1.2.0');
  });

  it('throws SPOOL_E_SPI_MISMATCH naming candidates, host versions and both fixes', () => {
    let error: unknown;
    try {
      chooseProviderVersion(packument, { range: '^2', hostSpiVersions: ['1.0.0'] });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'SPOOL_E_SPI_MISMATCH' });
    const { message, hint, details } = error as {
      message: string;
      hint: string;
      details: Record<string, unknown>;
    };
    expect(message).toContain('spool-provider-fax');
    expect(message).toContain('"^2"');
    expect(message).toContain('2.0.0: SPI ^2.0.0');
    expect(message).toContain('implements SPI 1.0.0');
    expect(hint).toContain('spool-provider-fax@1.1.0');
    expect(hint).toContain('upgrade @spool/cli to a version implementing SPI 2.0.0');
    expect(details.fitting).toBe('1.1.0');
  });

  it('says "use an older host" when every candidate needs an SPI the host dropped', () => {
    expect(() => chooseProviderVersion(packument, { range: '1.1.0', hostSpiVersions: ['2.0.0'] })).toThrow(
      /older @spool\/cli that still implements SPI 1\.0\.0/,
    );
  });

  it('distinguishes "no such version" and "not a provider" from an SPI mismatch', () => {
    expect(() => chooseProviderVersion(packument, { range: '^5', hostSpiVersions: ['1.0.0'] })).toThrow(
      expect.objectContaining({ code: 'SPOOL_E_VERSION_NOT_FOUND' }),
    );
    expect(() => chooseProviderVersion(packument, { range: '0.9.0', hostSpiVersions: ['1.0.0'] })).toThrow(
      expect.objectContaining({ code: 'SPOOL_E_NOT_A_PROVIDER' }),
    );
    expect(() => chooseProviderVersion(packument, { range: 'nope', hostSpiVersions: ['1.0.0'] })).toThrow(
      expect.objectContaining({ code: 'SPOOL_E_VERSION_NOT_FOUND' }),
    );
  });
});

describe('provider specs', () => {
  it('expands short names and keeps full ones', () => {
    expect(expandProviderName('fax-sim')).toEqual(['@spool/provider-fax-sim', 'spool-provider-fax-sim']);
    expect(expandProviderName('@acme/fax')).toEqual(['@acme/fax']);
    expect(expandProviderName('spool-provider-x')).toEqual(['spool-provider-x']);
  });

  it('parses names, scoped names, ranges and tags', () => {
    expect(parseProviderSpec('fax-sim')).toMatchObject({
      names: ['@spool/provider-fax-sim', 'spool-provider-fax-sim'],
    });
    expect(parseProviderSpec('@acme/fax@^1.2')).toMatchObject({ names: ['@acme/fax'], range: '^1.2' });
    expect(parseProviderSpec('fixture@2')).toMatchObject({ range: '2' });
    expect(parseProviderSpec('x@next').range).toBe('next');
    expect(() => parseProviderSpec('Bad Name')).toThrow(
      expect.objectContaining({ code: 'SPOOL_E_BAD_SPEC' }),
    );
    expect(() => parseProviderSpec('x@')).toThrow(expect.objectContaining({ code: 'SPOOL_E_BAD_SPEC' }));
  });
});

describe('npm configuration', () => {
  it('parses .npmrc with ${ENV} expansion', () => {
    const rc = parseNpmrc('# c\n//r.example/:_authToken=${TOKEN}\n@a:registry="https://a.example/"\n', {
      TOKEN: 't0k',
    });
    expect(rc).toEqual({ '//r.example/:_authToken': 't0k', '@a:registry': 'https://a.example/' });
  });

  it('picks scoped registries and the longest matching auth', () => {
    const config = {
      registry: 'https://r.example/',
      scopes: { '@a': 'https://a.example/npm/' },
      auth: { '//a.example/npm/:_authToken': 'scoped', '//r.example/:_auth': 'YmFzaWM=' },
    };
    expect(registryFor('@a/x', config)).toBe('https://a.example/npm/');
    expect(registryFor('@b/x', config)).toBe('https://r.example/');
    expect(packumentUrl('https://a.example/npm/', '@a/x')).toBe('https://a.example/npm/@a%2fx');
    expect(authorizationFor('https://a.example/npm/@a%2fx', config.auth)).toBe('Bearer scoped');
    expect(authorizationFor('https://r.example/x', config.auth)).toBe('Basic YmFzaWM=');
    expect(authorizationFor('https://other.example/x', config.auth)).toBeUndefined();
  });
});
