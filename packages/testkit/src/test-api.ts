import { SpoolError } from '@spool/spi';
import { TestkitErrorCode } from './errors.js';

/** A test body: may return a promise. */
export type TestBody = () => unknown;

/**
 * The test functions the suite registers its checks with — vitest's, jest's, mocha's or `node:test`'s all fit
 * (ESLint's RuleTester takes them the same way). `it` may accept a third argument (a timeout in ms, or an
 * options object); `timeoutMs` is passed there when the runner takes a number.
 */
export interface TestApi {
  /** Groups checks: `describe(name, body)`. */
  readonly describe: (name: string, body: () => void) => unknown;
  /** Registers one check: `it(name, body, timeout?)`. */
  readonly it: (name: string, body: TestBody, timeout?: number) => unknown;
}

/**
 * The test functions to use: the ones given, else the runner's globals (vitest with `globals: true`, jest,
 * mocha). Without either there is nowhere to register the checks, so this throws a coded error saying how to
 * pass them.
 */
export function resolveTestApi(given: Partial<TestApi>, caller: string): TestApi {
  const globals = globalThis as { describe?: unknown; it?: unknown; test?: unknown };
  const describe = given.describe ?? (typeof globals.describe === 'function' ? globals.describe : undefined);
  const it =
    given.it ??
    (typeof globals.it === 'function'
      ? globals.it
      : typeof globals.test === 'function'
        ? globals.test
        : undefined);
  if (typeof describe === 'function' && typeof it === 'function') {
    return { describe: describe as TestApi['describe'], it: it as TestApi['it'] };
  }
  const missing = [
    typeof describe === 'function' ? undefined : 'describe',
    typeof it === 'function' ? undefined : 'it',
  ]
    .filter(Boolean)
    .join(' and ');
  throw new SpoolError(
    TestkitErrorCode.NO_TEST_API,
    `${caller}: no test functions to register the checks with (${missing} not given, and no global ${missing} exists)`,
    {
      hint: `Pass them in: import { describe, it } from 'vitest'; ${caller}({ packageDir, addresses, describe, it }). Or turn on your runner's globals (vitest: test.globals = true in vitest.config.ts).`,
      details: { missing },
    },
  );
}
