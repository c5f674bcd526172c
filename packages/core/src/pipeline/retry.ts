import type { RetryPolicy } from '../profile/profile.js';

/**
 * When to try a recipient again after its `attempt`-th temporary failure (1-based): the later of the
 * provider's requested delay and the schedule's delay (the last entry repeats) multiplied by a random factor
 * in `1 ± jitter`. `random` is injectable so tests can pin the jitter.
 */
export function nextAttemptAt(
  now: number,
  attempt: number,
  policy: RetryPolicy,
  providerDelayMs: number | undefined,
  random: () => number = Math.random,
): number {
  const base = policy.schedule[Math.min(attempt, policy.schedule.length) - 1] ?? policy.schedule.at(-1) ?? 0;
  const factor = 1 + policy.jitter * (2 * random() - 1);
  const scheduled = Math.round(base * factor);
  return now + Math.max(providerDelayMs ?? 0, scheduled);
}

/** True when a message submitted at `submittedAt` is past the maximum age at `now`. */
export function isExpired(submittedAt: number, now: number, policy: RetryPolicy): boolean {
  return now - submittedAt >= policy.maxAgeMs;
}
