import { parseDuration } from './duration.js';
import { type InvalidKey, isObject } from './profile-checks.js';

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

/** The `retry` section: a non-empty schedule of durations, a jitter in [0, 1), and a maximum age. */
export function normalizeRetry(input: unknown, invalid: InvalidKey): RetryPolicy {
  const retryInput = input ?? {};
  if (!isObject(retryInput))
    throw invalid(
      'retry',
      'must be a mapping',
      'Example: retry: { schedule: [30s, 5m], jitter: 0.2, maxAge: 3d }',
    );
  const scheduleInput = retryInput.schedule ?? DEFAULT_SCHEDULE_MS;
  if (!Array.isArray(scheduleInput) || scheduleInput.length === 0) {
    throw invalid(
      'retry.schedule',
      'must be a non-empty list of durations',
      'Example: schedule: [30s, 2m, 10m]',
    );
  }
  const schedule = scheduleInput.map((value, index) => {
    const parsed = parseDuration(value);
    if (parsed === undefined)
      throw invalid(
        `retry.schedule[${index}]`,
        `must be a duration, got ${JSON.stringify(value)}`,
        'Use milliseconds or a string like "30s".',
      );
    return parsed;
  });
  const jitter = retryInput.jitter ?? DEFAULT_JITTER;
  if (typeof jitter !== 'number' || jitter < 0 || jitter >= 1) {
    throw invalid(
      'retry.jitter',
      `must be a number from 0 to below 1, got ${JSON.stringify(jitter)}`,
      'Example: jitter: 0.2',
    );
  }
  const maxAgeMs = parseDuration(retryInput.maxAge ?? DEFAULT_MAX_AGE_MS);
  if (maxAgeMs === undefined) throw invalid('retry.maxAge', 'must be a duration', 'Example: maxAge: 3d');
  return { schedule, jitter, maxAgeMs };
}
