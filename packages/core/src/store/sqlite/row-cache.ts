import { randomHex } from '../../util/random-hex.js';
import type { NewMessage } from '../types.js';
import type { MessageMeta, Row } from './rows.js';

/** How many just-queued rows the store keeps for their claims (see JustQueued), and their bodies' total size. */
const JUST_QUEUED_MAX = 1024;
const JUST_QUEUED_MAX_CHARS = 4 * 1024 * 1024;

/** The `meta` column of a new message: what the store keeps as JSON rather than in columns of its own. */
export function metaJson(message: NewMessage): string {
  const meta: MessageMeta = {
    properties: { ...message.properties },
    reports: message.reports,
    deleteAfterSubmit: message.deleteAfterSubmit,
    attachments: message.attachments.length,
    ...(message.state === 'queued'
      ? {}
      : {
          recipients: message.recipients.map(({ address, addressType, value, type }) => ({
            address,
            addressType,
            value,
            type,
          })),
        }),
  };
  return JSON.stringify(meta);
}

/** The message row (with its body's text and HTML) as the store writes it for a new message. */
export function toRow(message: NewMessage, cursor: number, body: number, meta: string): Row {
  return {
    id: message.id,
    folder: message.folder,
    state: message.state,
    message_id: message.messageId,
    idempotency_key: message.idempotencyKey,
    from_addr: message.from,
    subject: message.subject,
    message_class: message.messageClass,
    submitted_at: message.submittedAt,
    finished_at: null,
    cursor,
    body,
    meta,
    text: message.text,
    html: message.html,
  };
}

/**
 * The rows of messages this process just stored as queued, kept for the claim that hands each one off,
 * usually moments later, so that claim reads only recipients and attachments. A queued message's row and
 * body do not change until it is cancelled or finished, which drop the entry, as does its claim. Bounded in
 * count and characters: what is left out (the newest, when full) is read from the store as usual. Claims
 * take the oldest queued messages first, so the entries kept are those claimed next. An entry of a write
 * that was rolled back is never asked for (claims only see committed ids).
 */
export class JustQueued {
  readonly #rows = new Map<string, Row>();
  #chars = 0;

  keep(row: Row): void {
    const chars = size(row);
    if (this.#rows.size >= JUST_QUEUED_MAX || this.#chars + chars > JUST_QUEUED_MAX_CHARS) return;
    this.#chars += chars;
    this.#rows.set(String(row.id), row);
  }

  /** The row of a message being claimed, forgotten. */
  take(id: string): Row | undefined {
    const row = this.#rows.get(id);
    if (row !== undefined) {
      this.#rows.delete(id);
      this.#chars -= size(row);
    }
    return row;
  }

  /** Forgets a row (cancelled or finished). */
  drop(id: string): void {
    this.take(id);
  }
}

function size(row: Row): number {
  return String(row.text ?? '').length + String(row.html ?? '').length;
}

/** A tag that makes preprocess run ids unique across processes and restarts. */
export function runIdTag(): string {
  return randomHex(8);
}
