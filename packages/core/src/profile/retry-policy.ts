import { DURATION_BOUNDS, readDuration } from './duration.js';
import { isObject, type ProblemList } from './profile-checks.js';

/** When and how often the host retries a temporary failure. */
export interface RetryPolicy {
  /** Delay before retry n (the last one repeats), in ms. */
  readonly schedule: readonly number[];
  /** Each delay is multiplied by a random factor in `1 ± jitter`. */
  readonly jitter: number;
  /** A recipient still undelivered this long after submit fails with an NDR. */
  readonly maxAgeMs: number;
}

// Defaults in milliseconds (30s, 2m, 10m, 30m, 1h, 2h, 4h; 3d): a profile that leaves them out, as most
// do, needs no duration parsing at start.
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DEFAULT_SCHEDULE_MS = [30_000, 2 * MINUTE, 10 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR, 4 * HOUR];
const DEFAULT_MAX_AGE_MS = 72 * HOUR;
const DEFAULT_JITTER = 0.2;

/** The keys of the `retry` section. */
const RETRY_KEYS = ['schedule', 'jitter', 'maxAge'] as const;

/**
 * The `retry` section: a non-empty schedule of durations (each step more than 0 and at most 30 days), a
 * jitter in [0, 1), and a maximum age (more than 0, at most 365 days). The bounds are why no stored next
 * attempt or expiry can be an invalid date; an unknown key is recorded in `problems`.
 */
export function normalizeRetry(input: unknown, problems: ProblemList): RetryPolicy {
  const { invalid } = problems;
  const retryInput = input ?? {};
  if (!isObject(retryInput))
    throw invalid(
      'retry',
      'must be a mapping',
      'Example: retry: { schedule: [30s, 5m], jitter: 0.2, maxAge: 3d }',
    );
  problems.unknownKeys(retryInput, 'retry', RETRY_KEYS, 'the retry section');
  // Each key is checked on its own, so every bad one is reported.
  const before = problems.count;
  const schedule = problems.section(DEFAULT_SCHEDULE_MS, () => {
    const scheduleInput = retryInput.schedule ?? DEFAULT_SCHEDULE_MS;
    if (!Array.isArray(scheduleInput) || scheduleInput.length === 0) {
      throw invalid(
        'retry.schedule',
        'must be a non-empty list of durations',
        'Example: schedule: [30s, 2m, 10m]',
      );
    }
    return scheduleInput.map((value, index) =>
      readDuration(
        value,
        `retry.schedule[${index}]`,
        DURATION_BOUNDS.retryStep,
        invalid,
        'schedule: [30s, 2m, 10m]',
      ),
    );
  });
  const jitter = problems.section(DEFAULT_JITTER, () => {
    const value = retryInput.jitter ?? DEFAULT_JITTER;
    if (typeof value !== 'number' || value < 0 || value >= 1) {
      throw invalid(
        'retry.jitter',
        `must be a number from 0 to below 1, got ${JSON.stringify(value)}`,
        'Example: jitter: 0.2',
      );
    }
    return value;
  });
  const maxAgeMs = problems.section(DEFAULT_MAX_AGE_MS, () =>
    retryInput.maxAge === undefined
      ? DEFAULT_MAX_AGE_MS
      : readDuration(retryInput.maxAge, 'retry.maxAge', DURATION_BOUNDS.maxAge, invalid, 'maxAge: 3d'),
  );
  if (problems.count > before) problems.fail();
  return { schedule, jitter, maxAgeMs };
}
