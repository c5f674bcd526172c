import { ErrorCode, spoolError } from '../../errors.js';
import { assertFileable, messageNotFound } from '../recipient-state.js';
import type { Cursor, SearchQuery, StoredMessage } from '../types.js';
import { stateOf } from './message-state.js';
import { loadMessage, loadMessages, MESSAGE_WITH_BODY, type Row } from './rows.js';
import type { StoreContext } from './store-context.js';

/** One whole message, or undefined when there is none with this id. */
export function getMessage(ctx: StoreContext, id: string): Promise<StoredMessage | undefined> {
  return Promise.resolve(loadMessage(ctx.sql, id));
}

/** Messages of a folder in cursor order after `after`, at most `limit` (default 100). */
export function listFolder(
  ctx: StoreContext,
  folder: string,
  options: { after?: Cursor; limit?: number },
): Promise<StoredMessage[]> {
  const rows = ctx
    .sql(`${MESSAGE_WITH_BODY} WHERE m.folder = ? AND m.cursor > ? ORDER BY m.cursor LIMIT ?`)
    .all(folder, cursorNumber(options.after), options.limit ?? 100) as Row[];
  return Promise.resolve(loadMessages(ctx.sql, rows));
}

/** Messages whose id, subject, sender or a recipient's address contains the text, in cursor order. */
export function searchMessages(ctx: StoreContext, query: SearchQuery): Promise<StoredMessage[]> {
  const like = `%${query.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const rows = ctx
    .sql(
      `${MESSAGE_WITH_BODY} WHERE (?1 IS NULL OR m.folder = ?1) AND m.cursor > ?2 AND (
         m.id LIKE ?3 ESCAPE '\\' OR m.subject LIKE ?3 ESCAPE '\\' OR m.from_addr LIKE ?3 ESCAPE '\\'
         OR EXISTS (SELECT 1 FROM recipients r WHERE r.message = m.id AND r.address LIKE ?3 ESCAPE '\\')
         OR EXISTS (SELECT 1 FROM json_each(m.meta, '$.recipients') j WHERE json_extract(j.value, '$.address') LIKE ?3 ESCAPE '\\'))
       ORDER BY m.cursor LIMIT ?4`,
    )
    .all(query.folder ?? null, cursorNumber(query.after), like, query.limit ?? 100) as Row[];
  return Promise.resolve(loadMessages(ctx.sql, rows));
}

/** Moves a message that is not queued to `folder`, where it gets a new cursor. */
export function moveMessage(ctx: StoreContext, id: string, folder: string): Promise<void> {
  return ctx.group.write(() => {
    requireFileable(ctx, id, 'moved');
    ctx.sql('UPDATE messages SET folder = ?, cursor = ? WHERE id = ?').run(folder, ctx.cursors.next(), id);
  });
}

/** Deletes a message that is not queued, with its attachments. */
export function deleteMessage(ctx: StoreContext, id: string): Promise<void> {
  return ctx.group.write(() => {
    requireFileable(ctx, id, 'deleted');
    ctx.sql('DELETE FROM messages WHERE id = ?').run(id);
  });
}

function requireFileable(ctx: StoreContext, id: string, action: 'moved' | 'deleted'): void {
  const state = stateOf(ctx, id);
  if (state === undefined) throw messageNotFound(id);
  assertFileable(id, state, action);
}

/** A cursor as this store's number: decimal integers; none (or an empty string) is the start. */
function cursorNumber(cursor: Cursor | undefined): number {
  if (cursor === undefined || cursor === '') return 0;
  const value = Number(cursor);
  if (!Number.isSafeInteger(value) || value < 0)
    throw spoolError(
      ErrorCode.BAD_MESSAGE,
      `"${cursor}" is not a cursor of this store`,
      'Pass a cursor this store returned (a message’s `cursor`), or none to start at the beginning.',
      { cursor },
    );
  return value;
}
