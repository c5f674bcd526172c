import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runConformance } from '../src/index.js';
import { collector, errorOf, runAll } from './collect.js';
import { type Fault, writeProvider } from './fixtures/make-provider.js';

let work: string;
const dirs = new Map<Fault, string>();
const faults: Fault[] = [
  'none',
  'leaks-timer',
  'ignores-signal',
  'reports-every-recipient',
  'meta-mismatch',
  'leaves-files',
  'bad-schema',
  'no-keyword',
  'throwing-shutdown',
];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'spool-testkit-'));
  for (const fault of faults) dirs.set(fault, await writeProvider(join(work, fault), fault));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

function suiteFor(fault: Fault) {
  const api = collector();
  runConformance({
    packageDir: dirs.get(fault)!,
    addresses: ['FILE:alice', 'file:bob'],
    options: { folder: 'out' },
    describe: api.describe,
    it: api.it,
    timeoutMs: 5_000,
  });
  return api;
}

describe('runConformance', () => {
  it('registers one check per rule with the injected functions, passing the timeout to it()', () => {
    const api = suiteFor('none');
    expect(api.titles).toHaveLength(1);
    expect(api.checks.length).toBeGreaterThanOrEqual(14);
    expect(new Set(api.checks.map((c) => c.timeout))).toEqual(new Set([5_000]));
  });

  it('passes every check for a provider that keeps the contract', async () => {
    const results = await runAll(suiteFor('none').checks);
    expect(Object.entries(results).filter(([, result]) => result !== 'pass')).toEqual([]);
  });

  it.each([
    ['leaks-timer', 'logoff', /called support\.notifyNewMail\(\)/],
    ['ignores-signal', 'cancellation', /resolved .* although its signal was aborted/],
    [
      'reports-every-recipient',
      'submitMessage',
      /reported recipients \[0, 1, 2\] for the routed recipients \[0, 1\]/,
    ],
    ['leaves-files', 'preprocessors', /left files behind: pre-conformance-pre-delivered-run0/],
    ['bad-schema', 'options schema', /not valid JSON Schema 2020-12/],
    ['no-keyword', 'manifest', /lack "spool-provider"/],
  ] as const)(
    'fails the %s provider in the "%s" check with SPOOL_E_CONFORMANCE',
    async (fault, check, message) => {
      const { checks } = suiteFor(fault);
      const error = await errorOf(checks, check);
      expect(error).toMatchObject({ code: 'SPOOL_E_CONFORMANCE' });
      expect(error?.message).toMatch(message);
      expect(error?.message).toContain('spool-provider-kitfixture');
      expect((error as { hint?: string }).hint).toContain('docs/spi.md');
      // Every other check still passes: each rule is checked on its own. (The real host refuses a broken
      // schema too, so the checks that start one fail with the host's own code.)
      const results = await runAll(checks.filter((c) => !c.name.startsWith(check)));
      const others = Object.entries(results).filter(([, r]) => r !== 'pass');
      if (fault === 'bad-schema')
        expect(new Set(others.map(([, r]) => r))).toEqual(new Set(['SPOOL_E_INVALID_OPTIONS']));
      else expect(others).toEqual([]);
    },
  );

  it("reports a runtime meta that disagrees with package.json with the loader's SPOOL_E_META_MISMATCH", async () => {
    const error = await errorOf(suiteFor('meta-mismatch').checks, 'xpProviderInit');
    expect(error).toMatchObject({ code: 'SPOOL_E_META_MISMATCH' });
    expect(error?.message).toContain('address types: manifest [FILE], runtime [FILE, EXTRA]');
  });

  it('fails the shutdown check of a provider whose shutdown throws', async () => {
    const error = await errorOf(suiteFor('throwing-shutdown').checks, 'shutdown');
    expect(error).toMatchObject({ code: 'SPOOL_E_CONFORMANCE' });
    expect(error?.message).toContain('shutdown exploded');
  });

  it('throws SPOOL_E_TESTKIT_NO_TEST_API, saying how to pass them, when there are no test functions', () => {
    expect(() => runConformance({ packageDir: dirs.get('none')!, addresses: ['FILE:a'] })).toThrowError(
      expect.objectContaining({
        code: 'SPOOL_E_TESTKIT_NO_TEST_API',
        hint: expect.stringContaining("import { describe, it } from 'vitest'"),
      }),
    );
  });

  it('throws SPOOL_E_TESTKIT_BAD_USAGE without sample addresses', () => {
    const api = collector();
    expect(() => runConformance({ packageDir: dirs.get('none')!, addresses: [], ...api })).toThrowError(
      expect.objectContaining({ code: 'SPOOL_E_TESTKIT_BAD_USAGE' }),
    );
  });

  it('runs on an in-memory provider through a generated package', async () => {
    const module = (await import(join(dirs.get('none')!, 'dist', 'index.js'))) as { xpProviderInit: never };
    const api = collector();
    runConformance({
      provider: module.xpProviderInit,
      addresses: ['FILE:carol'],
      describe: api.describe,
      it: api.it,
    });
    const results = await runAll(api.checks);
    expect(Object.entries(results).filter(([, r]) => r !== 'pass')).toEqual([]);
  });
});
