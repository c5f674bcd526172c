import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ErrorCode, messageOf, spoolError } from '../errors.js';
import { normalizeProfile, type Profile } from './profile.js';

/** The file names a profile may have, in the order they are searched (cosmiconfig's `searchPlaces`). */
export const PROFILE_FILES = [
  'package.json',
  '.spoolrc',
  '.spoolrc.json',
  '.spoolrc.yaml',
  '.spoolrc.yml',
  '.spoolrc.js',
  '.spoolrc.mjs',
  '.spoolrc.ts',
  'spool.config.ts',
  'spool.config.mjs',
  'spool.config.js',
  'spool.config.json',
  'spool.config.yaml',
  'spool.config.yml',
] as const;

/** JS and TS profiles are imported natively: Node strips TypeScript types itself, so no `typescript` is needed. */
async function importProfile(file: string): Promise<unknown> {
  const module = (await import(pathToFileURL(file).href)) as { default?: unknown };
  return module.default ?? module;
}

/** The file a search of `dir` reads first (what failed when the search throws). Reads no file but package.json. */
function firstCandidate(dir: string): string | undefined {
  for (const name of PROFILE_FILES) {
    const file = join(dir, name);
    if (!existsSync(file)) continue;
    if (name !== 'package.json') return file;
    try {
      if ((JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>).spool !== undefined)
        return file;
    } catch {
      return file;
    }
  }
  return undefined;
}

/** Where to find the profile: an explicit file, or a directory to search (the current one by default). */
export interface LoadProfileOptions {
  readonly file?: string;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Finds and loads the profile with cosmiconfig (`spool.config.{ts,mjs,js,json,yaml}`, `.spoolrc*`, or a
 * `"spool"` key in package.json), then normalises it. cosmiconfig is imported only here, so a library user
 * who passes a profile object never pays for it.
 */
export async function loadProfile(options: LoadProfileOptions = {}): Promise<Profile> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const { cosmiconfig } = await import('cosmiconfig');
  const explorer = cosmiconfig('spool', {
    searchPlaces: [...PROFILE_FILES],
    searchStrategy: 'none',
    loaders: { '.ts': importProfile, '.mjs': importProfile, '.js': importProfile },
  });
  let result: Awaited<ReturnType<typeof explorer.search>>;
  try {
    if (options.file) {
      const file = resolve(cwd, options.file);
      if (!existsSync(file)) {
        throw spoolError(
          ErrorCode.PROFILE_NOT_FOUND,
          `profile ${file} does not exist`,
          'Check the path, or create one with `spool init`.',
          { file },
        );
      }
      result = await explorer.load(file);
    } else {
      result = await explorer.search(cwd);
    }
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === ErrorCode.PROFILE_NOT_FOUND) throw error;
    const file = options.file ? resolve(cwd, options.file) : (firstCandidate(cwd) ?? cwd);
    throw spoolError(
      ErrorCode.PROFILE_INVALID,
      `could not read the profile ${file}: ${messageOf(error)}`,
      'Fix the syntax error shown above (YAML/JSON/JS); `spool init` writes a valid example.',
      { file },
      error,
    );
  }
  if (!result || result.isEmpty) {
    if (options.file) {
      const file = resolve(cwd, options.file);
      throw spoolError(
        ErrorCode.PROFILE_NOT_FOUND,
        `profile ${file} is empty`,
        'Write the profile into it, or create one with `spool init`.',
        { file },
      );
    }
    throw spoolError(
      ErrorCode.PROFILE_NOT_FOUND,
      `no spool profile in ${cwd} (looked for ${PROFILE_FILES.join(', ')})`,
      'Create one with `spool init`, or pass --profile <file>.',
      { cwd },
    );
  }
  return normalizeProfile(result.config, {
    file: result.filepath,
    dir: dirname(result.filepath),
    ...(options.env ? { env: options.env } : {}),
  });
}
