import { afterCancel, assertCancellable, messageNotFound } from '../recipient-state.js';
import type { Disposition, MessageState, NewMessage, StoredMessage } from '../types.js';
import { insertNow } from './insert.js';
import { loadMessage, loadMessages, MESSAGE_WITH_BODY, type Row, toFields, writeRecipient } from './rows.js';
import type { StoreContext } from './store-context.js';

/** Files a finished message and stores its reports, in the next group commit. */
export function finishMessage(
  ctx: StoreContext,
  messageId: string,
  finish: { readonly disposition: Disposition; readonly reports: readonly NewMessage[] },
): Promise<void> {
  return ctx.group.write(() =>
    finishNow(ctx, messageId, finish.disposition, finish.reports, ctx.clock.now()),
  );
}

/** Files a finished message inside a write that is already running (a finish, or a settle that disposes). */
export function finishNow(
  ctx: StoreContext,
  messageId: string,
  disposition: Disposition,
  reports: readonly NewMessage[],
  now: number,
): void {
  ctx.justQueued.drop(messageId);
  for (const report of reports) insertNow(ctx, report);
  if (disposition === 'delete') {
    ctx.sql('DELETE FROM messages WHERE id = ?').run(messageId);
  } else if (disposition === 'keep') {
    ctx.sql("UPDATE messages SET state = 'finished', finished_at = ? WHERE id = ?").run(now, messageId);
  } else {
    // state too: a settle that finishes and files a message does both in this single UPDATE.
    ctx
      .sql("UPDATE messages SET state = 'finished', folder = ?, finished_at = ?, cursor = ? WHERE id = ?")
      .run(disposition.folder, now, ctx.cursors.next(), messageId);
  }
}

/** Messages whose recipients are all final but that were never filed. */
export function unfinishedMessages(ctx: StoreContext): Promise<StoredMessage[]> {
  const rows = ctx
    .sql(`${MESSAGE_WITH_BODY} WHERE m.state = 'finished' AND m.finished_at IS NULL ORDER BY m.submitted_at`)
    .all() as Row[];
  return Promise.resolve(loadMessages(ctx.sql, rows));
}

/** Cancels a queued message: its unleased pending recipients are cancelled, the message moves to `folder`. */
export function cancelMessage(
  ctx: StoreContext,
  messageId: string,
  options: { readonly folder: string },
): Promise<StoredMessage> {
  return ctx.group.write(() => {
    const now = ctx.clock.now();
    ctx.justQueued.drop(messageId);
    const row = ctx.sql('SELECT state, folder FROM messages WHERE id = ?').get(messageId) as
      | { state: MessageState; folder: string }
      | undefined;
    if (!row) throw messageNotFound(messageId);
    assertCancellable(messageId, row.state, row.folder);
    let open = 0;
    for (const recipient of ctx
      .sql("SELECT * FROM recipients WHERE message = ? AND outcome = 'pending'")
      .all(messageId) as Row[]) {
      const before = toFields(recipient, now);
      const after = afterCancel(before);
      if (after) writeRecipient(ctx.sql, messageId, Number(recipient.idx), before, after);
      else open++; // in flight: its hand-off settles it as cancelled
    }
    ctx
      .sql("UPDATE messages SET state = 'cancelled', folder = ?, cursor = ?, finished_at = ? WHERE id = ?")
      .run(options.folder, ctx.cursors.next(), open === 0 ? now : null, messageId);
    return loadMessage(ctx.sql, messageId)!;
  });
}
