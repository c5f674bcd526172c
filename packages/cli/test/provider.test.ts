import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyFixture, spool, temporaryDir } from './helpers.js';

describe('spool provider list and spool status', () => {
  it('list prints the loopback row from the built-in copy, as a table and as JSON', () => {
    const dir = temporaryDir();
    spool(['init'], dir);
    const text = spool(['provider', 'list'], dir);
    expect(text.code).toBe(0);
    const [header, row] = text.stdout.trim().split('\n');
    expect(header).toMatch(/^ID\s+PACKAGE\s+VERSION\s+SOURCE\s+SPI\s+TYPES\s+STATE\s+PATH$/);
    expect(row).toMatch(
      /^loopback\s+@spool\/provider-loopback\s+\S+\s+builtin\s+1\.1\.0\s+LOOP\s+active\s+\//,
    );

    const json = JSON.parse(spool(['provider', 'list', '--json'], dir).stdout);
    expect(json).toEqual([
      expect.objectContaining({
        id: 'loopback',
        provider: 'loopback',
        name: '@spool/provider-loopback',
        source: 'builtin',
        spiRange: '^1.0.0',
        spiVersion: '1.1.0', // ^1.0.0 negotiates the newest 1.x this host implements
        addressTypes: ['LOOP'],
        state: 'active',
        error: null,
      }),
    ]);
  });

  it('list shows a failed entry with its error code, and still exits 0', () => {
    const dir = temporaryDir();
    writeFileSync(
      join(dir, 'spool.config.json'),
      JSON.stringify({ providers: ['loopback', { provider: 'no-such-thing' }] }),
    );
    const result = spool(['provider', 'list', '--json'], dir);
    expect(result.code).toBe(0);
    const rows = JSON.parse(result.stdout);
    expect(rows[0]).toMatchObject({ id: 'loopback', state: 'active' });
    expect(rows[1]).toMatchObject({
      id: 'no-such-thing',
      state: 'failed',
      name: null,
      error: { code: 'SPOOL_E_NOT_INSTALLED' },
    });
  });

  it('status prints the logon row, and { daemon: null, rows } as JSON', () => {
    const dir = temporaryDir();
    spool(['init'], dir);
    const text = spool(['status'], dir);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^loopback\/default\s+@spool\/provider-loopback@\S+\s+1\.1\.0\s+available/m);

    const json = JSON.parse(spool(['status', '--json'], dir).stdout);
    expect(json.daemon).toBeNull();
    expect(json.rows).toHaveLength(1);
    expect(json.rows[0]).toMatchObject({
      id: 'loopback/default',
      kind: 'logon',
      available: true,
      failure: false,
      spiVersion: '1.1.0',
      provider: { name: '@spool/provider-loopback' },
    });
  });

  it('--profile selects a profile file elsewhere', () => {
    const dir = temporaryDir();
    spool(['init', 'conf'], dir);
    const result = spool(['status', '--json', '--profile', 'conf/spool.config.yaml'], dir);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).rows[0].id).toBe('loopback/default');
  });
});

describe('spool provider link', () => {
  it('refuses a provider whose SPI range excludes this host, without running any of its code', () => {
    const dir = temporaryDir();
    spool(['init'], dir);
    const before = readFileSync(join(dir, 'spool.config.yaml'), 'utf8');
    const provider = copyFixture('future-provider', dir);
    const marker = join(dir, 'marker');
    const result = spool(['provider', 'link', provider], dir, { SPOOL_TEST_MARKER: marker });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^SPOOL_E_SPI_MISMATCH: spool-provider-future-cli@2\.0\.0 .* needs SPI \^99\.0\.0/,
    );
    expect(result.stderr).toContain('fix: ');
    expect(() => readFileSync(marker)).toThrow();
    expect(readFileSync(join(dir, 'spool.config.yaml'), 'utf8')).toBe(before);
  });

  it('links a good provider folder as a relative path, keeping the YAML comments, and it then loads', () => {
    const dir = temporaryDir();
    spool(['init'], dir);
    mkdirSync(join(dir, 'vendor'));
    copyFixture('good-provider', join(dir, 'vendor'));
    const result = spool(['provider', 'link', 'vendor/good-provider', '--json'], dir);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      id: 'good-provider',
      provider: './vendor/good-provider',
      name: 'spool-provider-good-cli',
      version: '1.2.3',
      spiVersion: '1.1.0',
      addressTypes: ['GOOD'],
      loaded: true,
    });
    const text = readFileSync(join(dir, 'spool.config.yaml'), 'utf8');
    expect(text).toContain('provider: ./vendor/good-provider');
    expect(text).toContain('# Transport providers, in routing order');
    // The commented top-level keys stay top-level, after the new entry.
    expect(text).toMatch(
      /^ {2}- provider: loopback\n(^ {4}#.*\n)+^ {2}- provider: \.\/vendor\/good-provider\n {4}addressTypes: \[ GOOD \]\n\n^# /m,
    );
    expect(text).toMatch(/^# retry:$/m);

    const list = JSON.parse(spool(['provider', 'list', '--json'], dir).stdout);
    expect(
      list.map((row: { id: string; source: string; state: string }) => [row.id, row.source, row.state]),
    ).toEqual([
      ['loopback', 'builtin', 'active'],
      ['good-provider', 'path', 'active'],
    ]);

    const again = spool(['provider', 'link', 'vendor/good-provider'], dir);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('SPOOL_E_ALREADY_LINKED');
  });

  it('writes a ../ path when the provider is outside the profile directory, into a JSON profile', () => {
    const root = temporaryDir();
    const app = join(root, 'app');
    mkdirSync(app);
    writeFileSync(
      join(app, 'spool.config.json'),
      `${JSON.stringify({ providers: ['loopback'] }, null, 2)}\n`,
    );
    copyFixture('good-provider', root);
    const result = spool(['provider', 'link', '../good-provider', '--id', 'mine'], app);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('linked ../good-provider as "mine"');
    expect(JSON.parse(readFileSync(join(app, 'spool.config.json'), 'utf8'))).toEqual({
      providers: ['loopback', { id: 'mine', provider: '../good-provider', addressTypes: ['GOOD'] }],
    });
  });

  it('warns about a provider that is not built, and links it without loading it', () => {
    const dir = temporaryDir();
    spool(['init'], dir);
    copyFixture('unbuilt-provider', dir);
    const result = spool(['provider', 'link', 'unbuilt-provider'], dir);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(
      /^warning: spool-provider-unbuilt@0\.0\.1: its entry module .* does not exist/,
    );
    expect(readFileSync(join(dir, 'spool.config.yaml'), 'utf8')).toContain('provider: ./unbuilt-provider');
  });

  it('refuses to rewrite a JS or TS profile, and says what to add by hand', () => {
    const dir = temporaryDir();
    const profile = "export default { providers: ['loopback'] };\n";
    writeFileSync(join(dir, 'spool.config.mjs'), profile);
    copyFixture('good-provider', dir);
    const result = spool(['provider', 'link', 'good-provider'], dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^SPOOL_E_PROFILE_NOT_EDITABLE: /);
    expect(result.stderr).toContain('"provider":"./good-provider"');
    expect(readFileSync(join(dir, 'spool.config.mjs'), 'utf8')).toBe(profile);
  });
});
