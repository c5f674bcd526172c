import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadProfile } from '../../src/profile/load-profile.js';
import { caught, temporaryDir } from '../helpers.js';

const YAML = `# a comment
providers:
  - provider: loopback
    options: { latencyMs: 5 }
defaultAddressType: loop
`;
const OBJECT = {
  providers: [{ provider: 'loopback', options: { latencyMs: 5 } }],
  defaultAddressType: 'loop',
};

/** Writes `files` into a fresh directory and loads the profile found there. */
async function loadFrom(files: Record<string, string>, options: { file?: string } = {}) {
  const dir = temporaryDir('spool-profile-');
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(resolve(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return { dir, profile: await loadProfile({ cwd: dir, env: {}, ...options }) };
}

const expectLoopback = (profile: Awaited<ReturnType<typeof loadProfile>>) => {
  expect(profile.providers).toHaveLength(1);
  expect(profile.providers[0]).toMatchObject({
    id: 'loopback',
    provider: 'loopback',
    options: { latencyMs: 5 },
  });
  expect(profile.defaultAddressType).toBe('LOOP');
};

describe('loadProfile: every place cosmiconfig looks', () => {
  it.each([
    ['spool.config.yaml', YAML],
    ['spool.config.yml', YAML],
    ['spool.config.json', JSON.stringify(OBJECT)],
    ['spool.config.mjs', `export default ${JSON.stringify(OBJECT)};\n`],
    ['spool.config.js', `export default ${JSON.stringify(OBJECT)};\n`],
    ['.spoolrc', YAML],
    ['.spoolrc.json', JSON.stringify(OBJECT)],
    ['.spoolrc.yaml', YAML],
  ])('%s', async (name, text) => {
    const { dir, profile } = await loadFrom({ [name]: text });
    expectLoopback(profile);
    expect(profile.file).toBe(join(dir, name));
    expect(profile.dir).toBe(dir);
  });

  it('spool.config.ts, with type annotations', async () => {
    const ts = `interface Entry { provider: string; options?: Record<string, unknown> }
const providers: Entry[] = [{ provider: 'loopback', options: { latencyMs: 5 as number } }];
export default { providers, defaultAddressType: 'loop' satisfies string };
`;
    const { profile } = await loadFrom({ 'spool.config.ts': ts });
    expectLoopback(profile);
  });

  it('"spool" in package.json', async () => {
    const { dir, profile } = await loadFrom({
      'package.json': JSON.stringify({ name: 'app', version: '1.0.0', spool: OBJECT }),
    });
    expectLoopback(profile);
    expect(profile.file).toBe(join(dir, 'package.json'));
  });

  it('a package.json without "spool" is skipped for the next place', async () => {
    const { profile } = await loadFrom({
      'package.json': JSON.stringify({ name: 'app' }),
      'spool.config.yaml': YAML,
    });
    expect(profile.file?.endsWith('spool.config.yaml')).toBe(true);
  });

  it('an empty file is skipped for the next place, as cosmiconfig does', async () => {
    const { profile } = await loadFrom({
      '.spoolrc': '\n',
      'spool.config.json': '',
      'spool.config.yaml': YAML,
    });
    expect(profile.file?.endsWith('spool.config.yaml')).toBe(true);
  });

  it('a package.json that is not JSON is reported against package.json', async () => {
    const error = await caught(() => loadFrom({ 'package.json': '{ nope', 'spool.config.yaml': YAML }));
    expect(error.code).toBe('SPOOL_E_PROFILE_INVALID');
    expect(String(error.details.file).endsWith('package.json')).toBe(true);
  });

  it('an explicit --profile file, relative to cwd, in any directory', async () => {
    const { dir, profile } = await loadFrom(
      { 'conf/prod.yaml': YAML, 'spool.config.json': '{}' },
      { file: 'conf/prod.yaml' },
    );
    expectLoopback(profile);
    expect(profile.dir).toBe(join(dir, 'conf'));
  });

  it('no profile: SPOOL_E_PROFILE_NOT_FOUND names the directory and the places it looked', async () => {
    const dir = temporaryDir();
    const error = await caught(() => loadProfile({ cwd: dir }));
    expect(error.code).toBe('SPOOL_E_PROFILE_NOT_FOUND');
    expect(error.message).toContain(dir);
    expect(error.message).toContain('spool.config.yaml');
    expect(error.hint).toContain('spool init');
  });

  it('a missing explicit file: SPOOL_E_PROFILE_NOT_FOUND; an empty one: SPOOL_E_PROFILE_EMPTY', async () => {
    const dir = temporaryDir();
    const missing = await caught(() => loadProfile({ cwd: dir, file: 'nope.yaml' }));
    expect(missing.code).toBe('SPOOL_E_PROFILE_NOT_FOUND');
    expect(missing.message).toContain(join(dir, 'nope.yaml'));
    writeFileSync(join(dir, 'empty.yaml'), '');
    const empty = await caught(() => loadProfile({ cwd: dir, file: 'empty.yaml' }));
    expect(empty.code).toBe('SPOOL_E_PROFILE_EMPTY');
    expect(empty.message).toContain(join(dir, 'empty.yaml'));
  });

  it('a syntax error: SPOOL_E_PROFILE_INVALID naming the file', async () => {
    for (const [name, text] of [
      ['spool.config.yaml', 'providers: [loopback\n'],
      ['spool.config.json', '{ "providers": '],
      ['spool.config.mjs', 'export default {;\n'],
    ] as const) {
      const error = await caught(() => loadFrom({ [name]: text }));
      expect(error.code, name).toBe('SPOOL_E_PROFILE_INVALID');
      expect(error.message, name).toContain(name);
      expect(error.details.file, name).toMatch(new RegExp(`${name.replace('.', '\\.')}$`));
    }
  });

  it('normalisation errors name the file and the key', async () => {
    const error = await caught(() =>
      loadFrom({
        'spool.config.yaml': 'providers:\n  - provider: loopback\n    timeouts: { hardCap: soon }\n',
      }),
    );
    expect(error.code).toBe('SPOOL_E_PROFILE_INVALID');
    expect(error.message).toMatch(
      /spool\.config\.yaml: providers\[0\]\.timeouts\.hardCap must be a duration .*, got "soon"/,
    );
    expect(error.details).toMatchObject({ key: 'providers[0].timeouts.hardCap' });
  });

  it('${ENV} references resolve from the environment given', async () => {
    const dir = temporaryDir();
    writeFileSync(
      join(dir, 'spool.config.yaml'),
      'providers:\n  - provider: smtp\n    options: { host: "${SMTP_HOST}" }\n',
    );
    const profile = await loadProfile({ cwd: dir, env: { SMTP_HOST: 'mail.example.com' } });
    expect(profile.providers[0]?.options).toEqual({ host: 'mail.example.com' });
  });
});

const coreDist = fileURLToPath(new URL('../../dist/index.js', import.meta.url));

describe('a TypeScript profile outside the test runner', () => {
  // Vitest compiles .ts itself; this proves plain Node loads the profile with its own type stripping
  // (no `typescript` at run time). It needs the built package.
  it('loads through Node’s own type stripping from the built @spool/core', () => {
    // Never skipped: without the build this fails and says how to fix it (`./dev test` builds first).
    expect(existsSync(coreDist), `${coreDist} is missing: run \`pnpm build\` before the tests`).toBe(true);
    const dir = temporaryDir();
    writeFileSync(
      join(dir, 'spool.config.ts'),
      "type Providers = { provider: string }[];\nconst providers: Providers = [{ provider: 'loopback' }];\nexport default { providers };\n",
    );
    const script = `const { loadProfile } = await import(${JSON.stringify(coreDist)});
const profile = await loadProfile({ cwd: ${JSON.stringify(dir)} });
process.stdout.write(JSON.stringify(profile.providers.map((p) => p.id)));`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual(['loopback']);
  });
});
