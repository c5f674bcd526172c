/**
 * The SPI version this copy of `@spool/spi` describes, always `MAJOR.MINOR.0`.
 *
 * Who reads it: provider authors, to see which SPI their build describes (their manifest range starts at the
 * oldest version whose additions they use, `^1.0.0` when none), and the host, which lists the SPI versions it
 * implements (each one an `SPI_VERSION` of some release of this package). A patch release of `@spool/spi`
 * never changes it; a minor release adds to the contract; a major release breaks it.
 *
 * - 1.0.0: the contract as first published.
 * - 1.1.0: added `ADDRESS_TYPE_PATTERN` and `isAddressType()`, the one rule for the shape of an address type.
 *   Nothing a provider implements changed: a provider built against 1.0 runs unchanged on a 1.1 host.
 */
export const SPI_VERSION = '1.1.0';
