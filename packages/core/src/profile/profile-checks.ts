import { ErrorCode, spoolError } from '../errors.js';
import { editDistance } from '../util/closest-name.js';
import type { Redactor } from '../util/redact.js';

/** A mapping as written in the profile, before its keys are checked. */
export type Raw = Record<string, unknown>;

/** True for a mapping (not null, not a list): the shape every profile section but `providers` has. */
export const isObject = (value: unknown): value is Raw =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Builds the error for one bad key: what is wrong with it, and how to fix it. */
export type InvalidKey = (key: string, problem: string, fix: string) => Error;

/** One thing wrong in a profile: the key (`providers[1].option`), what is wrong, the fix and its code. */
export interface ProfileProblem {
  readonly code: ErrorCode;
  readonly key: string;
  /** `<file>: <key> <problem>`, redacted. */
  readonly message: string;
  readonly hint: string;
}

/** Thrown by {@link ProblemList.invalid} inside a section; {@link ProblemList.section} records it and goes on. */
class ProblemThrown extends Error {
  constructor(readonly problem: ProfileProblem) {
    super(problem.message);
  }
}

/**
 * The known key a mistyped one most likely meant, for "did you mean": the closest by edit distance (case
 * ignored) within half the key's length, so `retires` finds `retry` and `stroe` finds `store`. More lenient
 * than the package-name suggestion: a profile level has a handful of keys, so a wrong guess is unlikely.
 */
export function suggestKey(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.ceil(key.length / 2)) + 1;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance && distance < candidate.length) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Thrown by {@link ProblemList.fail}: the section's problems are recorded already. */
class SectionEnded extends Error {}

/** A key that may hold anything and is never read: notes, YAML anchors (`x-defaults: &defaults …`). */
export const isExtensionKey = (key: string): boolean => key.startsWith('x-');

/**
 * The problems of one profile, gathered so one load reports every bad key (with its file and path), not only
 * the first: an unknown key is recorded and checking goes on; a bad value ends its section (what follows in
 * it depends on the value), and the next section is checked. {@link ProblemList.throwIfAny} raises them all
 * as one `SPOOL_E_PROFILE_INVALID` whose `details.problems` lists each with its own code. Problems quote the
 * offending value, which may have come from a secret, so messages are redacted, with the secrets registered
 * by the time the error is raised.
 */
export class ProblemList {
  readonly #problems: ProfileProblem[] = [];
  readonly #file: string | undefined;
  readonly #redactor: Redactor;

  constructor(file: string | undefined, redactor: Redactor) {
    this.#file = file;
    this.#redactor = redactor;
  }

  get label(): string {
    return this.#file ?? 'profile';
  }

  #problem(code: ErrorCode, key: string, problem: string, fix: string): ProfileProblem {
    return { code, key, message: this.#redactor.text(`${this.label}: ${key} ${problem}`), hint: fix };
  }

  /** The {@link InvalidKey} of this profile: `throw invalid(key, problem, fix)` ends the current section. */
  readonly invalid: InvalidKey = (key, problem, fix) =>
    new ProblemThrown(this.#problem(ErrorCode.PROFILE_INVALID, key, problem, fix));

  /** Records a bad value without ending the section (the value is then ignored). */
  add(key: string, problem: string, fix: string): void {
    this.#problems.push(this.#problem(ErrorCode.PROFILE_INVALID, key, problem, fix));
  }

  /**
   * Records every key of `value` that is not in `known` and does not start with `x-`, with the closest known
   * key as a suggestion. `where` names the mapping for people ("a provider entry"); `path` is its key path
   * (`''` for the top level).
   */
  unknownKeys(value: Raw, path: string, known: readonly string[], where: string): void {
    for (const key of Object.keys(value)) {
      if (known.includes(key) || isExtensionKey(key)) continue;
      const suggestion = suggestKey(key, known);
      const keyPath = path === '' ? key : `${path}.${key}`;
      this.#problems.push(
        this.#problem(
          ErrorCode.PROFILE_UNKNOWN_KEY,
          keyPath,
          `is not a key of ${where}${suggestion ? `; did you mean "${suggestion}"?` : ` (it takes ${known.join(', ')})`}`,
          suggestion
            ? `Rename it to "${suggestion}", or remove it (prefix it with x- to keep it as a note or YAML anchor).`
            : `Remove it, or prefix it with x- to keep it as a note or YAML anchor (${where} takes ${known.join(', ')}).`,
        ),
      );
    }
  }

  /** How many problems are recorded so far. */
  get count(): number {
    return this.#problems.length;
  }

  /**
   * Ends the current section without recording anything more: its problems are recorded already (the
   * section's value is then its fallback).
   */
  fail(): never {
    throw new SectionEnded();
  }

  /** Runs one section's checks: a bad value thrown inside is recorded, and the section gives `fallback`. */
  section<T>(fallback: T, check: () => T): T {
    try {
      return check();
    } catch (error) {
      if (error instanceof SectionEnded) return fallback;
      if (!(error instanceof ProblemThrown)) throw error;
      this.#problems.push(error.problem);
      return fallback;
    }
  }

  /** Throws every recorded problem as one error (a single problem reads exactly as it did alone). */
  throwIfAny(): void {
    const problems = this.#problems;
    const first = problems[0];
    if (first === undefined) return;
    const details = {
      file: this.#file ?? null,
      key: first.key,
      keys: problems.map((p) => p.key),
      problems: problems.map((p) => ({ ...p })),
    };
    if (problems.length === 1)
      throw spoolError(ErrorCode.PROFILE_INVALID, first.message, first.hint, details);
    throw spoolError(
      ErrorCode.PROFILE_INVALID,
      `${problems.length} problems in ${this.label}:\n${problems.map((p) => `  ${p.message}`).join('\n')}`,
      problems.map((p) => `${p.key}: ${p.hint}`).join('\n       '),
      details,
    );
  }
}
