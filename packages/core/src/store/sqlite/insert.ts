import type { InsertResult, NewMessage } from '../types.js';
import { metaJson, toRow } from './row-cache.js';
import type { StoreContext } from './store-context.js';

/** Accepts a message durably, in the next group commit. */
export function insertMessage(ctx: StoreContext, message: NewMessage): Promise<InsertResult> {
  return ctx.group.write(() => insertNow(ctx, message));
}

/** Stores a message inside a write that is already running (an insert, or a finish storing its reports). */
export function insertNow(ctx: StoreContext, message: NewMessage): InsertResult {
  const { sql } = ctx;
  if (message.idempotencyKey !== null) {
    const existing = sql('SELECT id, message_id FROM messages WHERE idempotency_key = ?').get(
      message.idempotencyKey,
    ) as { id: string; message_id: string } | undefined;
    if (existing) return { id: existing.id, messageId: existing.message_id, duplicate: true };
  }
  const cursor = ctx.cursors.next();
  const queued = message.state === 'queued';
  const body =
    (message.state === 'received' ? shareBody(ctx, message) : null) ??
    Number(
      sql('INSERT INTO bodies (text, html) VALUES (?, ?)').run(message.text, message.html).lastInsertRowid,
    );
  const meta = metaJson(message);
  sql(
    `INSERT INTO messages (id, folder, state, message_id, idempotency_key, from_addr, subject, message_class, submitted_at, cursor, body, meta)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    message.id,
    message.folder,
    message.state,
    message.messageId,
    message.idempotencyKey,
    message.from,
    message.subject,
    message.messageClass,
    message.submittedAt,
    cursor,
    body,
    meta,
  );
  if (queued) {
    // Only a queued message's row is kept (for its claim); a received one is written and forgotten.
    ctx.justQueued.keep(toRow(message, cursor, body, meta));
    const insertRecipient = sql(
      `INSERT INTO recipients (message, idx, address, address_type, value, type, route, outcome, next_attempt_at, submitted_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
    );
    message.recipients.forEach((r, index) => {
      insertRecipient.run(
        message.id,
        index,
        r.address,
        r.addressType,
        r.value,
        r.type,
        r.route ?? null,
        message.submittedAt,
        message.submittedAt,
      );
    });
  }
  const insertAttachment = sql(
    'INSERT INTO attachments (message, idx, filename, content_type, content_id, content) VALUES (?, ?, ?, ?, ?, ?)',
  );
  message.attachments.forEach((a, index) => {
    insertAttachment.run(message.id, index, a.filename, a.contentType, a.contentId ?? null, a.content);
  });
  return { id: message.id, messageId: message.messageId, duplicate: false };
}

/**
 * The stored body a received message can point at instead of a copy of its own (single-instance storage),
 * counted as one more share; null when no hand-off in flight has the same Message-ID and content.
 */
function shareBody(ctx: StoreContext, message: NewMessage): number | null {
  const candidate = ctx.handOffs.bodyOf(message.messageId);
  if (candidate === undefined) return null;
  // Counted only when the content is the same, and while the body exists: it goes with its last message.
  const shared = ctx
    .sql(
      `INSERT INTO body_shares (body, refs) SELECT id, 2 FROM bodies WHERE id = ? AND text IS ? AND html IS ?
       ON CONFLICT (body) DO UPDATE SET refs = refs + 1`,
    )
    .run(candidate, message.text, message.html);
  return Number(shared.changes) === 1 ? candidate : null;
}
