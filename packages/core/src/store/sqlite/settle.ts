import { afterUpdate, isFinal, messageAfter } from '../recipient-state.js';
import type {
  MessageState,
  RecipientUpdate,
  Settlement,
  SettleResult,
  StoredMessage,
  StoredRecipient,
} from '../types.js';
import { finishNow } from './finish.js';
import type { InFlight } from './hand-offs.js';
import { deleteRuns } from './leases.js';
import { markFinished, stampCancelledEnd, stateOf } from './message-state.js';
import {
  leasedFields,
  loadMessage,
  type Row,
  toFields,
  toRecipient,
  withFields,
  writeRecipient,
} from './rows.js';
import type { StoreContext } from './store-context.js';

/**
 * Ends a hand-off in the next group commit: the recipients' updates, the removed runs, and the message
 * finished (and filed, when the settlement says so) once every recipient is final.
 */
export function settleHandOff(ctx: StoreContext, settlement: Settlement): Promise<SettleResult> {
  return ctx.group.write((): SettleResult => {
    const { messageId } = settlement;
    const claimed = ctx.handOffs.forget(messageId);
    if (settlement.removedRuns) deleteRuns(ctx, settlement.removedRuns);
    const state = stateOf(ctx, messageId);
    if (state === undefined) return { finished: null, disposed: false }; // deleted meanwhile
    const now = ctx.clock.now();
    const recipients =
      (claimed && state === 'queued'
        ? settleFromClaim(ctx, claimed.message, settlement.updates, now)
        : undefined) ?? settleFromRows(ctx, messageId, settlement.updates, state, now);
    const next = messageAfter(
      state,
      recipients.map((r) => r.outcome),
    );
    if (next.state === state) {
      if (state === 'cancelled' && next.ended) stampCancelledEnd(ctx, messageId, now);
      return { finished: null, disposed: false };
    }
    // The claimed envelope is right (it does not change while queued): only the outcomes are new.
    const base = claimed ? withContent(ctx, claimed) : loadMessage(ctx.sql, messageId)!;
    const finished: StoredMessage = { ...base, state: 'finished', recipients };
    const plan = settlement.ifFinished;
    if (!plan || (plan.unlessFailed && recipients.some((r) => r.outcome === 'failed'))) {
      markFinished(ctx, messageId);
      return { finished, disposed: false };
    }
    finishNow(ctx, messageId, plan.disposition, [], now);
    return { finished, disposed: true };
  });
}

/**
 * The common settle without reading the recipients back: this instance's claimed copy is their current
 * state when every recipient the settle does not update was already final at claim time (final outcomes
 * never change) and the ones it updates are still leased by this instance (nobody else writes them then).
 * Returns the recipients after the updates, or undefined when the copy cannot be trusted: then the updates
 * not yet written are applied from the rows (settleFromRows).
 */
function settleFromClaim(
  ctx: StoreContext,
  message: StoredMessage,
  updates: readonly RecipientUpdate[],
  now: number,
): StoredRecipient[] | undefined {
  // Most settles update one or two recipients: a scan is cheaper than a Map then; a large fan-out gets one.
  const byIndex = updates.length > 8 ? new Map(updates.map((u) => [u.index, u])) : undefined;
  const updateOf = (index: number) => (byIndex ? byIndex.get(index) : updates.find((u) => u.index === index));
  for (const r of message.recipients) if (!isFinal(r.outcome) && !updateOf(r.index)) return undefined;
  const recipients: StoredRecipient[] = [];
  for (const recipient of message.recipients) {
    const update = updateOf(recipient.index);
    const before = update && leasedFields(recipient);
    const after = update && afterUpdate(before!, update, 'queued', now);
    if (!after) {
      recipients.push(recipient);
      continue;
    }
    if (!writeRecipient(ctx.sql, message.id, recipient.index, before!, after, ctx.owner)) {
      // The lease was lost (it expired and another instance took the recipient): settle what is left
      // against the rows, as any other settle.
      const left = updates.filter((u) => u.index >= recipient.index);
      return settleFromRows(ctx, message.id, left, 'queued', now);
    }
    recipients.push(withFields(recipient, after));
  }
  return recipients;
}

/** Applies recipient updates through the state machine to the recipients as stored; returns them all. */
function settleFromRows(
  ctx: StoreContext,
  messageId: string,
  updates: readonly RecipientUpdate[],
  state: MessageState,
  now: number,
): StoredRecipient[] {
  const rows = ctx.sql('SELECT * FROM recipients WHERE message = ? ORDER BY idx').all(messageId) as Row[];
  const byIndex = new Map(updates.map((u) => [u.index, u]));
  return rows.map((row) => {
    const recipient = toRecipient(row);
    const update = byIndex.get(recipient.index);
    if (!update) return recipient;
    const before = toFields(row, now);
    const after = afterUpdate(before, update, state, now);
    if (!after) return recipient;
    writeRecipient(ctx.sql, messageId, recipient.index, before, after);
    return withFields(recipient, after);
  });
}

/** The claimed envelope with its content read back: the body by its id, and attachments if it has any. */
function withContent(ctx: StoreContext, claimed: InFlight): StoredMessage {
  const body = ctx.sql('SELECT text, html FROM bodies WHERE id = ?').get(claimed.body) as
    | { text: string | null; html: string | null }
    | undefined;
  const attachments = claimed.hasAttachments
    ? (loadMessage(ctx.sql, claimed.message.id)?.attachments ?? [])
    : [];
  return { ...claimed.message, text: body?.text ?? null, html: body?.html ?? null, attachments };
}
