/**
 * The SPI version this copy of `@spool/spi` describes, always `MAJOR.MINOR.0`.
 *
 * Who reads it: provider authors write their manifest range from it (`^1.0.0`), and the host lists the SPI
 * versions it implements (each one an `SPI_VERSION` of some release of this package). A patch release of
 * `@spool/spi` never changes it; a minor release adds to the contract; a major release breaks it.
 */
export const SPI_VERSION = '1.0.0';
