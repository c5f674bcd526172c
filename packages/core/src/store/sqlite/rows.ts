import type { SQLInputValue, StatementSync } from 'node:sqlite';
import type { Attachment, JsonValue, RecipientType } from '@spool/spi';
import type { RecipientFields } from '../recipient-state.js';
import type { MessageState, RecipientState, StoredMessage, StoredRecipient } from '../types.js';

/** A row as node:sqlite returns it. */
export type Row = Record<string, SQLInputValue>;

/** A prepared statement for `sql`, from the store's cache. */
export type Sql = (sql: string) => StatementSync;

/** What the message row keeps as JSON beside its columns (the body is a row of its own). */
export interface MessageMeta {
  properties: Record<string, JsonValue>;
  reports: { delivery: boolean; nonDelivery: boolean };
  deleteAfterSubmit: boolean;
  /**
   * The recipients of a received message. They are part of its content: nothing routes, leases or retries
   * them, so they stay out of the recipients table, which holds the Outbox's per-recipient state (one row
   * less to write, and to index, per received message). Absent for queued messages and for messages stored
   * before this field existed: their recipients are rows.
   */
  recipients?: readonly { address: string; addressType: string; value: string; type: RecipientType }[];
  /** How many attachments the message has (absent in older rows): 0 saves looking for them. */
  attachments?: number;
}

/** The columns of a message row with its body, as `SELECT m.*, b.text, b.html` reads them. */
export const MESSAGE_WITH_BODY = 'SELECT m.*, b.text, b.html FROM messages m JOIN bodies b ON b.id = m.body';

/** A recipient row as the store's record. */
export function toRecipient(r: Row): StoredRecipient {
  return {
    index: Number(r.idx),
    address: String(r.address),
    addressType: String(r.address_type),
    value: String(r.value),
    type: String(r.type) as RecipientType,
    route: r.route === null ? null : String(r.route),
    tried: JSON.parse(String(r.tried)) as string[],
    responsibility: Number(r.responsibility) === 1,
    outcome: String(r.outcome) as RecipientState,
    attempts: Number(r.attempts),
    nextAttemptAt: Number(r.next_attempt_at),
    lastError: r.last_error === null ? null : String(r.last_error),
  };
}

/** The recipient columns {@link toFields} reads: select these alone where the rest of the row is not needed. */
export const FIELD_COLUMNS =
  'outcome, route, tried, responsibility, attempts, next_attempt_at, last_error, lease_owner, lease_expires';

/** A recipient row as the state machine sees it; `now` decides whether its lease is still held. */
export function toFields(r: Row, now: number): RecipientFields {
  return {
    outcome: String(r.outcome) as RecipientState,
    route: r.route === null ? null : String(r.route),
    tried: JSON.parse(String(r.tried)) as string[],
    responsibility: Number(r.responsibility) === 1,
    attempts: Number(r.attempts),
    nextAttemptAt: Number(r.next_attempt_at),
    lastError: r.last_error === null ? null : String(r.last_error),
    leased: r.lease_owner !== null && Number(r.lease_expires) >= now,
  };
}

/** The state-machine fields of a recipient record this instance holds leased (a claimed copy). */
export function leasedFields(r: StoredRecipient): RecipientFields {
  return {
    outcome: r.outcome,
    route: r.route,
    tried: r.tried,
    responsibility: r.responsibility,
    attempts: r.attempts,
    nextAttemptAt: r.nextAttemptAt,
    lastError: r.lastError,
    leased: true,
  };
}

/** The record of a recipient whose fields the state machine changed. */
export function withFields(recipient: StoredRecipient, fields: RecipientFields): StoredRecipient {
  return {
    ...recipient,
    outcome: fields.outcome,
    route: fields.route,
    tried: fields.tried,
    responsibility: fields.responsibility,
    attempts: fields.attempts,
    nextAttemptAt: fields.nextAttemptAt,
    lastError: fields.lastError,
  };
}

/** The columns writeRecipient may set, in SET-list order; bit `i` of a mask stands for `COLUMNS[i]`. */
const RECIPIENT_COLUMNS = [
  'outcome',
  'route',
  'tried',
  'responsibility',
  'attempts',
  'next_attempt_at',
  'last_error',
] as const;
const RELEASE_LEASE = 1 << RECIPIENT_COLUMNS.length;

/**
 * The UPDATE for one set of changed columns, built once per mask and kept: settles and routing write one
 * recipient at a time, and building the statement text each time was a measurable share of a drain's
 * allocations (and of the statement cache's lookups by a freshly built string).
 */
const updateText = new Map<number, string>();
function updateFor(mask: number, guarded: boolean): string {
  const key = guarded ? -mask : mask;
  let text = updateText.get(key);
  if (text === undefined) {
    const set = RECIPIENT_COLUMNS.filter((_, i) => mask & (1 << i)).map((column) => `${column} = ?`);
    if (mask & RELEASE_LEASE) set.push('lease_owner = NULL', 'lease_expires = NULL');
    text = `UPDATE recipients SET ${set.join(', ')} WHERE message = ? AND idx = ?${guarded ? " AND lease_owner = ? AND outcome = 'pending'" : ''}`;
    updateText.set(key, text);
  }
  return text;
}

