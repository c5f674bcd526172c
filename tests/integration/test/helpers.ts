import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type CreateSpoolerOptions, createSpooler, type LogSink, type Spooler } from '@spool/core';
import { afterEach } from 'vitest';

const require = createRequire(import.meta.url);

/** The real loopback provider, as the CLI ships it: a built-in resolved from this package. */
export const LOOPBACK_DIR = dirname(require.resolve('@spool/provider-loopback/package.json'));
export const BUILTINS = { '@spool/provider-loopback': LOOPBACK_DIR };

/** Collects log records; tests print them only when they fail. */
export const quietSink: LogSink = () => {};

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** A temporary profile directory, removed after the test. */
export function profileDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'spool-it-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A spooler on a real store in `dir`, with loopback as a built-in; stopped after the test. */
export async function spoolerIn(
  dir: string,
  profile: Record<string, unknown>,
  options: Omit<CreateSpoolerOptions, 'profile'> = {},
): Promise<Spooler> {
  const spooler = await createSpooler({
    profile,
    cwd: dir,
    builtins: BUILTINS,
    logSink: quietSink,
    autoStart: false,
    ...options,
  });
  cleanup.push(() => spooler.stop({ mode: 'hurry' }));
  return spooler;
}

/** A clock the test moves by hand. */
export function fakeClock(start = Date.UTC(2026, 0, 1)) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}
