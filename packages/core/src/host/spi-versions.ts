/**
 * The SPI versions this host implements, oldest first. Each is the `SPI_VERSION` of some `@spool/spi`
 * release (`MAJOR.MINOR.0`). The loader offers a provider the highest one its manifest range accepts.
 *
 * Adding a version here is a promise that the host drives every provider written against it; an old major
 * may be dropped only in a major release of `@spool/core`.
 *
 * - 1.0.0: the first SPI.
 * - 1.1.0: `@spool/spi` adds `ADDRESS_TYPE_PATTERN` and `isAddressType()` (the address-type rule the host
 *   applies, now also at hand for providers). No call into a provider or out of one changed, so a provider
 *   negotiated at 1.0.0 and one at 1.1.0 are driven the same way (`^1.0.0` gets 1.1.0, `~1.0.0` gets 1.0.0).
 */
export const HOST_SPI_VERSIONS: readonly string[] = Object.freeze(['1.0.0', '1.1.0']);
