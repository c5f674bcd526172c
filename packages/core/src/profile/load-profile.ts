import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ErrorCode, spoolError } from '../errors.js';
import { normalizeProfile, type Profile } from './profile.js';
import { readFailure } from './read-failure.js';

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

const isEmptyObject = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;

/** A JS or TS profile that exports nothing: reported as empty, like a file with nothing in it. */
const EXPORTS_NOTHING = Symbol('exports nothing');

/**
 * JS and TS profiles are imported natively: Node strips TypeScript types itself, so no `typescript` is
 * needed. The default export is the profile, else the named exports.
 */
async function importProfile(file: string): Promise<unknown> {
  const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  // A file with neither `import` nor `export` loads as CommonJS: its default is `module.exports`, `{}` when
  // it sets nothing (Node names that export 'module.exports' too).
  const commonJs = 'module.exports' in module;
  const exported = module.default;
  if (commonJs && isEmptyObject(exported)) return EXPORTS_NOTHING;
  if (exported !== undefined) return exported;
  const named = Object.keys(module);
  return named.length === 0 ? EXPORTS_NOTHING : { ...module };
}

/**
 * The profile file a search of `dir` finds: the first of {@link PROFILE_FILES} that exists and is not empty
 * (package.json only with a `"spool"` key) — what cosmiconfig's search does with `searchStrategy: 'none'`.
 * Reads no file but package.json and the sizes of the others.
 */
function findProfileFile(dir: string, skipped: string[]): string | undefined {
  for (const name of PROFILE_FILES) {
    const file = join(dir, name);
    if (!existsSync(file)) continue;
    if (name !== 'package.json') {
      if (readFileSync(file, 'utf8').trim() === '') {
        skipped.push(file);
        continue;
      }
      return file;
    }
    try {
      if ((JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>).spool !== undefined)
        return file;
    } catch {
      return file; // Broken JSON: loading it reports the syntax error against the file.
    }
  }
  return undefined;
}

/**
 * Reads one profile file; undefined when it is empty. JSON (and package.json) is parsed directly: it is the
 * common machine-written case, and cosmiconfig costs ~20 ms to import. YAML, `.spoolrc` and JS/TS go through
 * cosmiconfig, imported only then.
 */
async function readProfileFile(file: string): Promise<unknown> {
  if (file.endsWith('.json')) {
    const text = readFileSync(file, 'utf8');
    if (text.trim() === '') return undefined;
    const json = JSON.parse(text) as unknown;
    if (basename(file) !== 'package.json') return json;
    return typeof json === 'object' && json !== null ? (json as Record<string, unknown>).spool : undefined;
  }
  const { cosmiconfig } = await import('cosmiconfig');
  const explorer = cosmiconfig('spool', {
    searchPlaces: [...PROFILE_FILES],
    searchStrategy: 'none',
    cache: false,
    loaders: { '.ts': importProfile, '.mjs': importProfile, '.js': importProfile },
  });
  const result = await explorer.load(file);
  return !result || result.isEmpty || result.config === EXPORTS_NOTHING ? undefined : result.config;
}

/** `SPOOL_E_PROFILE_EMPTY` for a profile file with nothing in it (or only comments, or no exports). */
function emptyProfileError(file: string): Error {
  return spoolError(
    ErrorCode.PROFILE_EMPTY,
    `profile ${file} is empty (it holds no keys${/\.[cm]?[jt]s$/.test(file) ? ' and exports nothing' : ''})`,
    'Write the profile into it (`spool init` writes a commented example), or delete it.',
    { file },
  );
}

/** Where to find the profile: an explicit file, or a directory to search (the current one by default). */
export interface LoadProfileOptions {
  readonly file?: string;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Finds and loads the profile (`spool.config.{ts,mjs,js,json,yaml}`, `.spoolrc*`, or a `"spool"` key in
 * package.json, in the directory given — cosmiconfig's search places and loaders), then normalises it.
 * cosmiconfig is imported only for YAML and JS/TS files, so a JSON profile or a profile object never pays for it.
 */
export async function loadProfile(options: LoadProfileOptions = {}): Promise<Profile> {
  const cwd = resolve(options.cwd ?? process.cwd());
  let file: string;
  if (options.file) {
    file = resolve(cwd, options.file);
    if (!existsSync(file)) {
      throw spoolError(
        ErrorCode.PROFILE_NOT_FOUND,
        `profile ${file} does not exist`,
        'Check the path, or create one with `spool init`.',
        { file },
      );
    }
  } else {
    const skipped: string[] = [];
    const found = findProfileFile(cwd, skipped);
    // Empty files are skipped for the next place, as cosmiconfig does; when they are all there is, the
    // empty file is what to report, not "no profile".
    if (!found && skipped[0] !== undefined) throw emptyProfileError(skipped[0]);
    if (!found) {
      throw spoolError(
        ErrorCode.PROFILE_NOT_FOUND,
        `no spool profile in ${cwd} (looked for ${PROFILE_FILES.join(', ')})`,
        'Create one with `spool init`, or pass --profile <file>.',
        { cwd },
      );
    }
    file = found;
  }
  let config: unknown;
  try {
    config = await readProfileFile(file);
  } catch (error) {
    throw readFailure(file, error);
  }
  if (config === undefined || config === null) throw emptyProfileError(file);
  return normalizeProfile(config, {
    file,
    dir: dirname(file),
    ...(options.env ? { env: options.env } : {}),
  });
}
