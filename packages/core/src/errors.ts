import { SpiErrorCode, SpoolError } from '@spool/spi';

/**
 * Every error code the host raises, in one place (rollup keeps its catalogue the same way). Codes are
 * stable public contract: tests, `--json` output and scripts match on them. Keep them sorted by area.
 */
export const ErrorCode = {
  ...SpiErrorCode,
  // Loading providers and store packages
  NOT_INSTALLED: 'SPOOL_E_NOT_INSTALLED',
  IMPORT_FAILED: 'SPOOL_E_IMPORT_FAILED',
  NO_ENTRY: 'SPOOL_E_NO_ENTRY',
  BAD_SHAPE: 'SPOOL_E_BAD_SHAPE',
  BAD_MANIFEST: 'SPOOL_E_BAD_MANIFEST',
  SPI_MISMATCH: 'SPOOL_E_SPI_MISMATCH',
  META_MISMATCH: 'SPOOL_E_META_MISMATCH',
  /** A store package whose manifest range excludes the store-port version this host implements. */
  STORE_MISMATCH: 'SPOOL_E_STORE_MISMATCH',
  LOGON_FAILED: 'SPOOL_E_LOGON_FAILED',
  /**
   * A logon's breaker is open: its hand-offs kept failing temporarily, so it gets none until the cool-down
   * ends (its mail waits or fails over). It closes by itself when a probe hand-off goes through.
   */
  ROUTE_SUSPENDED: 'SPOOL_E_ROUTE_SUSPENDED',
  // Profile
  PROFILE_NOT_FOUND: 'SPOOL_E_PROFILE_NOT_FOUND',
  PROFILE_INVALID: 'SPOOL_E_PROFILE_INVALID',
  /** A profile file with nothing in it (or only comments). */
  PROFILE_EMPTY: 'SPOOL_E_PROFILE_EMPTY',
  /** A key the profile does not know (listed in `details.problems` of a `SPOOL_E_PROFILE_INVALID`). */
  PROFILE_UNKNOWN_KEY: 'SPOOL_E_PROFILE_UNKNOWN_KEY',
  ENV_MISSING: 'SPOOL_E_ENV_MISSING',
  // Messages and the store
  BAD_ADDRESS: 'SPOOL_E_BAD_ADDRESS',
  BAD_MESSAGE: 'SPOOL_E_BAD_MESSAGE',
  MESSAGE_NOT_FOUND: 'SPOOL_E_MESSAGE_NOT_FOUND',
  ALREADY_FINISHED: 'SPOOL_E_ALREADY_FINISHED',
  BAD_FOLDER: 'SPOOL_E_BAD_FOLDER',
  STORE_TOO_NEW: 'SPOOL_E_STORE_TOO_NEW',
  STORE_FAILED: 'SPOOL_E_STORE_FAILED',
  STOPPED: 'SPOOL_E_STOPPED',
  RELOAD_NEEDS_RESTART: 'SPOOL_E_RELOAD_NEEDS_RESTART',
  /**
   * A reload was checked and switched to, but an entry it started failed to log on (a file its logon opens is
   * missing, bad credentials, a timeout): the message names the entry and its error, the entry stays failed
   * (its mail waits), the other entries run the new profile. Fix the entry and reload again.
   */
  RELOAD_LOGON_FAILED: 'SPOOL_E_RELOAD_LOGON_FAILED',
} as const;

/** One of the host's error codes. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export { isSpoolError, SpoolError } from '@spool/spi';

/** Who a provider call belongs to; attached to every error a provider causes. */
export interface Attribution {
  readonly provider: string;
  readonly version: string;
  readonly method: string;
  readonly logonId?: string;
  readonly messageId?: string;
}

/** Renders an attribution as the `[provider@version method …]` prefix used in messages. */
export function describeAttribution(a: Attribution): string {
  const parts = [`${a.provider}@${a.version}`, a.method];
  if (a.logonId) parts.push(`logon ${a.logonId}`);
  if (a.messageId) parts.push(`message ${a.messageId}`);
  return `[${parts.join(' ')}]`;
}

/** The message of anything thrown, without assuming it is an Error. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : JSON.stringify(error);
}

/** Builds a SpoolError; a shorthand that keeps call sites to one line of facts. */
export function spoolError(
  code: ErrorCode,
  message: string,
  hint: string,
  details: Record<string, unknown> = {},
  cause?: unknown,
): SpoolError {
  return new SpoolError(code, message, { hint, details, ...(cause === undefined ? {} : { cause }) });
}

/** Formats an error for people: code, message, and the fix on its own line. */
export function formatError(error: unknown): string {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') {
    const hint = (error as { hint?: unknown }).hint;
    return `${error.code}: ${error.message}${typeof hint === 'string' && hint ? `\n  fix: ${hint}` : ''}`;
  }
  return messageOf(error);
}
