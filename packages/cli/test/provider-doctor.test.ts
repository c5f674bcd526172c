/**
 * `spool provider doctor` on a profile that does not load: every problem, coded, and nothing started (no
 * store file, no provider logged on). Also the built-in providers' strict options, as the doctor shows them.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spool, temporaryDir, validateAgainstSchema } from './helpers.js';

interface Report {
  ok: boolean;
  profile: string;
  providers: unknown[];
  problems: { entry: string; kind: string; code: string | null; message: string; fix: string }[];
}

describe('spool provider doctor: profile errors', { timeout: 30_000 }, () => {
  it('lists every bad key of the profile, coded, exits 1, and starts nothing', () => {
    const dir = temporaryDir();
    const file = join(dir, 'spool.config.yaml');
    writeFileSync(
      file,
      'retires: { schedule: [30s] }\nproviders:\n  - provider: loopback\n  - provider: loopback\n    id: two\n    option: { latencyMs: 1 }\nretry: { schedule: [1e20] }\n',
    );
    const result = spool(['provider', 'doctor', '--json'], dir);
    expect(result.code, result.stderr).toBe(1);
    const report = JSON.parse(result.stdout) as Report;
    validateAgainstSchema('provider-doctor', report);
    expect(report).toMatchObject({ ok: false, profile: file, providers: [] });
    expect(report.problems.map((p) => [p.kind, p.code, p.entry])).toEqual([
      ['profile-invalid', 'SPOOL_E_PROFILE_UNKNOWN_KEY', '(profile)'],
      ['profile-invalid', 'SPOOL_E_PROFILE_UNKNOWN_KEY', '(profile)'],
      ['profile-invalid', 'SPOOL_E_PROFILE_INVALID', '(profile)'],
    ]);
    expect(report.problems[0]?.message).toBe(
      `${file}: retires is not a key of the profile; did you mean "retry"?`,
    );
    expect(report.problems[1]?.message).toBe(
      `${file}: providers[1].option is not a key of a provider entry; did you mean "options"?`,
    );
    expect(report.problems[2]?.message).toBe(
      `${file}: retry.schedule[0] must be at most 30d, got 100000000000000000000`,
    );
    // Nothing was started: no store, no provider data directories.
    expect(existsSync(join(dir, 'spool.db'))).toBe(false);
    expect(existsSync(join(dir, '.spool'))).toBe(false);
  });

  it('prints the problems for people, with their fixes', () => {
    const dir = temporaryDir();
    writeFileSync(join(dir, 'spool.config.yaml'), 'stroe: { path: x.db }\n');
    const result = spool(['provider', 'doctor'], dir);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`1 problem in ${join(dir, 'spool.config.yaml')}:`);
    expect(result.stdout).toContain('- (profile): SPOOL_E_PROFILE_UNKNOWN_KEY: ');
    expect(result.stdout).toContain('stroe is not a key of the profile; did you mean "store"?');
    expect(result.stdout).toContain('fix: Rename it to "store"');
    expect(result.stdout).not.toContain('no providers in the profile');
  });

  it('an empty profile is one coded problem', () => {
    const dir = temporaryDir();
    writeFileSync(join(dir, 'spool.config.yaml'), '# to do\n');
    const result = spool(['provider', 'doctor', '--json'], dir);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as Report;
    validateAgainstSchema('provider-doctor', report);
    expect(report.problems).toEqual([
      expect.objectContaining({ kind: 'profile-invalid', code: 'SPOOL_E_PROFILE_EMPTY' }),
    ]);
  });

  it('a built-in provider refuses an unknown option, in a plain sentence with the closest option', () => {
    const dir = temporaryDir();
    writeFileSync(
      join(dir, 'spool.config.yaml'),
      'providers:\n  - provider: loopback\n    options: { maxInFlite: 3, latencyMs: twenty }\n',
    );
    const result = spool(['provider', 'doctor', '--json'], dir);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as Report;
    const [problem] = report.problems;
    expect(problem).toMatchObject({ kind: 'load-failed', code: 'SPOOL_E_INVALID_OPTIONS' });
    expect(problem?.message).toContain(
      'providers[0].options.latencyMs must be an integer, got the string "twenty"',
    );
    expect(problem?.message).toContain(
      'providers[0].options.maxInFlite is not a known option; did you mean "maxInFlight"?',
    );
    expect(problem?.message).not.toMatch(/False boolean schema|Instance type/);
  });
});
