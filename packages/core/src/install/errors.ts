/**
 * The error codes of `spool provider add|remove|update`. Stable public contract, like the loader's codes;
 * `SPOOL_E_SPI_MISMATCH` and `SPOOL_E_NOT_INSTALLED` mean the same as the loader's codes of those names.
 */
export const InstallErrorCode = {
  /** No version the user asked for accepts an SPI version this host implements. Raised before any download. */
  SPI_MISMATCH: 'SPOOL_E_SPI_MISMATCH',
  /** The registry has no package of that name (every expansion of a short name was tried). */
  PACKAGE_NOT_FOUND: 'SPOOL_E_PACKAGE_NOT_FOUND',
  /** The package exists but no published version matches the requested range (or only deprecated/prereleases do). */
  VERSION_NOT_FOUND: 'SPOOL_E_VERSION_NOT_FOUND',
  /** Every matching version lacks a valid `"spool"` manifest. */
  NOT_A_PROVIDER: 'SPOOL_E_NOT_A_PROVIDER',
  /** The spec could not be parsed (bad name or range). */
  BAD_SPEC: 'SPOOL_E_BAD_SPEC',
  /** The registry refused or failed the metadata request (auth, 5xx, network). */
  REGISTRY_FAILED: 'SPOOL_E_REGISTRY_FAILED',
  /** The package manager failed (exit code, missing binary); the project was rolled back. */
  INSTALL_FAILED: 'SPOOL_E_INSTALL_FAILED',
  /** The package installed but did not load through the loader; the install was rolled back. */
  VERIFY_FAILED: 'SPOOL_E_INSTALL_VERIFY_FAILED',
  /** `remove`/`update` of a provider that is not installed for this profile. */
  NOT_INSTALLED: 'SPOOL_E_NOT_INSTALLED',
} as const;

/** One of the {@link InstallErrorCode} strings. */
export type InstallErrorCode = (typeof InstallErrorCode)[keyof typeof InstallErrorCode];
