import type { OutboundRecipient, RecipientOutcome, SubmitMessageResult } from '@spool/spi';
import { isSpoolError, messageOf } from '../errors.js';
import { isRecipientOutcome } from '../host/outcome-set.js';
import type { LogonView } from '../host/provider-port.js';
import type { RecipientUpdate, StoredMessage } from '../store/types.js';
import { decisionTime, type PipelineContext } from './context.js';
import type { HandOffReason } from './events.js';
import { CANCEL_REASON, STOP_REASON } from './in-flight.js';
import { isExpired, nextAttemptAt } from './retry.js';

/** What a hand-off records: one update per recipient, and the provider's outcomes for `endMessage`. */
export interface HandOffOutcome {
  readonly updates: RecipientUpdate[];
  /** The outcomes as recorded, by recipient id (empty when the hand-off was deferred or failed as a whole). */
  readonly outcomes: Record<string, RecipientOutcome>;
  readonly reason: HandOffReason;
  /**
   * The route itself failed, temporarily: the provider threw or timed out, or deferred the whole hand-off
   * (connection refused, 421). What the breaker counts; a retry of one recipient (greylisting) is not.
   */
  readonly routeFailed?: true;
}

const NO_OUTCOMES: Record<string, RecipientOutcome> = Object.freeze({}) as Record<string, RecipientOutcome>;

/**
 * Reads what `submitMessage` returned into updates: a deferral retries every recipient; otherwise each
 * recipient gets its outcome, and one without a valid outcome (host/outcome-set.ts) is retried, with a warning.
 */
export function outcomeOfResult(
  ctx: PipelineContext,
  logon: LogonView,
  stored: StoredMessage,
  recipients: readonly OutboundRecipient[],
  result: SubmitMessageResult,
): HandOffOutcome {
  if (result && typeof result === 'object' && 'defer' in result) {
    const updates = deferAll(ctx, stored, recipients, result.defer.reason, result.defer.delayMs);
    return { updates, outcomes: NO_OUTCOMES, reason: 'deferred', routeFailed: true };
  }
  const redactor = ctx.profile().redactor;
  const given = (result as { recipients?: Record<string, RecipientOutcome> } | undefined)?.recipients ?? {};
  const outcomes: Record<string, RecipientOutcome> = {};
  const updates = recipients.map((recipient): RecipientUpdate => {
    const index = Number(recipient.id);
    let outcome: unknown = given[recipient.id];
    if (!isRecipientOutcome(outcome)) {
      ctx.port
        .loggerOf(logon.id)
        .warn(
          { messageId: stored.id, recipient: recipient.address },
          'submitMessage reported no valid outcome for a recipient; retrying it later',
        );
      outcome = { status: 'retry', reason: 'the provider reported no outcome for this recipient' };
    }
    const valid = outcome as RecipientOutcome;
    outcomes[recipient.id] = valid;
    switch (valid.status) {
      case 'delivered':
        return { index, outcome: 'delivered' };
      case 'failed':
        return { index, outcome: 'failed', error: redactor.text(valid.reason) };
      case 'not-mine':
        return {
          index,
          outcome: 'reroute',
          tried: logon.id,
          ...(valid.reason ? { error: redactor.text(valid.reason) } : {}),
        };
      default: // 'retry'
        return retry(
          ctx,
          stored,
          index,
          recipient.attempts + 1,
          valid.reason ?? 'temporary failure',
          valid.delayMs,
        );
    }
  });
  return { updates, outcomes, reason: reasonOf(updates) };
}

/**
 * What a hand-off that threw records: a cancel cancels its recipients; a hurried stop puts them back as if
 * never tried (no attempt counted); any other error defers them all (a provider's `delayMs` detail honoured).
 */
export function outcomeOfError(
  ctx: PipelineContext,
  stored: StoredMessage,
  recipients: readonly OutboundRecipient[],
  signal: AbortSignal,
  error: unknown,
): HandOffOutcome {
  const cause = signal.reason;
  if (signal.aborted && cause === CANCEL_REASON) {
    const updates = recipients.map((r): RecipientUpdate => ({ index: Number(r.id), outcome: 'cancelled' }));
    return { updates, outcomes: NO_OUTCOMES, reason: 'cancelled' };
  }
  if (signal.aborted && cause === STOP_REASON) {
    const updates = recipients.map(
      (r): RecipientUpdate => ({
        index: Number(r.id),
        outcome: 'retry',
        delayMs: 0,
        countAttempt: false,
        error: 'interrupted by a spooler stop',
      }),
    );
    return { updates, outcomes: NO_OUTCOMES, reason: 'cancelled' };
  }
  const delayMs =
    isSpoolError(error) && typeof error.details.delayMs === 'number' ? error.details.delayMs : undefined;
  const updates = deferAll(ctx, stored, recipients, messageOf(error), delayMs);
  return { updates, outcomes: NO_OUTCOMES, reason: 'deferred', routeFailed: true };
}

function reasonOf(updates: readonly RecipientUpdate[]): HandOffReason {
  if (updates.some((u) => u.outcome === 'retry')) return 'deferred';
  return updates.every((u) => u.outcome === 'delivered') ? 'delivered' : 'failed';
}

function deferAll(
  ctx: PipelineContext,
  stored: StoredMessage,
  recipients: readonly OutboundRecipient[],
  reason: string,
  delayMs: number | undefined,
): RecipientUpdate[] {
  return recipients.map((r) => retry(ctx, stored, Number(r.id), r.attempts + 1, reason, delayMs));
}

/**
 * The updates for recipients whose route cannot serve (a provider entry that failed to load or log on): each
 * is retried on the schedule with `reason` as its last error, and fails only past the maximum age.
 */
export function waitUpdates(
  ctx: PipelineContext,
  stored: StoredMessage,
  recipients: readonly { readonly index: number; readonly attempts: number }[],
  reason: string,
): RecipientUpdate[] {
  return recipients.map((r) => retry(ctx, stored, r.index, r.attempts + 1, reason, undefined));
}

/** A temporary failure: retry on the schedule, but never past the maximum age (then it fails, with an NDR). */
function retry(
  ctx: PipelineContext,
  stored: StoredMessage,
  index: number,
  attempt: number,
  reason: string,
  delayMs: number | undefined,
): RecipientUpdate {
  const now = decisionTime(ctx);
  const { retry: policy, redactor } = ctx.profile();
  const error = redactor.text(reason);
  if (isExpired(stored.submittedAt, now, policy)) {
    return {
      index,
      outcome: 'failed',
      error: `gave up after ${attempt} attempt(s) over the maximum age of ${Math.round(policy.maxAgeMs / 1000)} s: ${error}`,
    };
  }
  const at = Math.min(
    nextAttemptAt(now, attempt, policy, delayMs, ctx.options.random),
    stored.submittedAt + policy.maxAgeMs,
  );
  return { index, outcome: 'retry', delayMs: Math.max(at - now, 1), countAttempt: true, error };
}
