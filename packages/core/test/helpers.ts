import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import { normalizeProfile, type Profile } from '../src/profile/profile.js';
import type { LogSink } from '../src/util/logger.js';

/** The profile directory whose node_modules holds the fixture providers. */
export const FIXTURE_PROFILE_DIR = resolve(fileURLToPath(new URL('.', import.meta.url)), 'fixtures/profile');

/** A profile for the fixture directory (or another), from the raw input a user would write. */
export function fixtureProfile(input: Record<string, unknown>, dir = FIXTURE_PROFILE_DIR): Profile {
  return normalizeProfile(input, { file: join(dir, 'spool.config.json'), dir });
}

/** A log sink that keeps records for assertions. */
export function memorySink(): LogSink & {
  records: { level: string; message: string; fields: Record<string, unknown> }[];
} {
  const records: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  const sink = ((level, fields, message) => {
    records.push({ level, message, fields });
  }) as LogSink & { records: typeof records };
  sink.records = records;
  return sink;
}

const temporaryDirs: string[] = [];
/** A temporary directory removed after the test. */
export function temporaryDir(prefix = 'spool-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temporaryDirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of temporaryDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Runs `fn` and returns what it threw (failing the test if it did not throw). */
export async function caught(
  fn: () => unknown,
): Promise<Error & { code: string; hint?: string; details: Record<string, unknown> }> {
  try {
    await fn();
  } catch (error) {
    return error as Error & { code: string; hint?: string; details: Record<string, unknown> };
  }
  throw new Error('expected an error, but the call succeeded');
}
