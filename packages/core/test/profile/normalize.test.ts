import { describe, expect, it } from 'vitest';
import { DEFAULT_TIMEOUTS } from '../../src/host/call-runner.js';
import { parseDuration } from '../../src/profile/duration.js';
import { normalizeProfile } from '../../src/profile/profile.js';
import { Redactor } from '../../src/util/redact.js';
import { caught } from '../helpers.js';

const FILE = '/srv/app/spool.config.yaml';
const normalize = (input: unknown, env: NodeJS.ProcessEnv = {}) =>
  normalizeProfile(input, { file: FILE, dir: '/srv/app', env });
const invalid = async (input: unknown, key: string, env: NodeJS.ProcessEnv = {}) => {
  const error = await caught(() => normalize(input, env));
  expect(error.code).toBe('SPOOL_E_PROFILE_INVALID');
  expect(error.message.startsWith(`${FILE}: ${key} `), error.message).toBe(true);
  expect(error.details).toMatchObject({ file: FILE, key, keys: [key] });
  expect(error.hint).toBeTruthy();
  return error;
};

describe('normalizeProfile: defaults', () => {
  it('fills every key with its documented default', () => {
    const profile = normalize({});
    expect(profile.providers).toEqual([]);
    expect(profile.defaultAddressType).toBe('SMTP');
    expect(profile.store.path).toBe('/srv/app/spool.db');
    expect(profile.retry).toEqual({
      schedule: [30_000, 120_000, 600_000, 1_800_000, 3_600_000, 7_200_000, 14_400_000],
      jitter: 0.2,
      maxAgeMs: 3 * 86_400_000,
    });
    expect(profile.retention).toEqual({});
    expect(profile.pollIntervalMs).toBe(5000);
    expect(profile.receiveFolders).toEqual({});
  });

  it('normalises provider entries: string shorthand, derived ids, accounts, timeouts', () => {
    const profile = normalize({
      providers: [
        'loopback',
        {
          provider: '@spool/provider-smtp',
          options: { host: 'h' },
          accounts: { alice: { user: 'a' }, bob: null },
        },
        {
          provider: 'spool-provider-x',
          accounts: [{ name: 'one', port: 1 }],
          timeouts: { inactivity: '5s', hardCap: 60000 },
        },
        { provider: './vendor/my-provider/' },
        { provider: '@acme/spool-provider-fancy', ignoreSpiRange: true },
        { id: 'smtp-eu', provider: 'smtp' },
      ],
    });
    expect(profile.providers.map((p) => p.id)).toEqual([
      'loopback',
      'smtp',
      'x',
      'my-provider',
      'fancy',
      'smtp-eu',
    ]);
    const [loop, smtp, x, , fancy] = profile.providers;
    expect(loop).toMatchObject({
      options: {},
      accounts: [{ name: 'default', options: {} }],
      keyPath: 'providers[0]',
    });
    expect(loop?.timeouts).toEqual(DEFAULT_TIMEOUTS);
    expect(loop?.ignoreSpiRange).toBe(false);
    expect(smtp?.accounts).toEqual([
      { name: 'alice', options: { user: 'a' } },
      { name: 'bob', options: {} },
    ]);
    expect(x?.accounts).toEqual([{ name: 'one', options: { port: 1 } }]);
    expect(x?.timeouts).toEqual({ inactivityMs: 5000, hardCapMs: 60000 });
    expect(fancy?.ignoreSpiRange).toBe(true);
  });

  it('resolves store.path against the profile directory unless absolute, and reads the other keys', () => {
    const profile = normalize({
      defaultAddressType: 'fax',
      store: { path: 'data/mail.db' },
      retry: { schedule: ['1s', 2000], jitter: 0, maxAge: '2h' },
      retention: { sent: '30d', deleted: '7d' },
      pollInterval: '250ms',
      receiveFolders: { REPORT: 'Reports' },
    });
    expect(profile.defaultAddressType).toBe('FAX');
    expect(profile.store.path).toBe('/srv/app/data/mail.db');
    expect(normalize({ store: { path: '/var/spool.db' } }).store.path).toBe('/var/spool.db');
    expect(profile.retry).toEqual({ schedule: [1000, 2000], jitter: 0, maxAgeMs: 7_200_000 });
    expect(profile.retention).toEqual({ sentMs: 30 * 86_400_000, deletedMs: 7 * 86_400_000 });
    expect(profile.pollIntervalMs).toBe(250);
    expect(profile.receiveFolders).toEqual({ REPORT: 'Reports' });
  });
});

