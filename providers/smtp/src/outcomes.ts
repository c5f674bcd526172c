import type { RecipientOutcome } from '@spool/spi';
import { SpiErrorCode } from '@spool/spi';
import { SmtpErrorCode } from './errors.js';

/**
 * The fields of a nodemailer SMTP error this module reads. nodemailer sets `code` (its own: `EENVELOPE`,
 * `EAUTH`, `ETLS`, …, or a socket code), `responseCode` and `response` (the server's reply) when the server
 * answered, and `command` (`CONN`, `EHLO`, `AUTH PLAIN`, `MAIL FROM`, `RCPT TO`, `DATA`, `API`, …).
 * `rejectedErrors` is only on the error for "all recipients were rejected"; each entry has `recipient`.
 */
export interface SmtpErrorLike {
  /** nodemailer's message (includes the reply when there was one). */
  readonly message?: string;
  /** nodemailer's or the socket's error code. */
  readonly code?: string;
  /** The numeric SMTP reply code, when the server answered. */
  readonly responseCode?: number;
  /** The server's reply text, when it answered. */
  readonly response?: string;
  /** The command being answered (`CONN`, `EHLO`, `MAIL FROM`, `RCPT TO`, `DATA`, `API`, …). */
  readonly command?: string;
  /** The recipient a RCPT TO rejection is about. */
  readonly recipient?: string;
  /** Every RCPT TO rejection, on the error for "all recipients were rejected". */
  readonly rejectedErrors?: readonly SmtpErrorLike[];
}

/** What one send through the pool ended with, as `classifySend` sees it. */
export type SendReport =
  | {
      readonly ok: true;
      /** The final reply to DATA, e.g. `250 2.0.0 OK queued`. */
      readonly response: string;
      /** Per-recipient RCPT TO rejections of a partially accepted envelope (`info.rejectedErrors`). */
      readonly rejectedErrors: readonly SmtpErrorLike[];
    }
  | { readonly ok: false; readonly error: SmtpErrorLike };

/**
 * The whole hand-off could not be taken. `attention` marks what a person must fix (credentials, TLS): the
 * logon shows `failure` with `lastError` then, but the messages are still only deferred, never failed.
 */
export interface HandOffDeferral {
  /** Discriminant. */
  readonly kind: 'defer';
  /** Why, for the host's deferral and the status row. */
  readonly reason: string;
  /** A stable code for `lastError`. */
  readonly code: string;
  /** A person must act (credentials, TLS): the logon's row shows `failure`. */
  readonly attention: boolean;
}

/** Outcomes per recipient address (normalised with {@link addressKey}). */
export interface PerRecipient {
  /** Discriminant. */
  readonly kind: 'recipients';
  /** The outcome of a recipient whose address is not in `byAddress`. */
  readonly fallback: RecipientOutcome;
  /** Outcomes of the recipients the server answered one by one. */
  readonly byAddress: ReadonlyMap<string, RecipientOutcome>;
}

/** The classification of one send. */
export type SendClassification = HandOffDeferral | PerRecipient;

/** How two envelope addresses are compared: the local part is case-sensitive by RFC, but no real server is. */
export function addressKey(address: string): string {
  return address.trim().replace(/^<|>$/g, '').toLowerCase();
}

/** The server's reply text, or the client-side message when the server said nothing. One line. */
export function replyText(error: SmtpErrorLike): string {
  const text = error.response ?? error.message ?? 'unknown SMTP error';
  return text.replace(/\s*\r?\n\s*/g, ' ').trim();
}

/** A reply to one recipient: 5xx fails it for good, anything else is worth another try. */
export function outcomeForReply(error: SmtpErrorLike): RecipientOutcome {
  const reason = replyText(error);
  if (error.responseCode !== undefined && error.responseCode >= 500 && error.responseCode < 600) {
    return { status: 'failed', reason, code: String(error.responseCode) };
  }
  return { status: 'retry', reason };
}

