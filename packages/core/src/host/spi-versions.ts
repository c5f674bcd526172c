/**
 * The SPI versions this host implements, oldest first. Each is the `SPI_VERSION` of some `@spool/spi`
 * release (`MAJOR.MINOR.0`). The loader offers a provider the highest one its manifest range accepts.
 *
 * Adding a version here is a promise that the host drives every provider written against it; an old major
 * may be dropped only in a major release of `@spool/core`.
 */
export const HOST_SPI_VERSIONS: readonly string[] = Object.freeze(['1.0.0']);
