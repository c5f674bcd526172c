import type { JsonValue, RecipientType } from '@spool/spi';
import { ErrorCode, spoolError } from '../errors.js';
import type { NewMessage } from '../store/types.js';
import { parseAddress } from './address.js';
import { rfcMessageId } from './ids.js';

/** An attachment as an application hands it to `submit()`. Strings are taken as UTF-8 text. */
export interface AttachmentInput {
  readonly filename: string;
  readonly contentType?: string;
  readonly content: Uint8Array | string;
  readonly contentId?: string;
}

/** A message as an application submits it. At least one recipient is required. */
export interface SubmitInput {
  /** Sender address (`TYPE:rest` or an email address). */
  readonly from?: string;
  readonly to?: string | readonly string[];
  readonly cc?: string | readonly string[];
  readonly bcc?: string | readonly string[];
  /** Recipients given one by one, instead of or besides to/cc/bcc. */
  readonly recipients?: readonly { readonly address: string; readonly type?: RecipientType }[];
  readonly subject?: string;
  readonly text?: string;
  readonly html?: string;
  readonly attachments?: readonly AttachmentInput[];
  /** Message class, `IPM.Note` by default. */
  readonly messageClass?: string;
  readonly properties?: Readonly<Record<string, JsonValue>>;
  /** Delete the message when it is finished instead of moving it to Sent (MAPI `PR_DELETE_AFTER_SUBMIT`). */
  readonly deleteAfterSubmit?: boolean;
  /** Report requests: a delivery report (off by default), a non-delivery report (on by default). */
  readonly reports?: { readonly delivery?: boolean; readonly nonDelivery?: boolean };
  /** A repeated submit with the same key returns the first message's id and stores nothing. */
  readonly idempotencyKey?: string;
}

const list = (value: string | readonly string[] | undefined): readonly string[] =>
  value === undefined ? [] : typeof value === 'string' ? [value] : value;

/** Checks a submitted message and turns it into what the store keeps. Throws coded errors on bad input. */
export function toNewMessage(
  input: SubmitInput,
  id: string,
  now: number,
  defaultAddressType: string,
): NewMessage {
  if (typeof input !== 'object' || input === null) {
    throw spoolError(
      ErrorCode.BAD_MESSAGE,
      'submit() needs a message object',
      'Pass { to, subject, text, … }.',
    );
  }
  const given: { address: string; type: RecipientType }[] = [
    ...list(input.to).map((address) => ({ address, type: 'to' as const })),
    ...list(input.cc).map((address) => ({ address, type: 'cc' as const })),
    ...list(input.bcc).map((address) => ({ address, type: 'bcc' as const })),
    ...(input.recipients ?? []).map((r) => ({ address: r.address, type: r.type ?? ('to' as const) })),
  ];
  if (given.length === 0) {
    throw spoolError(
      ErrorCode.BAD_MESSAGE,
      'the message has no recipients',
      'Give at least one recipient in to, cc, bcc or recipients.',
    );
  }
  const recipients = given.map((r, index) => {
    if (!['to', 'cc', 'bcc'].includes(r.type)) {
      throw spoolError(
        ErrorCode.BAD_MESSAGE,
        `recipient ${index} has type ${JSON.stringify(r.type)}`,
        'Recipient types are to, cc and bcc.',
      );
    }
    return { ...parseAddress(String(r.address), defaultAddressType, `recipient ${index}`), type: r.type };
  });
  const from = input.from === undefined ? null : parseAddress(input.from, defaultAddressType, 'from').address;
  const attachments = (input.attachments ?? []).map((a, index) => {
    if (
      typeof a?.filename !== 'string' ||
      a.filename === '' ||
      (typeof a.content !== 'string' && !(a.content instanceof Uint8Array))
    ) {
      throw spoolError(
        ErrorCode.BAD_MESSAGE,
        `attachment ${index} needs a filename and content (bytes or text)`,
        'Example: { filename: "a.txt", content: "hello" }',
      );
    }
    return {
      filename: a.filename,
      contentType:
        a.contentType ?? (typeof a.content === 'string' ? 'text/plain' : 'application/octet-stream'),
      content: typeof a.content === 'string' ? new TextEncoder().encode(a.content) : a.content,
      ...(a.contentId === undefined ? {} : { contentId: a.contentId }),
    };
  });
  if (
    input.idempotencyKey !== undefined &&
    (typeof input.idempotencyKey !== 'string' || input.idempotencyKey === '')
  ) {
    throw spoolError(
      ErrorCode.BAD_MESSAGE,
      'idempotencyKey must be a non-empty string',
      'Use a key that identifies this submission, e.g. an order id.',
    );
  }
  return {
    id,
    folder: 'Outbox',
    state: 'queued',
    messageId: rfcMessageId(id),
    from,
    subject: input.subject ?? '',
    text: input.text ?? null,
    html: input.html ?? null,
    messageClass: input.messageClass ?? 'IPM.Note',
    properties: input.properties ?? {},
    deleteAfterSubmit: input.deleteAfterSubmit === true,
    reports: {
      delivery: input.reports?.delivery === true,
      nonDelivery: input.reports?.nonDelivery !== false,
    },
    idempotencyKey: input.idempotencyKey ?? null,
    submittedAt: now,
    recipients,
    attachments,
  };
}
