/**
 * What a profile file that cannot be used is reported as: empty (`SPOOL_E_PROFILE_EMPTY`), a syntax error
 * with line and column, an error thrown while importing a JS/TS profile (not a "syntax error"), and a YAML
 * alias bomb refused before anything expands it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_PROFILE_VALUES } from '../../src/profile/expansion.js';
import { loadProfile } from '../../src/profile/load-profile.js';
import { normalizeProfile } from '../../src/profile/profile.js';
import { caught, temporaryDir } from '../helpers.js';

describe('an empty profile is reported as empty', () => {
  it.each([
    ['spool.config.yaml', ''],
    ['spool.config.yaml', '# nothing here yet\n'],
    ['spool.config.json', '  \n'],
    ['.spoolrc', '\n'],
  ])('%s holding %j, named explicitly', async (name, text) => {
    const dir = temporaryDir();
    writeFileSync(join(dir, name), text);
    const error = await caught(() => loadProfile({ cwd: dir, file: name, env: {} }));
    expect(error.code).toBe('SPOOL_E_PROFILE_EMPTY');
    expect(error.message).toContain(`profile ${join(dir, name)} is empty`);
    expect(error.details).toEqual({ file: join(dir, name) });
  });

  it('found by the search when it is the only profile (not "no profile"); skipped when another follows', async () => {
    const dir = temporaryDir();
    writeFileSync(join(dir, 'spool.config.ts'), '');
    const error = await caught(() => loadProfile({ cwd: dir, env: {} }));
    expect(error.code).toBe('SPOOL_E_PROFILE_EMPTY');
    expect(error.message).toContain(join(dir, 'spool.config.ts'));
    writeFileSync(join(dir, 'spool.config.yaml'), 'providers: [loopback]\n');
    expect((await loadProfile({ cwd: dir, env: {} })).providers.map((p) => p.id)).toEqual(['loopback']);
  });
});

describe('a YAML alias bomb is refused, bounded in time', () => {
  /** Eleven levels of ten aliases each: about 720 bytes that expand to 10^11 values. */
  function aliasBomb(): string {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let level = 1; level <= 11; level++)
      lines.push(
        `a${level}: &a${level} [${Array(10)
          .fill(`*a${level - 1}`)
          .join(', ')}]`,
      );
    lines.push('providers: *a11');
    return `${lines.join('\n')}\n`;
  }

  it('a 1 KB file of nested aliases: SPOOL_E_PROFILE_INVALID in well under a second, no memory blow-up', async () => {
    const dir = temporaryDir();
    const text = aliasBomb();
    expect(text.length).toBeLessThan(1024);
    writeFileSync(join(dir, 'spool.config.yaml'), text);
    const started = performance.now();
    const error = await caught(() => loadProfile({ cwd: dir, env: {} }));
    expect(performance.now() - started).toBeLessThan(2000);
    expect(error.code).toBe('SPOOL_E_PROFILE_INVALID');
    expect(error.message).toContain(`expands to more than ${MAX_PROFILE_VALUES} values`);
    expect(error.message).toContain(join(dir, 'spool.config.yaml'));
  }, 10_000);

  it('ordinary anchors under x- keys, with merge keys, load', async () => {
    const dir = temporaryDir();
    writeFileSync(
      join(dir, 'spool.config.yaml'),
      `x-loop: &loop
  provider: loopback
  options: { latencyMs: 5 }
  timeouts: { inactivity: 30s }
providers:
  - <<: *loop
    id: one
  - <<: *loop
    id: two
    x-note: the second one
`,
    );
    const profile = await loadProfile({ cwd: dir, env: {} });
    expect(profile.providers.map((p) => [p.id, p.options, p.timeouts.inactivityMs])).toEqual([
      ['one', { latencyMs: 5 }, 30_000],
      ['two', { latencyMs: 5 }, 30_000],
    ]);
  });

  it('a JS profile that contains itself is refused, not walked forever', async () => {
    const cyclic: Record<string, unknown> = { providers: [] };
    cyclic.self = cyclic;
    const error = await caught(() => normalizeProfile(cyclic, { dir: '/x', env: {} }));
    expect(error.code).toBe('SPOOL_E_PROFILE_INVALID');
    expect(error.message).toBe('profile: refers to itself (a value contains itself)');
  });
});

describe('syntax errors say where', () => {
  it('JSON: line and column', async () => {
    const dir = temporaryDir();
    writeFileSync(join(dir, 'spool.config.json'), '{\n  "providers": [\n    "loopback"\n  }\n}\n');
    const error = await caught(() => loadProfile({ cwd: dir, env: {} }));
    expect(error.code).toBe('SPOOL_E_PROFILE_INVALID');
    expect(error.message).toMatch(/spool\.config\.json: syntax error at line 4, column 3: Expected ','/);
    expect(error.details).toMatchObject({ reason: 'syntax', line: 4, column: 3 });
  });

  it('YAML: line and column', async () => {
    const dir = temporaryDir();
    writeFileSync(join(dir, 'spool.config.yaml'), 'providers:\n  - provider: loopback\n   id: x\n');
    const error = await caught(() => loadProfile({ cwd: dir, env: {} }));
    expect(error.code).toBe('SPOOL_E_PROFILE_INVALID');
    expect(error.message).toContain('syntax error at line 3, column 4: bad indentation');
    expect(error.details).toMatchObject({ reason: 'syntax', line: 3, column: 4 });
  });
});

