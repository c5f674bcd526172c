import { ErrorCode, spoolError } from '../errors.js';
import type { MessageState, RecipientState, RecipientUpdate, RouteDecision } from './types.js';

/**
 * The recipient state machine every store uses, so that what a recipient may become is decided in one place
 * and not once per store in SQL. Pure: it takes a recipient's fields and returns the new ones; the store
 * persists them. A store receives this module in its `createStore` context (`context.states`), so a store
 * package never imports a second copy of core at run time.
 *
 * ```
 *            route(route)                 settle(delivered|failed)
 *  unrouted ─────────────► routed ─claim─► leased ──────────────────► delivered | failed   (final)
 *     │  route(fail)          ▲   ▲          │ settle(retry)      → routed, due after delayMs
 *     └──► failed (final)     │   └──────────┤ settle(reroute)    → unrouted, tried += route
 *                             │              │ lease expired      → routed (anyone may claim)
 *                      unroute│              └ settle(cancelled)  → cancelled (final)
 *  cancel(message): every unleased pending recipient → cancelled; a leased one is cancelled when it settles
 * ```
 * Final outcomes never change. A recipient of a cancelled message never goes back to the queue: a retry or a
 * reroute that settles after the cancel records it as cancelled.
 */

/** The fields of a recipient the state machine reads and writes. */
export interface RecipientFields {
  readonly outcome: RecipientState;
  readonly route: string | null;
  readonly tried: readonly string[];
  readonly responsibility: boolean;
  readonly attempts: number;
  readonly nextAttemptAt: number;
  readonly lastError: string | null;
  /** Whether a store instance holds a live lease on it. */
  readonly leased: boolean;
}

/** True when the outcome is final (nothing will change it). */
export function isFinal(outcome: RecipientState): boolean {
  return outcome !== 'pending';
}

/**
 * The recipient after a hand-off's update, at `now` on the store's clock, or null when the update changes
 * nothing (the recipient was already final). The lease is always released.
 */
export function afterUpdate(
  current: RecipientFields,
  update: RecipientUpdate,
  messageState: MessageState,
  now: number,
): RecipientFields | null {
  if (isFinal(current.outcome)) return null;
  const goesBack = update.outcome === 'retry' || update.outcome === 'reroute';
  // One new record per update (this runs for every recipient of every settle): `leased: false` releases it.
  if (messageState === 'cancelled' && goesBack) return { ...current, leased: false, outcome: 'cancelled' };
  switch (update.outcome) {
    case 'delivered':
    case 'failed':
      return {
        ...current,
        leased: false,
        outcome: update.outcome,
        responsibility: true,
        attempts: current.attempts + 1,
        lastError: update.error ?? null,
      };
    case 'cancelled':
      return { ...current, leased: false, outcome: 'cancelled' };
    case 'retry':
      return {
        ...current,
        leased: false,
        nextAttemptAt: now + Math.max(0, update.delayMs),
        attempts: current.attempts + (update.countAttempt ? 1 : 0),
        lastError: update.error ?? null,
      };
    case 'reroute':
      return {
        ...current,
        leased: false,
        route: null,
        tried: [...current.tried, update.tried],
        lastError: update.error ?? null,
        nextAttemptAt: now,
      };
  }
}

/** The recipient after a routing decision, or null when it no longer needs one (routed or final meanwhile). */
export function afterRouting(current: RecipientFields, decision: RouteDecision): RecipientFields | null {
  if (isFinal(current.outcome) || current.route !== null) return null;
  if ('route' in decision) return { ...current, route: decision.route };
  return { ...current, outcome: 'failed', lastError: decision.fail };
}

/** The recipient after its message was cancelled, or null when it stays (final, or leased: it settles later). */
export function afterCancel(current: RecipientFields): RecipientFields | null {
  if (isFinal(current.outcome) || current.leased) return null;
  return { ...current, outcome: 'cancelled' };
}

/**
 * The message's state once its recipients are as given: a queued message whose recipients are all final is
 * finished; every other state stays. `ended`: every recipient is final (a cancelled message gets its end time).
 */
export function messageAfter(
  state: MessageState,
  outcomes: readonly RecipientState[],
): { readonly state: MessageState; readonly ended: boolean } {
  const ended = outcomes.every(isFinal);
  return { state: state === 'queued' && ended ? 'finished' : state, ended };
}

/** Refuses to cancel a message that is not queued. */
export function assertCancellable(id: string, state: MessageState, folder: string): void {
  if (state === 'queued') return;
  throw spoolError(
    ErrorCode.ALREADY_FINISHED,
    `message ${id} cannot be cancelled: it is ${state === 'received' ? 'an inbound message' : state} (folder ${folder})`,
    'Only messages still in the Outbox can be cancelled; use `spool delete` to remove a finished one.',
    { id, state, folder },
  );
}

/** Refuses to move or delete a queued message: it belongs to the queue until it is finished or cancelled. */
export function assertFileable(id: string, state: MessageState, action: 'moved' | 'deleted'): void {
  if (state !== 'queued') return;
  throw spoolError(
    ErrorCode.BAD_FOLDER,
    `message ${id} is queued in the Outbox and cannot be ${action}`,
    'Cancel it first (spool cancel <id>), or wait until it is sent.',
    { id },
  );
}

/** The error for an id the store does not have. */
export function messageNotFound(id: string) {
  return spoolError(
    ErrorCode.MESSAGE_NOT_FOUND,
    `no message with id ${id} in the store`,
    'List messages with `spool list <folder>` to find the id.',
    { id },
  );
}

/** The state machine as one value, handed to store packages in their context. */
export const recipientStates = {
  isFinal,
  afterUpdate,
  afterRouting,
  afterCancel,
  messageAfter,
  assertCancellable,
  assertFileable,
  messageNotFound,
} as const;

/** The type of {@link recipientStates}. */
export type RecipientStates = typeof recipientStates;
