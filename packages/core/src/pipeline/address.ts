import { ADDRESS_TYPE_PATTERN } from '@spool/spi';
import { ErrorCode, spoolError } from '../errors.js';

/** A parsed address: the type upper-cased, the rest as written. */
export interface ParsedAddress {
  /** `TYPE:rest`, type upper-case. */
  readonly address: string;
  readonly addressType: string;
  readonly value: string;
}

// Deliberately simple: one @, no spaces, a dot-free or dotted domain. RFC 5322 in full is not the point here:
// it only decides whether an untyped address is an email address that gets the default type.
const EMAIL = /^[^\s@:<>]+@[^\s@:<>]+$/;

/**
 * Parses `TYPE:rest` (`SMTP:alice@example.com`, `fax:+15550100`, `LOOP:bob`). An address without a type that
 * looks like an email address gets `defaultType`; anything else is refused with `SPOOL_E_BAD_ADDRESS`.
 */
export function parseAddress(input: string, defaultType: string, where = 'address'): ParsedAddress {
  const text = input.trim();
  const colon = text.indexOf(':');
  if (colon > 0) {
    const type = text.slice(0, colon);
    const value = text.slice(colon + 1).trim();
    if (ADDRESS_TYPE_PATTERN.test(type) && value.length > 0) {
      const addressType = type.toUpperCase();
      return { address: `${addressType}:${value}`, addressType, value };
    }
  }
  if (EMAIL.test(text)) {
    const addressType = defaultType.toUpperCase();
    return { address: `${addressType}:${text}`, addressType, value: text };
  }
  throw spoolError(
    ErrorCode.BAD_ADDRESS,
    `${where} ${JSON.stringify(input)} is not an address: expected TYPE:rest (e.g. SMTP:alice@example.com, FAX:+15550100) or an email address`,
    'Prefix the address with its type and a colon; the type is letters, digits and dashes, starting with a letter.',
    { address: input },
  );
}
