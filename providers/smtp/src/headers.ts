import type { JsonValue } from '@spool/spi';

/** One header line to add to a MIME message (a name may repeat). */
export interface HeaderLine {
  /** Header name as written. */
  readonly key: string;
  /** Header value, one line. */
  readonly value: string;
}

// RFC 5322 field names: printable US-ASCII except colon. Anything else would corrupt the header block.
const FIELD_NAME = /^[!-9;-~]+$/;

// Headers the MIME builder owns; a property must not override them (Bcc would leak hidden recipients,
// Content-* would break the structure, the others come from the message itself).
const RESERVED = new Set([
  'from',
  'to',
  'cc',
  'bcc',
  'subject',
  'message-id',
  'date',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
  'content-disposition',
]);

function scalarText(value: JsonValue): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function push(lines: HeaderLine[], key: string, value: JsonValue): void {
  if (!FIELD_NAME.test(key) || RESERVED.has(key.toLowerCase())) return;
  const values = Array.isArray(value) ? value : [value];
  for (const item of values) {
    const text = scalarText(item);
    // Line breaks in a value would let a property inject headers of its own; fold them into spaces.
    if (text !== undefined) lines.push({ key, value: text.replace(/[\r\n]+\s*/g, ' ') });
  }
}

/**
 * The message headers carried by message properties. Two places count, so applications can use either:
 *
 * - a `headers` object: every key is a header name (`{ headers: { 'Reply-To': 'a@b', 'List-Id': '…' } }`);
 * - any top-level property whose key starts with `x-` (case-insensitive), e.g. `x-campaign: "spring"`.
 *
 * Values may be strings, numbers, booleans, or arrays of those (one header line each); other values are
 * skipped. Headers the builder owns (From, To, Cc, Bcc, Subject, Message-ID, Date, MIME-Version,
 * Content-*) are never taken from properties.
 */
export function headersFromProperties(properties: Readonly<Record<string, JsonValue>>): HeaderLine[] {
  const lines: HeaderLine[] = [];
  const nested = properties.headers;
  if (nested !== null && typeof nested === 'object' && !Array.isArray(nested)) {
    for (const [key, value] of Object.entries(nested)) push(lines, key, value);
  }
  for (const [key, value] of Object.entries(properties)) {
    if (/^x-/i.test(key)) push(lines, key, value);
  }
  return lines;
}

/** Strips the `SMTP:` type prefix; returns undefined for an address of another type (`FAX:+1555…`). */
export function smtpAddress(
  address: string | undefined,
  addressTypes: readonly string[],
): string | undefined {
  if (address === undefined) return undefined;
  const trimmed = address.trim();
  const match = /^([A-Za-z][A-Za-z0-9-]*):(.*)$/.exec(trimmed);
  if (match === null) return trimmed === '' ? undefined : trimmed;
  const [, type = '', rest = ''] = match;
  if (addressTypes.includes(type.toUpperCase())) return rest.trim() === '' ? undefined : rest.trim();
  return undefined;
}
