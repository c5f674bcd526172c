import { SpoolError } from '@spool/spi';

/**
 * The error codes of the test kit. Like every spool code they are stable strings: match on `code`, never on
 * the message. A conformance failure names the contract rule it checked and where the SPI doc explains it.
 */
export const TestkitErrorCode = {
  /** No test functions were passed and the runner exposes none as globals. */
  NO_TEST_API: 'SPOOL_E_TESTKIT_NO_TEST_API',
  /** The options given to a test-kit function are incomplete or contradictory. */
  BAD_USAGE: 'SPOOL_E_TESTKIT_BAD_USAGE',
  /** A provider broke a rule of the SPI contract. */
  CONFORMANCE: 'SPOOL_E_CONFORMANCE',
  /** The packed tarball did not install or did not load through the real loader. */
  PACK_CHECK: 'SPOOL_E_PACK_CHECK',
} as const;

/** One of the {@link TestkitErrorCode} strings. */
export type TestkitErrorCode = (typeof TestkitErrorCode)[keyof typeof TestkitErrorCode];

/** A conformance failure: what the provider did, the rule it broke, and where the rule is written down. */
export function conformanceError(
  provider: string,
  rule: string,
  what: string,
  hint: string,
  details: Record<string, unknown> = {},
  cause?: unknown,
): SpoolError {
  return new SpoolError(TestkitErrorCode.CONFORMANCE, `${provider}: ${what} (rule: ${rule})`, {
    hint: `${hint} The rule is in docs/spi.md of the spool repository, under "${rule}".`,
    details: { provider, rule, ...details },
    ...(cause === undefined ? {} : { cause }),
  });
}

/** A usage error of the test kit itself. */
export function usageError(message: string, hint: string): SpoolError {
  return new SpoolError(TestkitErrorCode.BAD_USAGE, message, { hint });
}
