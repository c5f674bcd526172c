import type { InboundMessage } from './message.js';

/**
 * The outcome a provider reports for one recipient of one hand-off.
 *
 * - `delivered`: the provider took final responsibility (it reached the next hop).
 * - `failed`: permanent failure; the host writes `reason` into the non-delivery report.
 * - `retry`: temporary failure; the host retries no sooner than `delayMs` (and its own schedule).
 * - `not-mine`: the provider will not handle it after all; the host routes it to the next logon that
 *   claims the address type, or reports it undeliverable. Side-effect free, like MAPI's unclaimed recipient.
 */
export type RecipientOutcome =
  | { readonly status: 'delivered'; readonly detail?: string }
  | { readonly status: 'failed'; readonly reason: string; readonly code?: string }
  | { readonly status: 'retry'; readonly reason?: string; readonly delayMs?: number }
  | { readonly status: 'not-mine'; readonly reason?: string };

/**
 * What `submitMessage` returns when it handled the hand-off: one outcome per recipient id it was given.
 * A recipient left out is treated as `retry` (and logged), so every hand-off ends in exactly one outcome per
 * recipient.
 */
export interface SubmitResult {
  /** Outcome per {@link OutboundRecipient.id}. */
  readonly recipients: Readonly<Record<string, RecipientOutcome>>;
}

/**
 * What `submitMessage` returns when it could not take the hand-off at all (line busy, server unreachable):
 * nothing was sent, every recipient of the hand-off is retried later. Equivalent to throwing an error whose
 * `code` is `SPOOL_E_BUSY` or `SPOOL_E_NETWORK`.
 */
export interface DeferResult {
  /** Why, and how long to wait at least. */
  readonly defer: { readonly reason: string; readonly delayMs?: number };
}

/** The result of `submitMessage`: per-recipient outcomes, or the whole hand-off deferred. */
export type SubmitMessageResult = SubmitResult | DeferResult;

/**
 * What the host tells a provider in `endMessage`, after it stored the outcomes of a hand-off durably.
 * A provider that keeps per-message state (a queue file, a connection lease) releases it here.
 */
export interface EndMessageInfo {
  /** The spooler's id of the message. */
  readonly id: string;
  /** The outcomes as the host recorded them. */
  readonly recipients: Readonly<Record<string, RecipientOutcome>>;
}

/** The result of `startMessage`: whether the provider has more messages waiting right now. */
export interface StartMessageResult {
  /** True when the host should call `startMessage` again without waiting for the next poll. */
  readonly more: boolean;
}

/**
 * The host's side of the two-phase inbound delivery (MAPI `StartMessage`): the provider fills a message and
 * calls `save`; the message counts as delivered only when `save` resolves, and only then may the provider
 * acknowledge its source (delete the file, answer 250).
 */
export interface InboundSink {
  /**
   * Stores one received message durably and returns its id. Rejects when the store refused or the host is
   * stopping; the provider must then keep the message at its source so it is delivered later.
   */
  save(message: InboundMessage): Promise<{ readonly id: string }>;
}
