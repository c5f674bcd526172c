import { resolve } from 'node:path';
import { loadProfile } from '../profile/load-profile.js';
import { normalizeProfile, type Profile, type ProfileInput } from '../profile/profile.js';
import { Redactor } from '../util/redact.js';
import { Spooler } from './spooler.js';
import type { SpoolerOptions } from './types.js';

/** What `createSpooler` accepts: a loaded profile, a raw profile object, or where to find the profile file. */
export type CreateSpoolerOptions = Omit<SpoolerOptions, 'profile'> & {
  /** A loaded profile, or a raw one as it would be written in a file (relative paths resolve from `cwd`). */
  readonly profile?: Profile | ProfileInput;
  /** A profile file to load instead (cosmiconfig formats). */
  readonly profileFile?: string;
  /** Where to search for the profile, and the base of a raw profile's relative paths (default: process.cwd()). */
  readonly cwd?: string;
};

/**
 * Creates and starts a spooler; see {@link Spooler}. With neither `profile` nor `profileFile`, the profile is
 * searched in `cwd` (spool.config.*, .spoolrc*, package.json "spool").
 */
export async function createSpooler(options: CreateSpoolerOptions = {}): Promise<Spooler> {
  const { profile: given, profileFile, cwd, ...rest } = options;
  let profile: Profile;
  if (given && 'redactor' in given && given.redactor instanceof Redactor) profile = given as Profile;
  else if (given) profile = normalizeProfile(given, { dir: resolve(cwd ?? process.cwd()) });
  else
    profile = await loadProfile({ ...(profileFile ? { file: profileFile } : {}), ...(cwd ? { cwd } : {}) });
  return Spooler.create({ ...rest, profile });
}
