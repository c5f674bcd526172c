import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spool, temporaryDir } from './helpers.js';

describe('spool init', () => {
  it('writes a commented spool.config.yaml that loads, with the built-in loopback provider', () => {
    const dir = temporaryDir();
    const init = spool(['init'], dir);
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    const text = readFileSync(join(dir, 'spool.config.yaml'), 'utf8');
    expect(text).toContain('provider: loopback');
    expect(text).toMatch(/^# /m);
    const list = spool(['provider', 'list', '--json'], dir);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toMatchObject([{ id: 'loopback', state: 'active', source: 'builtin' }]);
  });

  it('writes into the directory given, creating it', () => {
    const dir = temporaryDir();
    const result = spool(['init', 'sub/project', '--json'], dir);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      file: join(dir, 'sub/project/spool.config.yaml'),
      providers: ['loopback'],
    });
    expect(existsSync(join(dir, 'sub/project/spool.config.yaml'))).toBe(true);
  });

  it('refuses to overwrite an existing profile (exit 1, coded) unless --force', () => {
    const dir = temporaryDir();
    writeFileSync(join(dir, 'spool.config.yaml'), 'providers: []\n');
    const refused = spool(['init'], dir);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^SPOOL_E_PROFILE_EXISTS: .*spool\.config\.yaml/);
    expect(refused.stderr).toContain('fix: ');
    expect(readFileSync(join(dir, 'spool.config.yaml'), 'utf8')).toBe('providers: []\n');

    expect(spool(['init', '--force'], dir).code).toBe(0);
    expect(readFileSync(join(dir, 'spool.config.yaml'), 'utf8')).toContain('provider: loopback');
  });

  it('treats any profile cosmiconfig would find as existing, even with --force', () => {
    const dir = temporaryDir();
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'app', spool: { providers: [] } }));
    const refused = spool(['init', '--force'], dir);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('SPOOL_E_PROFILE_EXISTS');
    expect(existsSync(join(dir, 'spool.config.yaml'))).toBe(false);
  });
});

describe('the command line', () => {
  it('exits 2 with a coded message on a usage error, and 0 on --help', () => {
    const dir = temporaryDir();
    const unknown = spool(['frobnicate'], dir);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^SPOOL_E_USAGE: unknown command "frobnicate"/);
    expect(spool(['status', '--nope'], dir).code).toBe(2);
    expect(spool(['provider'], dir).code).toBe(2);
    const help = spool(['--help'], dir);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes: 0 ok, 1 user error');
  });

  it('prints no colour codes when stdout is not a TTY', () => {
    const dir = temporaryDir();
    spool(['init'], dir);
    const list = spool(['provider', 'list'], dir, { NO_COLOR: '' });
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for ANSI escapes.
    expect(list.stdout).not.toMatch(/\u001b\[/);
  });

  it('reports a missing profile with its code and a fix (exit 1)', () => {
    const dir = temporaryDir();
    const result = spool(['status'], dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^SPOOL_E_PROFILE_NOT_FOUND: /);
    expect(result.stderr).toContain('fix: Create one with `spool init`');
  });
});
