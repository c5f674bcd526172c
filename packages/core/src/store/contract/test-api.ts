/** A test body: may return a promise. */
export type TestBody = () => unknown;

/**
 * The test functions the suite registers its cases with: vitest's, jest's, mocha's or `node:test`'s all fit.
 * `it` may take a third argument, a timeout in ms (passed there).
 */
export interface TestApi {
  /** Groups cases: `describe(name, body)`; the body registers them synchronously. */
  readonly describe: (name: string, body: () => void) => unknown;
  /** Registers one case: `it(name, body, timeout?)`. */
  readonly it: (name: string, body: TestBody, timeout?: number) => unknown;
}

/**
 * The test functions to use: the ones given, else the runner's globals (vitest with `globals: true`, jest,
 * mocha). Without either there is nowhere to register the cases, so this throws, saying how to pass them.
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
  const missing = [typeof describe === 'function' ? '' : 'describe', typeof it === 'function' ? '' : 'it']
    .filter(Boolean)
    .join(' and ');
  throw new TypeError(
    `${caller}: no test functions to register the cases with (${missing} not given, and no global ${missing}). ` +
      `Pass them in: import { describe, it } from 'vitest'; ${caller}({ name, open, fresh, describe, it }).`,
  );
}