// The socket and TLS library codes that mean "the certificate or handshake failed". nodemailer often
// rewrites `code` to ESOCKET, so the message is checked too (see isTlsFailure).
const TLS_CODES = new Set([
  'ETLS',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);
const TLS_MESSAGE = /certificate|self[- ]signed|\bTLS\b|\bSSL\b|handshake|STARTTLS/i;

/** True when the error is a TLS set-up failure (handshake, certificate, STARTTLS refused or missing). */
export function isTlsFailure(error: SmtpErrorLike): boolean {
  if (error.code !== undefined && TLS_CODES.has(error.code)) return true;
  if (error.command === 'STARTTLS') return true;
  // requireTLS against a server without STARTTLS: nodemailer says so in a plain ECONNECTION.
  return (error.code === 'ESOCKET' || error.code === 'ECONNECTION') && TLS_MESSAGE.test(error.message ?? '');
}

/** True when the server refused our credentials or AUTH could not run. */
export function isAuthFailure(error: SmtpErrorLike): boolean {
  return error.code === 'EAUTH' || error.responseCode === 530 || error.responseCode === 535;
}

function defer(reason: string, code: string, attention = false): HandOffDeferral {
  return { kind: 'defer', reason, code, attention };
}

function everyone(outcome: RecipientOutcome): PerRecipient {
  return { kind: 'recipients', fallback: outcome, byAddress: new Map() };
}

function perRecipientRejections(
  rejected: readonly SmtpErrorLike[],
  accepted: RecipientOutcome,
): PerRecipient {
  const byAddress = new Map<string, RecipientOutcome>();
  for (const rejection of rejected) {
    if (rejection.recipient !== undefined)
      byAddress.set(addressKey(rejection.recipient), outcomeForReply(rejection));
  }
  return { kind: 'recipients', fallback: accepted, byAddress };
}

/**
 * Maps what the SMTP dialogue ended with to outcomes. The rules, in order:
 *
 * 1. Accepted: every recipient is delivered, except those refused at RCPT TO (5xx failed, 4xx retry).
 * 2. Auth (EAUTH, 530, 535) and TLS failures defer the hand-off and need attention: they are the account's
 *    fault, not the message's, so failing messages would be wrong.
 * 3. 421 anywhere (server closing), connection errors and timeouts defer the hand-off.
 * 4. Every recipient refused at RCPT TO: per recipient as in rule 1.
 * 5. A reply to MAIL FROM or DATA (or the message body): 5xx fails every recipient with the reply, 4xx defers.
 * 6. Anything else defers: when in doubt, never lose a message.
 */
export function classifySend(report: SendReport): SendClassification {
  if (report.ok) {
    return perRecipientRejections(report.rejectedErrors, { status: 'delivered', detail: report.response });
  }
  const error = report.error;
  const reply = replyText(error);
  if (isAuthFailure(error)) return defer(`authentication failed: ${reply}`, SmtpErrorCode.AUTH, true);
  if (isTlsFailure(error)) return defer(`TLS failed: ${reply}`, SmtpErrorCode.TLS, true);
  if (error.responseCode === 421) return defer(`server unavailable: ${reply}`, SpiErrorCode.BUSY);
  if (error.command === 'RCPT TO' && error.rejectedErrors !== undefined && error.rejectedErrors.length > 0) {
    return perRecipientRejections(error.rejectedErrors, { status: 'retry', reason: reply });
  }
  const afterEnvelope = error.command === 'MAIL FROM' || error.command === 'DATA';
  if (afterEnvelope && error.responseCode !== undefined) {
    if (error.responseCode >= 500)
      return everyone({ status: 'failed', reason: reply, code: String(error.responseCode) });
    return defer(`temporary failure at ${error.command}: ${reply}`, SpiErrorCode.BUSY);
  }
  // nodemailer's own size check against the server's SIZE extension: the message can never go through.
  if (error.code === 'EMESSAGE' && error.command === 'MAIL FROM') {
    return everyone({ status: 'failed', reason: reply, code: '552' });
  }
  return defer(`connection failed: ${reply}`, SpiErrorCode.NETWORK);
}
