import type { Output } from './output.js';

/** The options of the command line, parsed once. Each command reads the ones it takes (see `index.ts`). */
export interface GlobalOptions {
  /** `--profile <file>`: the profile to use instead of searching the current directory. */
  readonly profile: string | undefined;
  /** `--json`: print machine-readable JSON on stdout. */
  readonly json: boolean;
  /** `--force`: replace what a command would otherwise refuse to overwrite. */
  readonly force: boolean;
  /** `--id <id>`: the entry id for `provider link`. */
  readonly id: string | undefined;
  /** `send --from <address>`. */
  readonly from: string | undefined;
  /** `send --to <address>`, repeatable. */
  readonly to: readonly string[];
  /** `send --cc <address>`, repeatable. */
  readonly cc: readonly string[];
  /** `send --bcc <address>`, repeatable. */
  readonly bcc: readonly string[];
  /** `send --subject <text>`. */
  readonly subject: string | undefined;
  /** `send --body <text>`. */
  readonly body: string | undefined;
  /** `send --body-file <file>`. */
  readonly bodyFile: string | undefined;
  /** `send --attach <file>`, repeatable. */
  readonly attach: readonly string[];
  /** `send --delete-after-submit`. */
  readonly deleteAfterSubmit: boolean;
  /** `send --idempotency-key <key>`. */
  readonly idempotencyKey: string | undefined;
  /** `run --once`. */
  readonly once: boolean;
  /** `list --limit <n>`, as typed (the command checks it). */
  readonly limit: string | undefined;
  /** `run --port <n>`: the daemon's API port on 127.0.0.1, as typed (default 0: any free port). */
  readonly port: string | undefined;
  /** `status --watch`: refresh until Ctrl-C. */
  readonly watch: boolean;
  /** `status --watch --count <n>`: stop after n refreshes, as typed. */
  readonly count: string | undefined;
  /** `status --watch --interval <duration>`: time between refreshes, as typed (default 2s). */
  readonly interval: string | undefined;
  /** `provider add|update --allow-scripts`: let the package manager run the provider's install scripts. */
  readonly allowScripts: boolean;
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
