/**
 * `spool provider doctor` and `spool provider info` as processes, on profiles built to hold each kind of
 * problem: a claim no recipient can reach, a fallback claim, a built-in overridden by an installed copy, two
 * copies on the resolution path, and an entry that does not load. No registry needed.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type CliResult, jsonOf, runSpool } from './cli.js';

const require = createRequire(import.meta.url);
const LOOPBACK = dirname(require.resolve('@spool/provider-loopback/package.json'));
const work = mkdtempSync(join(tmpdir(), 'spool-doctor-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let count = 0;
function profileWith(providers: unknown[]): string {
  const dir = join(work, `p${++count}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'spool.config.json'), JSON.stringify({ providers }, null, 2));
  return dir;
}

/** Puts a copy of the loopback package (package.json + dist: what npm would install) under `modules`. */
function copyLoopback(modules: string): string {
  const target = join(modules, '@spool', 'provider-loopback');
  cpSync(join(LOOPBACK, 'package.json'), join(target, 'package.json'));
  cpSync(join(LOOPBACK, 'dist'), join(target, 'dist'), { recursive: true });
  return target;
}

const spool = (dir: string, args: readonly string[]): Promise<CliResult> =>
  runSpool(args, { cwd: dir, env: { ...process.env, CI: 'true' } });

interface Doctor {
  ok: boolean;
  providers: {
    id: string;
    source: string;
    path: string;
    copies: { path: string; source: string; version: string | null }[];
    logons: { id: string; claims: { addressType: string; reach: string; after: string[] }[] }[];
    notes: string[];
  }[];
  problems: { entry: string; kind: string; code: string | null; message: string; fix: string }[];
}

describe('spool provider doctor', { timeout: 60_000 }, () => {
  it('finds a claim that can never be reached, tells a fallback claim apart, and exits 1', async () => {
    const dir = profileWith([
      { id: 'first', provider: 'loopback' },
      { id: 'twin', provider: 'loopback' },
      { id: 'other', provider: 'loopback', options: { addressTypes: ['LOOP', 'ECHO'] } },
    ]);
    const result = await spool(dir, ['provider', 'doctor', '--json']);
    expect(result.code, result.stderr).toBe(1);
    const doctor = jsonOf<Doctor>(result);
    expect(doctor.ok).toBe(false);
    const claims = Object.fromEntries(doctor.providers.map((p) => [p.id, p.logons[0]!.claims]));
    expect(claims).toEqual({
      first: [{ addressType: 'LOOP', reach: 'first', after: [] }],
      twin: [{ addressType: 'LOOP', reach: 'never', after: ['first/default'] }],
      other: [
        { addressType: 'LOOP', reach: 'fallback', after: ['first/default', 'twin/default'] },
        { addressType: 'ECHO', reach: 'first', after: [] },
      ],
    });
    expect(doctor.problems).toEqual([
      expect.objectContaining({ entry: 'twin', kind: 'unreachable-claim', code: null }),
    ]);
    expect(doctor.problems[0]!.fix).toContain('Remove the duplicate entry "twin"');
    expect(doctor.providers[2]!.notes).toEqual([
      'other/default gets LOOP recipients only when first/default, twin/default answer not-mine (they claim LOOP first)',
    ]);

    const text = await spool(dir, ['provider', 'doctor']);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('LOOP (never, after first/default)');
    expect(text.stdout).toMatch(/1 problem in .*spool\.config\.json:\n- twin: twin\/default claims LOOP/);
    expect(text.stdout).toContain('  fix: Remove the duplicate entry "twin"');
  });

  it('reports a built-in overridden by an installed copy as a note, and two copies on the path as a problem', async () => {
    const dir = profileWith(['loopback']);
    const installed = copyLoopback(join(dir, 'node_modules'));
    const clean = jsonOf<Doctor>(await spool(dir, ['provider', 'doctor', '--json']));
    expect(clean.ok).toBe(true);
    expect(clean.providers[0]).toMatchObject({ source: 'installed', path: installed });
    expect(clean.providers[0]!.copies).toEqual([
      { path: LOOPBACK, source: 'builtin', version: expect.any(String) },
    ]);
    expect(clean.providers[0]!.notes).toEqual([
      expect.stringContaining('the installed copy overrides the built-in one'),
    ]);

    const managed = copyLoopback(join(dir, '.spool', 'providers', 'node_modules'));
    const result = await spool(dir, ['provider', 'doctor', '--json']);
    expect(result.code).toBe(1);
    const doctor = jsonOf<Doctor>(result);
    expect(doctor.problems).toEqual([expect.objectContaining({ entry: 'loopback', kind: 'shadowed-copy' })]);
    expect(doctor.problems[0]!.message).toContain(
      `over ${doctor.providers[0]!.copies[0]!.version} at ${managed}`,
    );
    expect(doctor.problems[0]!.fix).toBe(
      `Remove the managed copy: npm uninstall @spool/provider-loopback --prefix ${join(dir, '.spool', 'providers')}`,
    );
  });

  it('reports an entry that does not load with its code and fix, and still describes the others', async () => {
    const dir = profileWith(['loopback', { provider: 'no-such-thing' }]);
    const result = await spool(dir, ['provider', 'doctor', '--json']);
    expect(result.code).toBe(1);
    const doctor = jsonOf<Doctor>(result);
    expect(doctor.providers.map((p) => p.id)).toEqual(['loopback', 'no-such-thing']);
    expect(doctor.problems).toEqual([
      expect.objectContaining({ entry: 'no-such-thing', kind: 'load-failed', code: 'SPOOL_E_NOT_INSTALLED' }),
    ]);
    expect(doctor.problems[0]!.fix).toContain('spool provider add no-such-thing');
  });

  it('exits 0 with "no problems found" on a healthy profile', async () => {
    const dir = profileWith(['loopback']);
    const result = await spool(dir, ['provider', 'doctor']);
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toMatch(/^loopback {2}@spool\/provider-loopback@\S+ {2}active$/m);
    expect(result.stdout).toMatch(/^ {2}from {6}builtin \//m);
    expect(result.stdout).toContain('  SPI       ^1.0.0 → 1.1.0');
    expect(result.stdout).toMatch(/no problems found in .*spool\.config\.json/);
  });
});

describe('spool provider info', { timeout: 60_000 }, () => {
  it('describes a built-in that is not in the profile yet', async () => {
    const dir = profileWith([]);
    const result = await spool(dir, ['provider', 'info', 'fax-sim', '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(jsonOf(result)).toMatchObject({
      inProfile: false,
      name: '@spool/provider-fax-sim',
      source: 'builtin',
      spiVersion: '1.1.0',
      manifestAddressTypes: ['FAX'],
      accounts: [],
      state: 'active',
      error: null,
    });
  });

  it('exits 1 with SPOOL_E_NOT_INSTALLED for a name that is neither an entry nor a package', async () => {
    const dir = profileWith(['loopback']);
    const result = await spool(dir, ['provider', 'info', 'nothing-here']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^SPOOL_E_NOT_INSTALLED: provider "nothing-here"/);
  });
});
