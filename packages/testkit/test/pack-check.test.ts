import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packCheck } from '../src/index.js';
import { writeProvider } from './fixtures/make-provider.js';

let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'spool-testkit-pack-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('packCheck', () => {
  it('packs, installs offline and loads a well-formed provider through the real loader', async () => {
    const dir = await writeProvider(join(work, 'good'));
    const report = await packCheck(dir, { packer: 'npm' });
    expect(report).toMatchObject({ name: 'spool-provider-kitfixture', version: '1.0.0', install: 'link' });
    expect(report.files).toEqual(['dist/index.js', 'package.json']);
    expect(report.meta.addressTypes).toEqual(['FILE']);
  });

  it('fails with SPOOL_E_PACK_CHECK when "files" leaves the built entry out of the tarball', async () => {
    const dir = await writeProvider(join(work, 'no-dist'), 'none', ['src']);
    const error = await packCheck(dir, { packer: 'npm' }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'SPOOL_E_PACK_CHECK',
      details: expect.objectContaining({
        loaderCode: 'SPOOL_E_NO_ENTRY',
        files: ['package.json', 'src/README.txt'],
      }),
    });
    expect((error as Error).message).toContain('did not load through the real loader');
    expect((error as { hint: string }).hint).toContain(
      '"files" in package.json includes the folder of "spool.entry"',
    );
  });

  it('fails when the code imports a package that "dependencies" does not declare (it would not be installed)', async () => {
    const dir = await writeProvider(join(work, 'undeclared'), 'none', ['dist'], { importsUndeclared: 'ajv' });
    // The author's folder resolves ajv (the kit's own node_modules is up the tree), so tests on the source pass.
    const error = await packCheck(dir, { packer: 'npm' }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'SPOOL_E_PACK_CHECK',
      details: expect.objectContaining({ loaderCode: 'SPOOL_E_IMPORT_FAILED' }),
    });
    expect((error as Error).message).toContain('a missing dependency');
    expect((error as { hint: string }).hint).toContain('devDependencies are not installed for users');
  });

  it('fails when CommonJS code (require) ships in an ESM package', async () => {
    const dir = await writeProvider(join(work, 'cjs'), 'none', ['dist'], { usesRequire: true });
    const error = await packCheck(dir, { packer: 'npm' }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'SPOOL_E_PACK_CHECK',
      details: expect.objectContaining({ loaderCode: 'SPOOL_E_IMPORT_FAILED' }),
    });
    expect((error as Error).message).toContain('require is not defined');
    expect((error as { hint: string }).hint).toContain('mixes ESM and CommonJS');
  });
});