/**
 * Writes what the state machine changed, and only that: a SET list of the changed columns (an UPDATE that
 * names an indexed column rewrites its index entries even when the value is the same). A recipient that is
 * no longer leased loses its lease columns. With `leasedBy`, returns false (and writes nothing) when that
 * owner no longer holds the recipient's lease (the caller's `before` came from its claim).
 */
export function writeRecipient(
  sql: Sql,
  message: string,
  index: number,
  before: RecipientFields,
  after: RecipientFields,
  leasedBy?: string,
): boolean {
  const values: SQLInputValue[] = [];
  let mask = 0;
  const set = (bit: number, value: SQLInputValue) => {
    mask |= bit;
    values.push(value);
  };
  if (after.outcome !== before.outcome) set(1, after.outcome);
  if (after.route !== before.route) set(2, after.route);
  if (after.tried.length !== before.tried.length) set(4, JSON.stringify(after.tried));
  if (after.responsibility !== before.responsibility) set(8, after.responsibility ? 1 : 0);
  if (after.attempts !== before.attempts) set(16, after.attempts);
  if (after.nextAttemptAt !== before.nextAttemptAt) set(32, after.nextAttemptAt);
  if (after.lastError !== before.lastError) set(64, after.lastError);
  if (!after.leased) mask |= RELEASE_LEASE;
  if (mask === 0) return true;
  const guarded = leasedBy !== undefined;
  const result = guarded
    ? sql(updateFor(mask, true)).run(...values, message, index, leasedBy)
    : sql(updateFor(mask, false)).run(...values, message, index);
  return !guarded || Number(result.changes) === 1;
}

/** The recipients of a received message, kept in its meta (see {@link MessageMeta.recipients}). */
function receivedRecipients(meta: MessageMeta, submittedAt: number): StoredRecipient[] | undefined {
  return meta.recipients?.map(
    (r, index): StoredRecipient => ({
      index,
      ...r,
      route: null,
      tried: [],
      responsibility: true,
      outcome: 'delivered',
      attempts: 0,
      nextAttemptAt: submittedAt,
      lastError: null,
    }),
  );
}

function toAttachment(a: Row): Attachment {
  return {
    filename: String(a.filename),
    contentType: String(a.content_type),
    content: a.content as Uint8Array,
    ...(a.content_id === null ? {} : { contentId: String(a.content_id) }),
  };
}

/**
 * Whole messages from their rows (message and body): the recipients and attachments of all of them are read
 * with one query each, not one per message.
 */
export function loadMessages(sql: Sql, rows: readonly Row[]): StoredMessage[] {
  if (rows.length === 0) return [];
  const metas = rows.map((row) => JSON.parse(String(row.meta)) as MessageMeta);
  const needRecipients = rows.filter((_, i) => metas[i]!.recipients === undefined).map((r) => String(r.id));
  const needAttachments = rows.filter((_, i) => metas[i]!.attachments !== 0).map((r) => String(r.id));
  const recipients = groupBy(
    needRecipients.length === 1
      ? (sql('SELECT * FROM recipients WHERE message = ? ORDER BY idx').all(needRecipients[0]!) as Row[])
      : needRecipients.length === 0
        ? []
        : (sql(
            'SELECT * FROM recipients WHERE message IN (SELECT value FROM json_each(?)) ORDER BY message, idx',
          ).all(JSON.stringify(needRecipients)) as Row[]),
  );
  const attachments = groupBy(
    needAttachments.length === 0
      ? []
      : (sql(
          'SELECT * FROM attachments WHERE message IN (SELECT value FROM json_each(?)) ORDER BY message, idx',
        ).all(JSON.stringify(needAttachments)) as Row[]),
  );
  return rows.map((row, i) => {
    const id = String(row.id);
    const meta = metas[i]!;
    const submittedAt = Number(row.submitted_at);
    return {
      id,
      folder: String(row.folder),
      state: String(row.state) as MessageState,
      messageId: String(row.message_id),
      from: row.from_addr === null ? null : String(row.from_addr),
      subject: String(row.subject),
      text: row.text === null ? null : String(row.text),
      html: row.html === null ? null : String(row.html),
      messageClass: String(row.message_class),
      properties: meta.properties,
      deleteAfterSubmit: meta.deleteAfterSubmit,
      reports: meta.reports,
      idempotencyKey: row.idempotency_key === null ? null : String(row.idempotency_key),
      submittedAt,
      finishedAt: row.finished_at === null ? null : Number(row.finished_at),
      cursor: String(row.cursor),
      recipients: receivedRecipients(meta, submittedAt) ?? (recipients.get(id) ?? []).map(toRecipient),
      attachments: (attachments.get(id) ?? []).map(toAttachment),
    };
  });
}

/** Reads one whole message; `row` is its message row and body when the caller has them already. */
export function loadMessage(sql: Sql, id: string, row?: Row): StoredMessage | undefined {
  const found = row ?? (sql(`${MESSAGE_WITH_BODY} WHERE m.id = ?`).get(id) as Row | undefined);
  return found ? loadMessages(sql, [found])[0] : undefined;
}

function groupBy(rows: readonly Row[]): Map<string, Row[]> {
  const groups = new Map<string, Row[]>();
  for (const row of rows) {
    const key = String(row.message);
    const list = groups.get(key);
    if (list) list.push(row);
    else groups.set(key, [row]);
  }
  return groups;
}
