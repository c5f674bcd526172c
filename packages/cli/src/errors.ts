/**
 * What `spool` exits with. Scripts may rely on these; they are documented in `spool --help`.
 * 0: done. 1: a user error or a coded error (bad profile, provider refused, …). 2: the command line itself was
 * wrong. 3: the spooler failed (store, internal error). 4: `spool run --once` ran its pass, but a provider
 * entry could not serve (its mail waits in the Outbox).
 */
export const ExitCode = { OK: 0, USER: 1, USAGE: 2, FAILURE: 3, ENTRY_FAILED: 4 } as const;

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
  /** A file named on the command line (`--body-file`, `--attach`) cannot be read. */
  FILE_UNREADABLE: 'SPOOL_E_FILE_UNREADABLE',
  /** `spool store backup` was given a file that exists and was not told to replace it. */
  FILE_EXISTS: 'SPOOL_E_FILE_EXISTS',
  /** `spool run` found a live daemon on the same profile (its lock file names the pid). */
  DAEMON_RUNNING: 'SPOOL_E_DAEMON_RUNNING',
  /** A daemon request came without the bearer token from daemon.json, or with a wrong one. */
  UNAUTHORIZED: 'SPOOL_E_UNAUTHORIZED',
  /** The daemon named in daemon.json answered, but not as expected (connection lost, bad reply). */
  DAEMON_FAILED: 'SPOOL_E_DAEMON_FAILED',
  /** A daemon request was malformed: bad JSON, missing fields, unknown route or method, too large. */
  BAD_REQUEST: 'SPOOL_E_BAD_REQUEST',
  /** `spool run --port N` found the port taken on 127.0.0.1. */
  PORT_IN_USE: 'SPOOL_E_PORT_IN_USE',
  /** `spool store vacuum|backup` on a store that has no maintenance operations (its own tools do that). */
  STORE_NO_ADMIN: 'SPOOL_E_STORE_NO_ADMIN',
} as const;

/** Codes that mean the spooler itself failed rather than the user's input (exit code 3). */
const FAILURE_CODES = new Set([
  'SPOOL_E_STORE_FAILED',
  'SPOOL_E_STORE_TOO_NEW',
  'SPOOL_E_STOPPED',
  'SPOOL_E_DAEMON_FAILED',
]);

/**
 * An error the CLI raises itself, shaped like `@spool/core`'s SpoolError (code, message, hint, details) so it
 * prints and exits the same way. Defined here so `spool --help` and usage errors never load the host.
 */
export class CliError extends Error {
  /** The stable code, one of {@link CliErrorCode}. */
  readonly code: string;
  /** How to fix it. */
  readonly hint: string | undefined;
  /** Structured facts for `--json` output and tests. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: string,
    message: string,
    options: { hint?: string; details?: Record<string, unknown> } = {},
  ) {
    super(message);
    this.name = 'CliError';
    this.code = code;
    this.hint = options.hint;
    this.details = options.details ?? {};
  }
}

/** A usage error: printed with the command's help line, exit code 2. */
export function usageError(
  message: string,
  hint = 'Run `spool --help` for the commands and options.',
): CliError {
  return new CliError(CliErrorCode.USAGE, message, { hint });
}

/** Formats an error for people: `CODE: message`, then `  fix: hint` (the same layout as core's formatError). */
export function formatError(error: unknown): string {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') {
    const hint = (error as { hint?: unknown }).hint;
    return `${error.code}: ${error.message}${typeof hint === 'string' && hint ? `\n  fix: ${hint}` : ''}`;
  }
  return error instanceof Error ? error.message : String(error);
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
