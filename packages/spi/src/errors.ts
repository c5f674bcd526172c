/**
 * The error codes of the provider contract. Providers and the host recognise errors by `code`, never by
 * `instanceof`: each provider bundles its own copy of this package, so classes differ across packages but
 * the strings do not. Codes never change meaning; new ones are only added.
 */
export const SpiErrorCode = {
  /** Thrown by a provider: the line or server is busy; the whole hand-off is retried later. */
  BUSY: 'SPOOL_E_BUSY',
  /** Thrown by a provider: a network error (refused, reset, timeout); the hand-off is retried later. */
  NETWORK: 'SPOOL_E_NETWORK',
  /** The operation was cancelled through its `AbortSignal` (user cancel, or a hurried stop). */
  CANCELLED: 'SPOOL_E_CANCELLED',
  /** A call on a support object after its logon was logged off. The provider kept a stale reference. */
  SUPPORT_INVALID: 'SPOOL_E_SUPPORT_INVALID',
  /** Thrown from `xpProviderInit` by a provider that refuses the SPI version the host negotiated. */
  VERSION_REFUSED: 'SPOOL_E_VERSION_REFUSED',
  /** A provider call exceeded its inactivity timeout or its hard cap. */
  TIMEOUT: 'SPOOL_E_TIMEOUT',
  /** A provider's options section does not match its options schema. */
  INVALID_OPTIONS: 'SPOOL_E_INVALID_OPTIONS',
  /** A provider threw something the host did not expect; the error is attributed to it. */
  PROVIDER_FAILED: 'SPOOL_E_PROVIDER_FAILED',
} as const;

/** One of the {@link SpiErrorCode} strings. */
export type SpiErrorCode = (typeof SpiErrorCode)[keyof typeof SpiErrorCode];

/** Options of a {@link SpoolError}: how to fix it, the underlying cause, and structured facts. */
export interface SpoolErrorOptions {
  /** What the reader should do about it, in one or two sentences. */
  readonly hint?: string;
  /** The error that caused this one. */
  readonly cause?: unknown;
  /** Structured facts (paths, versions, names) for `--json` output and tests. */
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * An error with a stable `code`, a message that says what happened and where, and a `hint` that says how to
 * fix it. The host throws these; providers throw them to signal busy/network/cancelled conditions.
 */
export class SpoolError extends Error {
  /** The stable code, e.g. `SPOOL_E_BUSY`. */
  readonly code: string;
  /** How to fix it. */
  readonly hint: string | undefined;
  /** Structured facts about the failure. */
  readonly details: Readonly<Record<string, unknown>>;

  /** Creates an error with a stable code; see {@link SpoolErrorOptions}. */
  constructor(code: string, message: string, options: SpoolErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SpoolError';
    this.code = code;
    this.hint = options.hint;
    this.details = options.details ?? {};
  }
}

/**
 * True when `error` carries a spool error code (optionally: exactly `code`). Works across package copies,
 * because it looks at the `code` string only.
 */
export function isSpoolError(error: unknown, code?: string): error is SpoolError {
  if (typeof error !== 'object' || error === null) return false;
  const actual = (error as { code?: unknown }).code;
  if (typeof actual !== 'string' || !actual.startsWith('SPOOL_E_')) return false;
  return code === undefined || actual === code;
}
