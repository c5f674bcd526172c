import { SpoolError } from '@spool/spi';
import semver from 'semver';
import { InstallErrorCode } from './errors.js';

/** A parsed `spool provider add` argument. */
export interface ProviderSpec {
  /** What the user typed. */
  readonly raw: string;
  /** The package names to try, in order (one for a full name; two for a short name). */
  readonly names: readonly string[];
  /** The semver range or dist-tag after `@`; `undefined` when none was given. */
  readonly range: string | undefined;
}

// npm's rules, roughly: lower case, URL-safe, no leading dot or underscore, at most one scope.
const NAME = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;

/** The prefix of full unscoped provider names (`spool-provider-fax-sim`). */
export const UNSCOPED_PROVIDER_PREFIX = 'spool-provider-';
/** The prefix of this repo's own providers (`@spool/provider-fax-sim`). */
export const SCOPED_PROVIDER_PREFIX = '@spool/provider-';

/**
 * The package names a name stands for, in the order to try them. A scoped name, or one that already starts
 * with `spool-provider-`, is used as-is; a short name `fax-sim` stands for `@spool/provider-fax-sim`, then
 * `spool-provider-fax-sim`.
 */
export function expandProviderName(name: string): string[] {
  if (name.startsWith('@') || name.startsWith(UNSCOPED_PROVIDER_PREFIX)) return [name];
  return [`${SCOPED_PROVIDER_PREFIX}${name}`, `${UNSCOPED_PROVIDER_PREFIX}${name}`];
}

/**
 * Parses `name`, `name@range`, `name@tag`, `@scope/name@range` or a short name. Throws `SPOOL_E_BAD_SPEC`
 * for anything else (URLs, paths, git specs are not provider specs).
 */
export function parseProviderSpec(raw: string): ProviderSpec {
  const spec = raw.trim();
  const at = spec.indexOf('@', 1);
  const name = at === -1 ? spec : spec.slice(0, at);
  const range = at === -1 ? undefined : spec.slice(at + 1).trim();
  const bad = (why: string): SpoolError =>
    new SpoolError(InstallErrorCode.BAD_SPEC, `"${raw}" is not a provider spec: ${why}.`, {
      hint: 'Write a package name, optionally with a version range: fax-sim, @spool/provider-smtp@^1, spool-provider-x@1.2.0.',
      details: { spec: raw },
    });
  if (!NAME.test(name)) throw bad(`"${name}" is not a valid npm package name`);
  if (range !== undefined) {
    if (range === '') throw bad('the range after "@" is empty');
    // A range, or a dist-tag (resolved against the packument later).
    if (semver.validRange(range) === null && !/^[a-z][a-z0-9._-]*$/i.test(range)) {
      throw bad(`"${range}" is neither a semver range nor a dist-tag`);
    }
  }
  return { raw, names: expandProviderName(name), range };
}
