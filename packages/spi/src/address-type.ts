/**
 * The shape of an address type: the `TYPE` in `TYPE:rest` (`SMTP`, `FAX`, `X-LOOP`) — a letter, then letters,
 * digits or dashes. Address types compare case-insensitively; the host upper-cases them.
 *
 * One rule for everyone who reads an address type: the host checks manifests, `addressTypes()` results,
 * `defaultAddressType` and addresses with it; a provider may check its own input with it. Added in SPI 1.1.
 *
 * @since SPI 1.1.0
 */
export const ADDRESS_TYPE_PATTERN: RegExp = /^[A-Za-z][A-Za-z0-9-]*$/;

/**
 * True when `value` is a well-formed address type (see {@link ADDRESS_TYPE_PATTERN}).
 *
 * @since SPI 1.1.0
 */
export function isAddressType(value: unknown): value is string {
  return typeof value === 'string' && ADDRESS_TYPE_PATTERN.test(value);
}
