import { ErrorCode, spoolError } from '../errors.js';
import type { Redactor } from '../util/redact.js';

/** A mapping as written in the profile, before its keys are checked. */
export type Raw = Record<string, unknown>;

/** True for a mapping (not null, not a list): the shape every profile section but `providers` has. */
export const isObject = (value: unknown): value is Raw =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Builds the error for one bad key: what is wrong with it, and how to fix it. */
export type InvalidKey = (key: string, problem: string, fix: string) => Error;

/**
 * The {@link InvalidKey} of one profile: every error names the file and the key. Problems quote the
 * offending value, which may have come from a secret, so the message is redacted, with the secrets
 * registered by the time the error is raised.
 */
export function invalidKeyOf(file: string | undefined, redactor: Redactor): InvalidKey {
  const label = file ?? 'profile';
  return (key, problem, fix) =>
    spoolError(ErrorCode.PROFILE_INVALID, redactor.text(`${label}: ${key} ${problem}`), fix, {
      file: file ?? null,
      key,
    });
}
