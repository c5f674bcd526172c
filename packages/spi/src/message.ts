/** A JSON value, the only kind of data a message property may hold (it is stored as JSON). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** How a recipient was addressed: `to` and `cc` appear in headers, `bcc` only in the envelope. */
export type RecipientType = 'to' | 'cc' | 'bcc';

/**
 * A file carried by a message. `content` is the raw bytes; providers that need another form (base64 for
 * MIME, pages for a fax) convert it in their preprocessor.
 */
export interface Attachment {
  /** The file name shown to the receiver. */
  readonly filename: string;
  /** MIME type, e.g. `application/pdf`. */
  readonly contentType: string;
  /** The bytes of the file. */
  readonly content: Uint8Array;
  /** Optional content id, for inline images referenced from the HTML body (`cid:`). */
  readonly contentId?: string;
}

/**
 * A recipient as the host hands it to a provider: already parsed from `TYPE:rest`, the type upper-cased.
 *
 * Who reads it: the provider, in `submitMessage` and in its preprocessor; it reports one outcome per `id`.
 */
export interface OutboundRecipient {
  /** Stable id of this recipient within the message; the key of its outcome in {@link SubmitResult}. */
  readonly id: string;
  /** The full address, `TYPE:rest`, type upper-case (e.g. `SMTP:alice@example.com`). */
  readonly address: string;
  /** The address type, upper-case (e.g. `SMTP`). */
  readonly addressType: string;
  /** The part after the colon, as the sender wrote it (e.g. `alice@example.com`, `+15550100`). */
  readonly value: string;
  /** How the recipient was addressed. */
  readonly type: RecipientType;
  /** How many hand-offs of this recipient were tried before this one (0 on the first). */
  readonly attempts: number;
}

/**
 * A message leaving the spooler, as the provider sees it in `submitMessage` and in its preprocessor.
 * It is read-only: a provider never changes the stored message; a preprocessor returns what it adds.
 */
export interface OutboundMessage {
  /** The spooler's id of the message (stable across retries and restarts). */
  readonly id: string;
  /** The RFC 5322 Message-ID assigned at submit, e.g. `<…@spool>`; the same on every retry. */
  readonly messageId: string;
  /** The sender's address (`TYPE:rest`), when the message has one. */
  readonly from?: string;
  /** Every displayed and blind recipient of the message (not only the ones routed to this provider). */
  readonly recipients: readonly OutboundRecipient[];
  /** Subject line ('' when none). */
  readonly subject: string;
  /** Plain-text body. */
  readonly text?: string;
  /** HTML body. */
  readonly html?: string;
  /** Attachments, in order. */
  readonly attachments: readonly Attachment[];
  /** Message class, `IPM.Note` unless set otherwise. */
  readonly messageClass: string;
  /** Free-form properties (custom headers, trace stamps); preprocessor results are merged in. */
  readonly properties: Readonly<Record<string, JsonValue>>;
  /** When the message was accepted into the Outbox. */
  readonly submittedAt: Date;
}

/**
 * A message a provider received, handed to the host through {@link InboundSink.save}.
 * Only `subject` is required; the host fills the rest with defaults (class `IPM.Note`).
 */
export interface InboundMessage {
  /** Sender address (`TYPE:rest`, or a bare email address). */
  readonly from?: string;
  /** Recipients as received. */
  readonly recipients?: readonly { readonly address: string; readonly type?: RecipientType }[];
  /** Subject line. */
  readonly subject: string;
  /** Plain-text body. */
  readonly text?: string;
  /** HTML body. */
  readonly html?: string;
  /** Attachments. */
  readonly attachments?: readonly Attachment[];
  /** Message class; decides the receive folder (longest prefix). Defaults to `IPM.Note`. */
  readonly messageClass?: string;
  /** Properties to keep with the message (e.g. original headers). */
  readonly properties?: Readonly<Record<string, JsonValue>>;
  /** The Message-ID the message arrived with, if any. */
  readonly messageId?: string;
  /** When the provider received it; defaults to when the host stored it. */
  readonly receivedAt?: Date;
  /**
   * A key unique at the provider's source (a queue file name, a server's message UID). A second `save()` with
   * the same key from the same logon stores nothing and returns the first id, so a provider that crashed
   * after the save but before acknowledging its source does not deliver the message twice.
   */
  readonly idempotencyKey?: string;
}
