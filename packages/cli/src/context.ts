import type { Output } from './output.js';

/** The options every command understands. */
export interface GlobalOptions {
  /** `--profile <file>`: the profile to use instead of searching the current directory. */
  readonly profile: string | undefined;
  /** `--json`: print machine-readable JSON on stdout. */
  readonly json: boolean;
  /** `--force`: replace what a command would otherwise refuse to overwrite. */
  readonly force: boolean;
  /** `--id <id>`: the entry id for `provider link`. */
  readonly id: string | undefined;
}

/** What a command gets: its arguments, the global options, where to print, and the process facts. */
export interface CommandContext {
  readonly args: readonly string[];
  readonly options: GlobalOptions;
  readonly out: Output;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
}

/** A command: returns its exit code, or throws (a coded error exits 1, a usage error 2). */
export type Command = (context: CommandContext) => Promise<number>;