describe('normalizeProfile: every error names the file and the key', () => {
  it.each([
    [[], '(top level)'],
    [{ providers: 'loopback' }, 'providers'],
    [{ providers: [{ options: {} }] }, 'providers[0]'],
    [{ providers: [{ provider: 'a', id: 'no spaces' }] }, 'providers[0].id'],
    [{ providers: ['loopback', 'loopback'] }, 'providers[1].id'],
    [{ providers: [{ provider: 'a', options: [] }] }, 'providers[0].options'],
    [{ providers: [{ provider: 'a', accounts: [] }] }, 'providers[0].accounts'],
    [{ providers: [{ provider: 'a', accounts: [{ user: 'x' }] }] }, 'providers[0].accounts[0]'],
    [{ providers: [{ provider: 'a', accounts: { alice: 'x' } }] }, 'providers[0].accounts.alice'],
    [{ providers: [{ provider: 'a', timeouts: '5s' }] }, 'providers[0].timeouts'],
    [{ providers: [{ provider: 'a', timeouts: { inactivity: 0 } }] }, 'providers[0].timeouts.inactivity'],
    [{ providers: [{ provider: 'a', timeouts: { hardCap: 'soon' } }] }, 'providers[0].timeouts.hardCap'],
    [{ providers: [{ provider: 'a', ignoreSpiRange: 'yes' }] }, 'providers[0].ignoreSpiRange'],
    [{ defaultAddressType: 'S M T P' }, 'defaultAddressType'],
    [{ store: 'spool.db' }, 'store'],
    [{ store: { path: 5 } }, 'store.path'],
    [{ retry: [] }, 'retry'],
    [{ retry: { schedule: [] } }, 'retry.schedule'],
    [{ retry: { schedule: ['1s', 'later'] } }, 'retry.schedule[1]'],
    [{ retry: { jitter: 1.5 } }, 'retry.jitter'],
    [{ retry: { maxAge: 'forever' } }, 'retry.maxAge'],
    [{ retention: 5 }, 'retention'],
    [{ retention: { sent: 'long' } }, 'retention.sent'],
    [{ pollInterval: 0 }, 'pollInterval'],
    [{ receiveFolders: { REPORT: 5 } }, 'receiveFolders'],
  ])('%j → %s', async (input, key) => {
    await invalid(input, key);
  });

  it('a profile given as an object (no file) says "profile"', async () => {
    const error = await caught(() => normalizeProfile({ pollInterval: -1 }, { dir: '/x', env: {} }));
    expect(error.message).toMatch(/^profile: pollInterval /);
    expect(error.details).toMatchObject({ file: null, key: 'pollInterval' });
  });
});

describe('${ENV} references and secrets', () => {
  it('substitutes variables anywhere in strings, inside lists and nested options', () => {
    const profile = normalize(
      {
        providers: [
          {
            provider: 'smtp',
            options: { url: 'smtp://${SMTP_USER}@${SMTP_HOST}:587', tags: ['${TAG}'] },
            accounts: { ops: { password: '${SMTP_PASSWORD}' } },
          },
        ],
        store: { path: '${DATA}/spool.db' },
      },
      {
        SMTP_USER: 'ops',
        SMTP_HOST: 'mail.example.com',
        TAG: 'eu',
        SMTP_PASSWORD: 'hunter22',
        DATA: '/data',
      },
    );
    const [smtp] = profile.providers;
    expect(smtp?.options).toEqual({ url: 'smtp://ops@mail.example.com:587', tags: ['eu'] });
    expect(smtp?.accounts[0]?.options).toEqual({ password: 'hunter22' });
    expect(profile.store.path).toBe('/data/spool.db');
  });

  it('a missing variable is SPOOL_E_ENV_MISSING naming the file, the key and the variable', async () => {
    const error = await caught(() =>
      normalize({ providers: [{ provider: 'smtp', options: { auth: { pass: '${SMTP_PASSWORD}' } } }] }),
    );
    expect(error.code).toBe('SPOOL_E_ENV_MISSING');
    expect(error.message).toBe(
      `${FILE}: providers[0].options.auth.pass refers to \${SMTP_PASSWORD}, but the environment variable SMTP_PASSWORD is not set`,
    );
    expect(error.details).toEqual({
      file: FILE,
      key: 'providers[0].options.auth.pass',
      variable: 'SMTP_PASSWORD',
    });
    expect(error.hint).toContain('SMTP_PASSWORD');
  });

  it('names list positions in the key of a missing variable', async () => {
    const error = await caught(() => normalize({ retry: { schedule: ['1s', '${SECOND}'] } }));
    expect(error.details.key).toBe('retry.schedule[1]');
  });

  it('registers env values and secret-looking keys with the redactor', () => {
    const profile = normalize(
      {
        providers: [
          {
            provider: 'smtp',
            options: { host: '${HOST}', password: 'literal-secret', apiKey: 'k-12345', user: 'plainuser' },
          },
        ],
      },
      { HOST: 'mail.internal.example' },
    );
    const redact = profile.redactor;
    expect(redact.text('connect mail.internal.example as plainuser with literal-secret / k-12345')).toBe(
      'connect *** as plainuser with *** / ***',
    );
  });

  it('an invalid value that came from a secret is redacted in the error', async () => {
    const error = await caught(() =>
      normalize({ defaultAddressType: '${TYPE}' }, { TYPE: 'not a type s3cret' }),
    );
    expect(error.code).toBe('SPOOL_E_PROFILE_INVALID');
    expect(error.message).not.toContain('s3cret');
  });
});

describe('Redactor', () => {
  it('masks every occurrence in text and deep in plain values, and ignores very short secrets', () => {
    const redactor = new Redactor();
    expect(redactor.empty).toBe(true);
    redactor.add('abc');
    expect(redactor.empty).toBe(true);
    redactor.add('topsecret');
    expect(redactor.text('topsecret and topsecret')).toBe('*** and ***');
    const date = new Date(0);
    expect(redactor.value({ a: ['x topsecret'], b: { c: 'topsecret' }, n: 1, date })).toEqual({
      a: ['x ***'],
      b: { c: '***' },
      n: 1,
      date,
    });
  });
});

describe('parseDuration', () => {
  it.each([
    [250, 250],
    ['250', 250],
    ['250ms', 250],
    ['30s', 30_000],
    ['1.5s', 1500],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['7d', 604_800_000],
    [' 10 s ', 10_000],
    [0, 0],
  ])('%j → %d ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it.each([
    [-1],
    [Number.NaN],
    [Number.POSITIVE_INFINITY],
    ['soon'],
    ['5 weeks'],
    ['-5s'],
    [''],
    [null],
    [{}],
  ])('rejects %j', (input) => {
    expect(parseDuration(input)).toBeUndefined();
  });
});
