/**
 * SPI 1.1 is a minor: a provider built against the previous `@spool/spi` (SPI 1.0, commit 6a32f4d, vendored in
 * fixtures/spi-1.0-provider/spi-1.0) still builds, loads and passes the conformance suite on this host.
 *
 * The fixture is compiled here with the repository's real `tsc` against those 1.0 sources, into a temporary
 * package: `dist/` is the provider, and `node_modules/@spool/spi` its own compiled 1.0 copy — what tsup's
 * bundling gives a published provider (tsc does not bundle). Nothing of the workspace's current @spool/spi is
 * in its build or on its run-time path.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createSpooler, HOST_SPI_VERSIONS } from '@spool/core';
import { runConformance } from '@spool/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { profileDir, quietSink } from './helpers.js';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const FIXTURE = fileURLToPath(new URL('./fixtures/spi-1.0-provider/', import.meta.url));
const TSC = require.resolve('typescript/bin/tsc');

// Made now, filled in beforeAll: runConformance registers its checks synchronously with this folder.
const work = mkdtempSync(join(tmpdir(), 'spool-spi10-'));
const packageDir = join(work, 'spool-provider-spi10-fixture');
let compiledFiles: string[] = [];

/** Writes a copy of the built package whose manifest declares `range` (its meta follows: it reads package.json). */
function copyWithRange(range: string): string {
  const dir = join(work, `range-${range.replace(/\W/g, '')}`);
  cpSync(packageDir, dir, { recursive: true });
  const json = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ ...json, spool: { ...json.spool, spi: range } }));
  return dir;
}

beforeAll(async () => {
  const build = join(work, 'build');
  const { stdout } = await run(process.execPath, [
    TSC,
    '-p',
    join(FIXTURE, 'tsconfig.json'),
    '--outDir',
    build,
    '--listFiles',
  ]);
  compiledFiles = stdout.split('\n').filter((line) => line.trim() !== '');
  cpSync(join(FIXTURE, 'package.json'), join(packageDir, 'package.json'));
  cpSync(join(build, 'src'), join(packageDir, 'dist'), { recursive: true });
  const spi = join(packageDir, 'node_modules', '@spool', 'spi');
  cpSync(join(FIXTURE, 'spi-1.0', 'package.json'), join(spi, 'package.json'));
  cpSync(join(build, 'spi-1.0'), join(spi, 'dist'), { recursive: true });
}, 60_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('a provider built against SPI 1.0', () => {
  it('compiles with tsc against the 1.0 sources, not the current @spool/spi', () => {
    const spiSources = compiledFiles.filter((file) => file.includes(`${sep}spi-1.0${sep}`));
    expect(spiSources).toContain(join(FIXTURE, 'spi-1.0', 'index.ts'));
    expect(compiledFiles.some((file) => file.includes(`packages${sep}spi${sep}`))).toBe(false);
    expect(compiledFiles.some((file) => file.endsWith('address-type.ts'))).toBe(false);
    expect(readdirSync(join(packageDir, 'dist')).sort()).toEqual(['index.js', 'logon.js']);
    // The run-time copy is the 1.0 contract: no address-type helpers, SPI_VERSION 1.0.0.
    const spiDist = join(packageDir, 'node_modules', '@spool', 'spi', 'dist');
    expect(readFileSync(join(spiDist, 'version.js'), 'utf8')).toContain("SPI_VERSION = '1.0.0'");
    expect(readFileSync(join(spiDist, 'index.js'), 'utf8')).not.toContain('isAddressType');
  });

  it('loads through the real host at a 1.x SPI it implements, and delivers a message', async () => {
    const dir = profileDir();
    const spooler = await createSpooler({
      profile: { providers: [{ id: 'old', provider: packageDir, options: { folder: 'out' } }] },
      cwd: dir,
      logSink: quietSink,
      autoStart: false,
    });
    try {
      await spooler.submit({ to: ['OLDSPI:alice', 'oldspi:bob'], subject: 'from 1.1', text: 'hello' });
      expect(await spooler.runOnce()).toMatchObject({ delivered: 2, failed: 0, deferred: 0 });
      const row = spooler.status().find((r) => r.id === 'old/default');
      // ^1.0.0 gets the newest SPI the host implements: 1.1.0, which a 1.0 provider runs on unchanged.
      expect(row).toMatchObject({ spiVersion: '1.1.0', provider: { name: 'spool-provider-spi10-fixture' } });
      expect(HOST_SPI_VERSIONS).toContain(row?.spiVersion);
      const delivered = readdirSync(join(dir, 'out')).map((file) =>
        JSON.parse(readFileSync(join(dir, 'out', file), 'utf8')),
      );
      expect(delivered.map((d) => d.to).sort()).toEqual(['OLDSPI:alice', 'OLDSPI:bob']);
      expect(delivered[0]).toMatchObject({ spiVersion: '1.1.0', rendered: 'Subject: from 1.1\n\nhello\n' });
      // removePreprocessInfo ran for every preprocess: no rendered file is left in the logon's data folder.
      expect(readdirSync(join(dir, '.spool', 'data', 'old', 'default'))).toEqual([]);
    } finally {
      await spooler.stop({ mode: 'hurry' });
    }
  });

  it('is offered SPI 1.0.0 when its range stops there (~1.0.0)', async () => {
    const spooler = await createSpooler({
      profile: { providers: [{ id: 'tilde', provider: copyWithRange('~1.0.0') }] },
      cwd: profileDir(),
      logSink: quietSink,
      autoStart: false,
    });
    try {
      await spooler.submit({ to: 'OLDSPI:carol', subject: 'at 1.0' });
      expect(await spooler.runOnce()).toMatchObject({ delivered: 1 });
      expect(spooler.status().find((r) => r.id === 'tilde/default')).toMatchObject({ spiVersion: '1.0.0' });
    } finally {
      await spooler.stop({ mode: 'hurry' });
    }
  });
});

runConformance({
  packageDir,
  title: 'spool-provider-spi10-fixture (built against SPI 1.0) conformance',
  addresses: ['OLDSPI:alice', 'oldspi:bob'],
  options: {},
  describe,
  it,
  timeoutMs: 20_000,
});
