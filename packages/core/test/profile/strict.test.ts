/**
 * Strict profiles (issue 14): unknown keys are refused with "did you mean" at every level the profile owns,
 * `x-` keys are allowed there, every bad key is listed at once with its file and path, and durations are
 * bounded so that nothing the spooler stores from them can become an invalid date.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_BREAKER } from '../../src/profile/entry-routing.js';
import { normalizeProfile } from '../../src/profile/profile.js';
import { caught } from '../helpers.js';

const FILE = '/srv/app/spool.config.yaml';
const normalize = (input: unknown) => normalizeProfile(input, { file: FILE, dir: '/srv/app', env: {} });

interface Problem {
  code: string;
  key: string;
  message: string;
  hint: string;
}
const problemsOf = async (input: unknown) => {
  const error = await caught(() => normalize(input));
  expect(error.code).toBe('SPOOL_E_PROFILE_INVALID');
  return { error, problems: error.details.problems as Problem[] };
};

describe('unknown keys', () => {
  it.each([
    [{ retires: { schedule: ['1s'] } }, 'retires', 'retry', 'the profile'],
    [{ stroe: { path: 'x.db' } }, 'stroe', 'store', 'the profile'],
    [{ pollIntervall: '5s' }, 'pollIntervall', 'pollInterval', 'the profile'],
    [
      { providers: ['loopback', { provider: 'smtp', option: {} }] },
      'providers[1].option',
      'options',
      'a provider entry',
    ],
    [
      { providers: [{ provider: 'smtp', acounts: {} }] },
      'providers[0].acounts',
      'accounts',
      'a provider entry',
    ],
    [
      { providers: [{ provider: 'smtp', timeouts: { hardcap: '1m' } }] },
      'providers[0].timeouts.hardcap',
      'hardCap',
      'timeouts',
    ],
    [
      { providers: [{ provider: 'smtp', breaker: { cooldown: '1m' } }] },
      'providers[0].breaker.cooldown',
      'coolDown',
      'a breaker',
    ],
    [{ retry: { schedul: ['1s'] } }, 'retry.schedul', 'schedule', 'the retry section'],
    [{ retry: { maxage: '1d' } }, 'retry.maxage', 'maxAge', 'the retry section'],
    [{ retention: { snet: '30d' } }, 'retention.snet', 'sent', 'the retention section'],
    [{ store: { paht: 'x.db' } }, 'store.paht', 'path', 'the embedded store'],
  ])('%j: %s, did you mean "%s"', async (input, key, suggestion, where) => {
    const { error, problems } = await problemsOf(input);
    expect(error.message).toBe(
      `${FILE}: ${key} is not a key of ${where}${where === 'the embedded store' ? ' (to use a store package, set store.kind)' : ''}; did you mean "${suggestion}"?`,
    );
    expect(error.details).toMatchObject({ file: FILE, key, keys: [key] });
    expect(problems).toEqual([expect.objectContaining({ code: 'SPOOL_E_PROFILE_UNKNOWN_KEY', key })]);
    expect(error.hint).toContain(`Rename it to "${suggestion}"`);
    expect(error.hint).toContain('x-');
  });

  it('a key like none lists the keys of its level', async () => {
    const { error } = await problemsOf({ daemon: { port: 8080 } });
    expect(error.message).toBe(
      `${FILE}: daemon is not a key of the profile (it takes providers, defaultAddressType, store, retry, retention, pollInterval, receiveFolders)`,
    );
  });

  it('every bad key is listed, each with the file and its path, in profile order', async () => {
    const { error, problems } = await problemsOf({
      retires: 3,
      stroe: {},
      providers: [
        { provider: 'loopback' },
        { provider: 'smtp', option: {}, timeouts: { inactivity: 'soon' } },
      ],
      retry: { schedul: [], jitter: 2 },
      retention: { snet: '1d' },
      pollInterval: 0,
    });
    expect(problems.map((p) => [p.code, p.key])).toEqual([
      ['SPOOL_E_PROFILE_UNKNOWN_KEY', 'retires'],
      ['SPOOL_E_PROFILE_UNKNOWN_KEY', 'stroe'],
      ['SPOOL_E_PROFILE_UNKNOWN_KEY', 'providers[1].option'],
      ['SPOOL_E_PROFILE_INVALID', 'providers[1].timeouts.inactivity'],
      ['SPOOL_E_PROFILE_UNKNOWN_KEY', 'retry.schedul'],
      ['SPOOL_E_PROFILE_INVALID', 'retry.jitter'],
      ['SPOOL_E_PROFILE_UNKNOWN_KEY', 'retention.snet'],
      ['SPOOL_E_PROFILE_INVALID', 'pollInterval'],
    ]);
    expect(error.message.split('\n')[0]).toBe(`8 problems in ${FILE}:`);
    for (const problem of problems) {
      expect(problem.message.startsWith(`${FILE}: ${problem.key} `), problem.message).toBe(true);
      expect(error.message).toContain(`  ${problem.message}`);
      expect(error.hint).toContain(`${problem.key}: `);
    }
    expect(error.message).toContain(
      `${FILE}: providers[1].option is not a key of a provider entry; did you mean "options"?`,
    );
  });

  it('the bad values of one entry or one section are listed together too', async () => {
    const { problems } = await problemsOf({
      providers: [
        { provider: 'a', options: [], timeouts: { inactivity: 0, hardCap: 'soon' }, ignoreSpiRange: 1 },
      ],
      retry: { schedule: [0], jitter: 1, maxAge: 0 },
    });
    expect(problems.map((p) => p.key)).toEqual([
      'providers[0].options',
      'providers[0].timeouts.inactivity',
      'providers[0].timeouts.hardCap',
      'providers[0].ignoreSpiRange',
      'retry.schedule[0]',
      'retry.jitter',
      'retry.maxAge',
    ]);
  });

  it('keys starting with x- are allowed at every level the profile owns, and are not carried', () => {
    const profile = normalize({
      'x-defaults': { anything: [1, 2] },
      providers: [
        { provider: 'loopback', 'x-note': 'primary', timeouts: { 'x-why': 'slow' }, breaker: { 'x-a': 1 } },
      ],
      retry: { 'x-comment': 'default schedule' },
      retention: { 'x-policy': 'GDPR' },
      store: { 'x-backup': 'nightly', path: 'x.db' },
    });
    expect(profile.providers[0]).not.toHaveProperty('x-note');
    expect(profile.providers[0]?.timeouts).not.toHaveProperty('x-why');
    expect(profile.store).toEqual({ kind: 'sqlite', path: '/srv/app/x.db' });
  });

  it('x- keys are not passed to a store package; its other keys are its own options', () => {
    const profile = normalize({ store: { kind: 'postgres', url: 'postgres://h/db', 'x-anchor': { a: 1 } } });
    expect(profile.store).toEqual({ kind: 'package', spec: 'postgres', options: { url: 'postgres://h/db' } });
  });
});

describe('bounded values', () => {
  it('retry.schedule: [1e20] is refused naming the maximum (it stored an invalid next-attempt date)', async () => {
    const { error } = await problemsOf({ retry: { schedule: [1e20] } });
    expect(error.message).toBe(`${FILE}: retry.schedule[0] must be at most 30d, got 100000000000000000000`);
    expect(error.hint).toContain('30d');
  });

  it('retry.schedule steps: up to 30 days, and more than 0 (0 would retry in a tight loop)', async () => {
    expect(normalize({ retry: { schedule: ['1ms', '30d'] } }).retry.schedule).toEqual([1, 30 * 86_400_000]);
    const over = await problemsOf({ retry: { schedule: ['1s', '31d'] } });
    expect(over.error.message).toBe(`${FILE}: retry.schedule[1] must be at most 30d, got "31d"`);
    const zero = await problemsOf({ retry: { schedule: [0] } });
    expect(zero.error.message).toBe(
      `${FILE}: retry.schedule[0] must be more than 0, got 0 (a zero delay would retry a failing hand-off in a tight loop)`,
    );
  });

  it('retry.maxAge: up to 365 days, and more than 0 (0 would bounce every message at once)', async () => {
    expect(normalize({ retry: { maxAge: '365d' } }).retry.maxAgeMs).toBe(365 * 86_400_000);
    const over = await problemsOf({ retry: { maxAge: '366d' } });
    expect(over.error.message).toBe(`${FILE}: retry.maxAge must be at most 365d, got "366d"`);
    const huge = await problemsOf({ retry: { maxAge: 1e20 } });
    expect(huge.error.details.key).toBe('retry.maxAge');
    const zero = await problemsOf({ retry: { maxAge: 0 } });
    expect(zero.error.message).toContain(
      'retry.maxAge must be more than 0, got 0 (a maximum age of 0 would fail',
    );
  });

  it('retention: 0 to 3650 days', async () => {
    expect(normalize({ retention: { sent: 0, deleted: '3650d' } }).retention).toEqual({
      sentMs: 0,
      deletedMs: 3650 * 86_400_000,
    });
    const over = await problemsOf({ retention: { sent: '3651d' } });
    expect(over.error.message).toBe(`${FILE}: retention.sent must be at most 3650d, got "3651d"`);
  });

  it('timers (pollInterval, timeouts): more than 0, at most a day (setTimeout fires a longer delay at once)', async () => {
    expect(normalize({ pollInterval: '1d' }).pollIntervalMs).toBe(86_400_000);
    const poll = await problemsOf({ pollInterval: '2d' });
    expect(poll.error.message).toBe(`${FILE}: pollInterval must be at most 1d, got "2d"`);
    const hardCap = await problemsOf({ providers: [{ provider: 'x', timeouts: { hardCap: '25d' } }] });
    expect(hardCap.error.message).toBe(
      `${FILE}: providers[0].timeouts.hardCap must be at most 1d, got "25d"`,
    );
    const zero = await problemsOf({ providers: [{ provider: 'x', timeouts: { inactivity: 0 } }] });
    expect(zero.error.message).toBe(`${FILE}: providers[0].timeouts.inactivity must be more than 0, got 0`);
  });

  it('a duration that is not one says what a duration is', async () => {
    const { error } = await problemsOf({ retry: { maxAge: 'forever' } });
    expect(error.message).toBe(
      `${FILE}: retry.maxAge must be a duration (milliseconds, or a number with ms, s, m, h or d), got "forever"`,
    );
  });
});

describe('entry keys for waiting mail, failover and the breaker', () => {
  it('defaults: no addressTypes, no failover, the breaker on with 5, 30s, 10m', () => {
    const [entry] = normalize({ providers: ['loopback'] }).providers;
    expect(entry).toMatchObject({ addressTypes: undefined, failover: false });
    expect(entry?.breaker).toEqual({ after: 5, coolDownMs: 30_000, maxCoolDownMs: 600_000 });
    expect(DEFAULT_BREAKER).toEqual(entry?.breaker);
  });

  it('addressTypes: a list of address types, stored upper-case without repeats', () => {
    const [entry] = normalize({
      providers: [{ provider: 'smtp', addressTypes: ['smtp', 'X-400', 'SMTP'] }],
    }).providers;
    expect(entry?.addressTypes).toEqual(['SMTP', 'X-400']);
  });

  it.each([
    ['SMTP', 'providers[0].addressTypes', 'must be a non-empty list of address types, got "SMTP"'],
    [[], 'providers[0].addressTypes', 'must be a non-empty list of address types, got []'],
    [['SMTP', 'no spaces'], 'providers[0].addressTypes[1]', 'must be an address type'],
    [['SMTP', 5], 'providers[0].addressTypes[1]', 'must be an address type'],
  ])('addressTypes: %j is refused at %s', async (addressTypes, key, problem) => {
    const { error } = await problemsOf({ providers: [{ provider: 'smtp', addressTypes }] });
    expect(error.message.startsWith(`${FILE}: ${key} ${problem}`), error.message).toBe(true);
  });

  it('failover: true or false', async () => {
    expect(normalize({ providers: [{ provider: 'a', failover: true }] }).providers[0]?.failover).toBe(true);
    const { error } = await problemsOf({ providers: [{ provider: 'a', failover: 'yes' }] });
    expect(error.message).toBe(`${FILE}: providers[0].failover must be true or false, got "yes"`);
  });

  it('breaker: false turns it off; true or a mapping turns it on, with the defaults for what it leaves out', () => {
    const [off, on, some, all] = normalize({
      providers: [
        { provider: 'a', id: 'off', breaker: false },
        { provider: 'a', id: 'on', breaker: true },
        { provider: 'a', id: 'some', breaker: { after: 3 } },
        { provider: 'a', id: 'all', breaker: { after: 1000, coolDown: '1m', maxCoolDown: '1h' } },
      ],
    }).providers;
    expect(off?.breaker).toBeUndefined();
    expect(on?.breaker).toEqual(DEFAULT_BREAKER);
    expect(some?.breaker).toEqual({ after: 3, coolDownMs: 30_000, maxCoolDownMs: 600_000 });
    expect(all?.breaker).toEqual({ after: 1000, coolDownMs: 60_000, maxCoolDownMs: 3_600_000 });
    // A cool-down longer than the default maximum raises the maximum with it.
    const [long] = normalize({ providers: [{ provider: 'a', breaker: { coolDown: '20m' } }] }).providers;
    expect(long?.breaker).toEqual({ after: 5, coolDownMs: 1_200_000, maxCoolDownMs: 1_200_000 });
  });

  it.each([
    [{ breaker: 'on' }, 'providers[0].breaker', 'must be false or a mapping, got "on"'],
    [{ breaker: { after: 0 } }, 'providers[0].breaker.after', 'must be a whole number from 1 to 1000, got 0'],
    [
      { breaker: { after: 1001 } },
      'providers[0].breaker.after',
      'must be a whole number from 1 to 1000, got 1001',
    ],
    [
      { breaker: { after: 2.5 } },
      'providers[0].breaker.after',
      'must be a whole number from 1 to 1000, got 2.5',
    ],
    [{ breaker: { coolDown: 'soon' } }, 'providers[0].breaker.coolDown', 'must be a duration'],
    [{ breaker: { coolDown: 0 } }, 'providers[0].breaker.coolDown', 'must be more than 0, got 0'],
    [{ breaker: { maxCoolDown: '2d' } }, 'providers[0].breaker.maxCoolDown', 'must be at most 1d, got "2d"'],
    [
      { breaker: { coolDown: '5m', maxCoolDown: '1m' } },
      'providers[0].breaker.maxCoolDown',
      'must be at least coolDown ("5m"), got "1m"',
    ],
  ])('%j is refused at %s', async (keys, key, problem) => {
    const { error } = await problemsOf({ providers: [{ provider: 'a', ...keys }] });
    expect(error.message.startsWith(`${FILE}: ${key} ${problem}`), error.message).toBe(true);
  });

  it('every bad entry key is listed, not only the first', async () => {
    const { problems } = await problemsOf({
      providers: [{ provider: 'a', addressTypes: [], failover: 1, breaker: { after: 0 } }],
    });
    expect(problems.map((p) => p.key)).toEqual([
      'providers[0].addressTypes',
      'providers[0].failover',
      'providers[0].breaker.after',
    ]);
  });

  it('a changed breaker, failover or addressTypes counts as a changed entry for a reload', async () => {
    const { diffProfiles } = await import('../../src/profile/diff.js');
    const before = normalize({ providers: ['loopback'] });
    const after = normalize({ providers: [{ provider: 'loopback', failover: true }] });
    expect(diffProfiles(before, after).changed).toEqual(['loopback']);
    expect(diffProfiles(before, normalize({ providers: ['loopback'] })).unchanged).toEqual(['loopback']);
  });
});
