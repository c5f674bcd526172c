import { SpoolError } from '@spool/core';

/**
 * What `spool` exits with. Scripts may rely on these; they are documented in `spool --help`.
 * 0: done. 1: a user error or a coded error (bad profile, provider refused, …). 2: the command line itself was
 * wrong. 3: the spooler failed (store, internal error).
 */
export const ExitCode = { OK: 0, USER: 1, USAGE: 2, FAILURE: 3 } as const;

/** One of the {@link ExitCode} values. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** The error codes only the CLI raises (the host's own are in `@spool/core`'s `ErrorCode`). */
export const CliErrorCode = {
  /** The command line was wrong: unknown command or option, missing argument. */
  USAGE: 'SPOOL_E_USAGE',
  /** `spool init` found a profile and was not told to replace it. */
  PROFILE_EXISTS: 'SPOOL_E_PROFILE_EXISTS',
  /** The CLI cannot edit this kind of profile (JS/TS) safely. */
  PROFILE_NOT_EDITABLE: 'SPOOL_E_PROFILE_NOT_EDITABLE',
  /** `spool provider link` found the provider already in the profile, or the entry id taken. */
  ALREADY_LINKED: 'SPOOL_E_ALREADY_LINKED',
} as const;

/** Codes that mean the spooler itself failed rather than the user's input (exit code 3). */
const FAILURE_CODES = new Set(['SPOOL_E_STORE_FAILED', 'SPOOL_E_STORE_TOO_NEW', 'SPOOL_E_STOPPED']);

/** A usage error: printed with the command's help line, exit code 2. */
export function usageError(
  message: string,
  hint = 'Run `spool --help` for the commands and options.',
): SpoolError {
  return new SpoolError(CliErrorCode.USAGE, message, { hint });
}

/** The exit code for something thrown by a command. */
export function exitCodeOf(error: unknown): ExitCode {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (code === CliErrorCode.USAGE) return ExitCode.USAGE;
  if (typeof code === 'string' && code.startsWith('SPOOL_E_')) {
    return FAILURE_CODES.has(code) ? ExitCode.FAILURE : ExitCode.USER;
  }
  return ExitCode.FAILURE;
}
