import type { InvalidKey } from './profile-checks.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses a duration from the profile: a number of milliseconds, or a string like `250ms`, `30s`, `5m`,
 * `2h`, `7d`. Returns undefined when it is neither.
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  if (typeof value !== 'string') return undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(value);
  if (!match) return undefined;
  return Number(match[1]) * UNITS[match[2] ?? 'ms']!;
}

const DAY = 86_400_000;

/**
 * The bounds of every duration in the profile, in one place (docs/profile.md lists them). A maximum keeps
 * every instant the spooler stores from a duration a valid date, and every timer it arms within
 * `setTimeout`'s range (2^31-1 ms, about 24.8 days): a longer delay would fire at once.
 */
export const DURATION_BOUNDS = {
  /** One step of `retry.schedule`: a zero delay would retry a failing hand-off in a tight loop. */
  retryStep: { min: 1, max: 30 * DAY, label: '30d' },
  /** `retry.maxAge`: a zero age would bounce every message at its first temporary failure. */
  maxAge: { min: 1, max: 365 * DAY, label: '365d' },
  /** `retention.sent` and `retention.deleted`: 0 removes at the next retention pass. */
  retention: { min: 0, max: 3650 * DAY, label: '3650d' },
  /** `pollInterval`, `timeouts.*` and the breaker's cool-downs: timers, so at most a day. */
  timer: { min: 1, max: DAY, label: '1d' },
} as const;

/** One of {@link DURATION_BOUNDS}. */
export type DurationBound = (typeof DURATION_BOUNDS)[keyof typeof DURATION_BOUNDS];

/** Why a bound's minimum exists, said where a value below it is refused. */
const WHY_MIN: ReadonlyMap<DurationBound, string> = new Map<DurationBound, string>([
  [DURATION_BOUNDS.retryStep, ' (a zero delay would retry a failing hand-off in a tight loop)'],
  [
    DURATION_BOUNDS.maxAge,
    ' (a maximum age of 0 would fail every message with a non-delivery report at its first temporary failure)',
  ],
]);

/**
 * Reads the duration at `key` within `bound`, or throws a plain-sentence error naming the key: what was
 * expected, what was written, and the limit. `example` is the fix's example (`maxAge: 3d`).
 */
export function readDuration(
  value: unknown,
  key: string,
  bound: DurationBound,
  invalid: InvalidKey,
  example: string,
): number {
  const parsed = parseDuration(value);
  const written = JSON.stringify(value);
  if (parsed === undefined) {
    throw invalid(
      key,
      `must be a duration (milliseconds, or a number with ms, s, m, h or d), got ${written}`,
      `Example: ${example}`,
    );
  }
  if (parsed < bound.min) {
    throw invalid(
      key,
      bound.min === 1
        ? `must be more than 0, got ${written}${WHY_MIN.get(bound) ?? ''}`
        : `must be at least ${bound.min} ms, got ${written}`,
      `Example: ${example}`,
    );
  }
  if (parsed > bound.max) {
    throw invalid(
      key,
      `must be at most ${bound.label}, got ${written}`,
      `Use a duration up to ${bound.label}. Example: ${example}`,
    );
  }
  return parsed;
}
