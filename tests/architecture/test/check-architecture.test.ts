import { spawnSync } from 'node:child_process';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = join(import.meta.dirname, '..', '..', '..');
const script = join(repo, 'scripts', 'check-architecture.mjs');
const fixtures = join(import.meta.dirname, '..', 'fixtures');

/** Runs the check from the repository root (so it prints repo-relative paths) and returns exit code and output. */
function check(...args: string[]): { status: number | null; output: string } {
  const run = spawnSync(process.execPath, [script, ...args], { cwd: repo, encoding: 'utf8' });
  return { status: run.status, output: run.stdout + run.stderr };
}

/** How the check names a file of a fixture: relative to the repository root, where it runs. */
const shown = (fixture: string, file: string) => relative(repo, join(fixtures, fixture, file));

describe('check-architecture on fixtures, every rule enforced (--all)', () => {
  it('passes a tree that obeys every rule, including what only looks like a forbidden import', () => {
    const { status, output } = check('--root', join(fixtures, 'clean'), '--all');
    expect(status, output).toBe(0);
    expect(output).toMatch(/^check-architecture: 7 files in .* obey 3 rules \(/);
    expect(output.trim().split('\n')).toHaveLength(1);
  });

  it('fails sqlite-behind-factory for a stage importing the SQLite store, in every import form', () => {
    const { status, output } = check('--root', join(fixtures, 'sqlite-leak'), '--all');
    expect(status, output).toBe(1);
    expect(output).toContain(`${shown('sqlite-leak', 'pipeline/x.ts')}:2: sqlite-behind-factory: `);
    expect(output).toContain("imports '../store/sqlite/sqlite-store.js'");
    const other = shown('sqlite-leak', 'pipeline/other-forms.ts');
    // multi-line import list (reported at its first line), `export * from`, `import()`
    for (const line of [2, 7, 11]) expect(output).toContain(`${other}:${line}: sqlite-behind-factory: `);
    // store/sqlite/ importing its sibling is fine
    expect(output).not.toContain('store/sqlite/sqlite-store.ts:');
    expect(output).toMatch(/4 violations/);
  });

  it('fails file-size for a 401-line file and lets a 400-line one pass', () => {
    const { status, output } = check('--root', join(fixtures, 'too-long'), '--all');
    expect(status, output).toBe(1);
    expect(output).toContain(`${shown('too-long', 'long.ts')}:401: file-size: is 401 lines long`);
    expect(output).not.toContain('at-limit.ts');
  });

  it('fails logon-types-in-host for logon types imported by name outside host/', () => {
    const { status, output } = check('--root', join(fixtures, 'logon-leak'), '--all');
    expect(status, output).toBe(1);
    expect(output).toContain(
      `${shown('logon-leak', 'pipeline/y.ts')}:2: logon-types-in-host: uses TransportLogon from '@spool/spi'`,
    );
    expect(output).toContain(
      `${shown('logon-leak', 'pipeline/z.ts')}:4: logon-types-in-host: uses LogonHandle from '../host/provider-host.js'`,
    );
    // A re-export from any file but the internal barrel (index.ts here) is a leak too.
    expect(output).toContain(
      `${shown('logon-leak', 'index.ts')}:2: logon-types-in-host: uses LogonHandle from './host/provider-host.js'`,
    );
    expect(output).not.toContain('host/provider-host.ts:');
  });
});

describe('check-architecture switches', () => {
  it('without --all, the enforced rules still fail (every rule is switched on)', () => {
    const { status, output } = check('--root', join(fixtures, 'too-long'));
    expect(status, output).toBe(1);
    expect(output).toContain(`${shown('too-long', 'long.ts')}:401: file-size: `);
    expect(output).not.toContain('not enforced yet');
  });

  it('refuses an unknown argument and a root that does not exist (exit 2)', () => {
    expect(check('--bogus').status).toBe(2);
    expect(check('--root', join(fixtures, 'no-such-case')).status).toBe(2);
  });
});

describe('check-architecture on the real core', () => {
  // The real gate: packages/core/src must obey every rule that is switched on (as `pnpm lint` runs it).
  it('packages/core/src obeys the enforced rules', () => {
    const { status, output } = check();
    expect(status, output).toBe(0);
  });
});