const coreDist = fileURLToPath(new URL('../../dist/index.js', import.meta.url));

/**
 * JS and TS profiles as plain Node imports them (Vitest compiles .ts itself, with other errors): one child
 * process loads every case from the built @spool/core and prints what each error was.
 */
describe('JS and TS profiles, outside the test runner', () => {
  // Never skipped: without the build this fails and says how to fix it (`./dev test` builds first).
  beforeAll(() => {
    if (!existsSync(coreDist)) throw new Error(`${coreDist} is missing: run \`pnpm build\` before the tests`);
  });
  const cases: Record<string, string> = {
    'ts-syntax/spool.config.ts': 'const a: number = 1;\nexport default { providers: [ 1 2 ] };\n',
    'ts-enum/spool.config.ts': 'const a = 1;\nenum Mode { A }\nexport default {};\n',
    'mjs-syntax/spool.config.mjs': 'const a = 1;\n\nexport default { providers: [ 1 2 ] };\n',
    'ts-throws/spool.config.ts': 'const port: number = 25;\nthrow new Error(`no port ${port}`);\n',
    'mjs-throws/spool.config.mjs': 'const a = 1;\n  JSON.parse("{");\nexport default {};\n',
    'ts-import/spool.config.ts': "import './missing.js';\nexport default {};\n",
    'ts-nothing/spool.config.ts': 'const unused: number = 1;\n',
  };
  let results: Record<string, { code: string; message: string; details: Record<string, unknown> }> = {};
  const dir = mkdtempSync(join(tmpdir(), 'spool-read-errors-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  beforeAll(() => {
    const files = Object.keys(cases).map((name) => {
      const file = join(dir, name);
      mkdirSync(join(file, '..'), { recursive: true });
      writeFileSync(file, cases[name]!);
      return [name, file] as const;
    });
    const script = `const { loadProfile } = await import(${JSON.stringify(coreDist)});
const out = {};
for (const [name, file] of ${JSON.stringify(files)}) {
  try { await loadProfile({ file, env: {} }); out[name] = { code: 'loaded' }; }
  catch (e) { out[name] = { code: e.code, message: e.message, details: e.details }; }
}
process.stdout.write(JSON.stringify(out));`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.stderr).toBe('');
    results = JSON.parse(result.stdout);
    expect(Object.keys(results)).toHaveLength(Object.keys(cases).length);
  }, 30_000);

  it('a .ts syntax error gives line and column', () => {
    const error = results['ts-syntax/spool.config.ts'];
    expect(error?.code).toBe('SPOOL_E_PROFILE_INVALID');
    expect(error?.message).toMatch(/spool\.config\.ts: syntax error at line 2, column 33: Expected ','/);
    expect(error?.details).toMatchObject({ reason: 'syntax', line: 2, column: 33 });
  });

  it('TypeScript that type stripping cannot run (an enum) is a syntax error at its line', () => {
    const error = results['ts-enum/spool.config.ts'];
    expect(error?.message).toMatch(/syntax error at line 2, column 1: TypeScript enum is not supported/);
  });

  it('a .mjs syntax error gives line and column too', () => {
    const error = results['mjs-syntax/spool.config.mjs'];
    expect(error?.message).toMatch(
      /spool\.config\.mjs: syntax error at line 3, column 33: Unexpected number/,
    );
  });

  it('an error thrown while importing says so, with where it was thrown, and is no "syntax error"', () => {
    const thrown = results['ts-throws/spool.config.ts'];
    expect(thrown?.code).toBe('SPOOL_E_PROFILE_INVALID');
    expect(thrown?.message).toMatch(
      /^importing the profile .*spool\.config\.ts failed at line 2, column 7: Error: no port 25$/,
    );
    expect(thrown?.details).toMatchObject({ reason: 'import', line: 2, column: 7 });
    // A SyntaxError thrown by the profile's code at run time is still an import failure, not a syntax error.
    const parse = results['mjs-throws/spool.config.mjs'];
    expect(parse?.message).toMatch(/^importing the profile .* failed at line 2, column 8: SyntaxError: /);
    expect(parse?.message).not.toContain('syntax error');
    const missing = results['ts-import/spool.config.ts'];
    expect(missing?.message).toMatch(/^importing the profile .* failed: Error: Cannot find module/);
  });

  it('a .ts profile that exports nothing is empty', () => {
    const error = results['ts-nothing/spool.config.ts'];
    expect(error?.code).toBe('SPOOL_E_PROFILE_EMPTY');
    expect(error?.message).toContain('is empty (it holds no keys and exports nothing)');
  });
});
