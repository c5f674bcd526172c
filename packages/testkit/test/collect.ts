import { isSpoolError } from '@spool/spi';

/** A check the suite registered, run by hand. */
export interface CollectedCheck {
  readonly name: string;
  readonly body: () => unknown;
  readonly timeout: number | undefined;
}

/**
 * Test functions that collect what the suite registers instead of running it (the injection point ESLint's
 * RuleTester also has), so a test can run each check and look at the error it throws.
 */
export function collector() {
  const checks: CollectedCheck[] = [];
  const titles: string[] = [];
  return {
    checks,
    titles,
    describe: (name: string, body: () => void) => {
      titles.push(name);
      body();
    },
    it: (name: string, body: () => unknown, timeout?: number) => {
      checks.push({ name, body, timeout });
    },
  };
}

/** Runs every collected check; returns check name prefix (before ':') → error code, or 'pass'. */
export async function runAll(checks: readonly CollectedCheck[]): Promise<Record<string, string>> {
  const results: Record<string, string> = {};
  for (const check of checks) {
    const key = check.name.split(':')[0]!;
    try {
      await check.body();
      results[key] = 'pass';
    } catch (error) {
      results[key] = isSpoolError(error) ? error.code : `uncoded: ${(error as Error).message}`;
    }
  }
  return results;
}

/** Runs the one check whose name starts with `prefix`, returning its error (or undefined when it passed). */
export async function errorOf(checks: readonly CollectedCheck[], prefix: string): Promise<Error | undefined> {
  const check = checks.find((c) => c.name.startsWith(prefix));
  if (!check) throw new Error(`no check named ${prefix}…; have ${checks.map((c) => c.name).join(' | ')}`);
  try {
    await check.body();
    return undefined;
  } catch (error) {
    return error as Error;
  }
}
