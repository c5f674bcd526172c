import type { RecipientOutcome } from '@spool/spi';

/**
 * The statuses a provider may report for a recipient (SPI `RecipientOutcome`): the one list the pipeline
 * reads results against and the conformance suite checks providers against.
 */
export const RECIPIENT_OUTCOME_STATUSES = ['delivered', 'failed', 'retry', 'not-mine'] as const;

const STATUSES: ReadonlySet<string> = new Set(RECIPIENT_OUTCOME_STATUSES);

/** True when `value` is a recipient outcome the SPI allows (an object whose status is one of the set). */
export function isRecipientOutcome(value: unknown): value is RecipientOutcome {
  return (
    typeof value === 'object' &&
    value !== null &&
    STATUSES.has((value as { status?: unknown }).status as string)
  );
}
