import { parseArgs } from 'node:util';
import type { Command, CommandContext, GlobalOptions } from './context.js';
import { ExitCode, exitCodeOf, usageError } from './errors.js';
import { type Output, processOutput } from './output.js';

export { BUILTIN_PROVIDERS, builtinProviders } from './builtins.js';
export type { CommandContext, GlobalOptions } from './context.js';
export { CliErrorCode, ExitCode } from './errors.js';
export { NODE_FLAGS_ENV, RUN_NODE_FLAGS, relaunchForRun } from './relaunch.js';

const HELP = `spool — a message spooler with pluggable transport providers

Usage: spool <command> [options]      (spool <command> --help for one command)

Commands:
  init [dir]                 write a commented spool.config.yaml (loopback provider) in dir (default: .)
  send                       store a message in the Outbox (a running daemon hands it off at once)
  run [--once]               run the daemon (spooler + API on 127.0.0.1) until Ctrl-C; --once: one pass
  flush                      deliver now: retry every deferred recipient, then receive, with progress
  list <folder>              the messages of a folder (outbox, sent, inbox, deleted, or a custom one)
  show <id>                  one message: recipients with their outcomes, attachments, text
  queue                      pending recipients with their next attempt
  cancel <id>                cancel a queued message (no NDR); it goes to Deleted
  move <id> <folder>         move a finished or received message to another folder
  delete <id>                delete a finished or received message for good
  store vacuum               compact the message store
  store backup <file>        write a consistent copy of the store while it is in use
  provider add <name>[@range]  install the newest provider version whose SPI range this host accepts
  provider remove <name>     remove a provider entry from the profile (and uninstall what add installed)
  provider update [name]     update installed providers within what this host accepts
  provider link <dir>        add a local provider folder to the profile, after checking its SPI range
  provider list              every provider entry: package, version, source, SPI, address types, state
  provider info <name>       one provider: package, source, SPI, address types, accounts, copies
  provider doctor            check every provider: resolution, SPI, claims, shadowed copies, problems
  status [--watch]           the status table: one row per logon (--watch: refresh until Ctrl-C)

Options:
  --profile <file>           the profile to use (default: search the current directory)
  --json                     machine-readable output on stdout
  --force                    init: replace an existing spool.config.yaml; store backup: replace the file
  --port <n>                 run: the daemon's API port on 127.0.0.1 (default: any free port)
  --watch                    status: refresh until Ctrl-C (--interval D, --count N)
  --id <id>                  provider link/add: the entry id (default: derived from the name)
  --allow-scripts            provider add/update: run the provider's install scripts (off by default)
  -h, --help                 this help (after a command: that command's help)
  -v, --version              the CLI version

With a daemon running on the profile (spool run), send, cancel, flush and status go through its API;
otherwise they work in-process on the store. Every --json output has a JSON Schema in @spool/cli/schemas.

Exit codes: 0 ok, 1 user error (coded, e.g. SPOOL_E_PROFILE_INVALID), 2 usage error, 3 spooler failure,
4 run --once: a provider entry could not serve (its mail waits in the Outbox).
Errors are printed as "CODE: message" and "fix: hint". Colours only on a TTY, never with NO_COLOR.`;

/** Options every command takes. */
const COMMON = ['profile', 'json', 'help', 'version'] as const;

/** One command: how to load it, which options and how many arguments it takes, and its help. */
interface CommandSpec {
  readonly load: () => Promise<Command>;
  readonly options: readonly string[];
  /** Positional arguments after the command name: [minimum, maximum]. */
  readonly args: readonly [number, number];
  readonly help: string;
}

/** Commands by name; each module is imported only when its command runs, so `spool --help` stays fast. */
const COMMANDS: Record<string, CommandSpec> = {
  init: {
    load: async () => (await import('./commands/init.js')).init,
    options: ['force'],
    args: [0, 1],
    help: `Usage: spool init [dir] [--force] [--json]

Writes a commented spool.config.yaml with the built-in loopback provider in dir (default: the current
directory). Refuses to replace an existing profile unless --force.
--json prints { file, providers }.`,
  },
  send: {
    load: async () => (await import('./commands/send.js')).send,
    options: [
      'from',
      'to',
      'cc',
      'bcc',
      'subject',
      'body',
      'body-file',
      'attach',
      'delete-after-submit',
      'idempotency-key',
    ],
    args: [0, 0],
    help: `Usage: spool send --from ADDR --to ADDR [--to ADDR…] [--cc ADDR…] [--bcc ADDR…] --subject TEXT
                  (--body TEXT | --body-file FILE) [--attach FILE…] [--delete-after-submit]
                  [--idempotency-key KEY] [--json]

Stores the message in the Outbox and prints its id. With a daemon running on the profile (\`spool run\`),
the daemon stores it and hands it off at once. Without one it hands nothing off: \`spool run --once\` or
\`spool flush\` delivers it.

  --from ADDR                the sender (TYPE:rest, e.g. LOOP:me, or an email address)
  --to/--cc/--bcc ADDR       recipients, each option repeatable; at least one --to
  --subject TEXT             the subject
  --body TEXT                the text body
  --body-file FILE           read the text body from FILE (UTF-8)
  --attach FILE              attach FILE (content type from its extension), repeatable
  --delete-after-submit      delete the message when finished instead of keeping it in Sent
  --idempotency-key KEY      a repeated send with the same KEY stores nothing and prints the first id

A recipient whose address type belongs to a provider entry that cannot serve (not installed, failed to
load or log on) gets a warning on stderr naming the entry and its error code; the message is queued all
the same (exit 0) and waits until the entry serves again.
--json prints { id, messageId, duplicate, warnings: [{ addressType, recipients, entry, code, message }] }.
A bad address exits 1 with SPOOL_E_BAD_ADDRESS.`,
  },
  run: {
    load: async () => (await import('./commands/run.js')).run,
    options: ['once', 'port'],
    args: [0, 0],
    help: `Usage: spool run [--port N] [--json]
       spool run --once [--json]

Without --once: the daemon. Runs the spooler in the foreground (hand-offs, retries, inbound), serves its
API on 127.0.0.1 (--port N; default any free port) and prints one line per finished message, until SIGINT
or SIGTERM; then stops in order (in-flight hand-offs may finish). A second signal hurries: in-flight
hand-offs are aborted and stay queued. SIGHUP (or POST /reload) reloads the profile, all or nothing: the new
profile and each new or changed entry are checked first (loaded as at start, without a logon); any error
refuses the reload, is logged with its code, and the daemon keeps running the profile it had. Then removed
and changed entries finish their in-flight hand-offs on their old logons and log off in order, new and
changed entries log on, unchanged entries keep their logons; when settings outside the entries changed
(store, retry, folders, polling), every entry logs off in order and the new profile's entries log on. An
entry that fails to log on after the switch stays failed (its mail waits): SPOOL_E_RELOAD_LOGON_FAILED.
GET /healthz (liveness: 200 while it serves, status "degraded" with the failing entries' codes) and
GET /readyz (503 while an entry cannot serve or a logon's breaker is open) need no token. Mail for an entry
that cannot serve waits in the Outbox (or fails over, with failover: true); see docs/profile.md.
One daemon per profile: a second one exits 1 with SPOOL_E_DAEMON_RUNNING.
It writes <profile dir>/.spool/daemon.json (pid, port, bearer token; mode 0600) for the CLI and removes it
on exit. Logs go to stderr: JSON lines, or readable lines on a terminal (SPOOL_LOG_LEVEL=debug|info|warn|error).
--json prints one JSON object per line on stdout
({ event: "started" | "finished" | "reloaded" | "reload-failed" | "stopping" | "stopped", … }).

With --once: one pass. Every due message gets one hand-off, every receiving logon is polled once, nothing
waits for a later retry. Prints the counts and what stays queued (id, address, attempts, next attempt,
last error). --json prints { delivered, failed, deferred, received, pending: [...], error, failing } (error:
null, or { code, message } when the pass failed; failing: the entries that could not serve).
Exit code 0 even when recipients failed or were deferred; 3 when the spooler itself failed; 4 when the
pass ran but a provider entry could not serve (not installed, failed to load or log on): its mail waits
in the Outbox, and \`spool provider doctor\` shows why.

Both restart Node once in place (same PID) with --max-semi-space-size=16: a smaller young generation, about
a third less peak memory under load. SPOOL_NODE_FLAGS=off keeps Node's defaults; so does a semi-space or heap
size flag of your own (command line or NODE_OPTIONS).`,
  },
  flush: {
    load: async () => (await import('./commands/flush.js')).flush,
    options: [],
    args: [0, 0],
    help: `Usage: spool flush [--json]

Delivers now: makes every deferred recipient due, then drives each logon (profile order) until its
outbound queue is empty, then receives what each logon has waiting. Shows a progress bar per logon on a
terminal (progress lines otherwise), then the counts and what stays queued. With a daemon running, the
daemon flushes (its progress streams to this command).
--json prints the report of \`spool run --once --json\` (without error) plus
progress: [{ logonId, direction, done, total }] (the last progress of each logon and direction).`,
  },
  list: {
    load: async () => (await import('./commands/list.js')).list,
    options: ['limit'],
    args: [1, 1],
    help: `Usage: spool list <folder> [--limit N] [--json]

The messages of a folder, oldest first (at most N, default 100). Folder names are case-insensitive for
Outbox, Sent, Inbox and Deleted; custom folders are matched as written.
Columns: id, class, from, to (first recipient), subject, state, recipients' outcomes, time.
--json prints an array of messages shaped like \`spool show --json\`.`,
  },
  show: {
    load: async () => (await import('./commands/show.js')).show,
    options: [],
    args: [1, 1],
    help: `Usage: spool show <id> [--json]

One message: folder, state, class, sender, subject, every recipient (outcome, attempts, next attempt, last
error), attachments (name, type, size) and the text. A missing id exits 1 with SPOOL_E_MESSAGE_NOT_FOUND.
--json prints { id, folder, state, messageId, messageClass, from, subject, text, html, submittedAt,
finishedAt, deleteAfterSubmit, properties, recipients: [...], attachments: [{ filename, contentType, size }] }.`,
  },
  queue: {
    load: async () => (await import('./commands/queue.js')).queue,
    options: [],
    args: [0, 0],
    help: `Usage: spool queue [--json]

Pending recipients, soonest first: message id, subject, address, route, attempts, next attempt, last error.
--json prints an array of { id, subject, address, route, attempts, nextAttemptAt, lastError }.`,
  },
  cancel: {
    load: async () => (await import('./commands/cancel.js')).cancel,
    options: [],
    args: [1, 1],
    help: `Usage: spool cancel <id> [--json]

Cancels a queued message: delivered recipients stay delivered, the others become cancelled (no NDR), and
the message moves to Deleted (through the daemon when one runs, which aborts an in-flight hand-off).
A finished message exits 1 with SPOOL_E_ALREADY_FINISHED.
--json prints the message as \`spool show --json\` does.`,
  },
  move: {
    load: async () => (await import('./commands/move.js')).move,
    options: [],
    args: [2, 2],
    help: `Usage: spool move <id> <folder> [--json]

Moves a finished or received message to another folder (a queued one must be cancelled first).
--json prints { id, folder }.`,
  },
  delete: {
    load: async () => (await import('./commands/delete.js')).deleteMessage,
    options: [],
    args: [1, 1],
    help: `Usage: spool delete <id> [--json]

Deletes a finished or received message for good (a queued one must be cancelled first).
--json prints { id, deleted: true }.`,
  },
  'store vacuum': {
    load: async () => (await import('./commands/store.js')).storeVacuum,
    options: [],
    args: [0, 0],
    help: `Usage: spool store vacuum [--json]

Compacts the message store file (SQLite VACUUM). It waits for a running spooler's writes.
--json prints { file, bytesBefore, bytesAfter }.`,
  },
  'store backup': {
    load: async () => (await import('./commands/store.js')).storeBackup,
    options: ['force'],
    args: [1, 1],
    help: `Usage: spool store backup <file> [--force] [--json]

Writes a consistent, compacted copy of the store to <file>, also while a spooler is using it. Refuses to
replace an existing file unless --force. --json prints { store, file, bytes }.`,
  },
  'provider link': {
    load: async () => (await import('./commands/provider-link.js')).providerLink,
    options: ['id'],
    args: [1, 1],
    help: `Usage: spool provider link <dir> [--id ID] [--json]

Adds a local provider folder to the profile as a relative path, after reading its manifest, negotiating the
SPI version and loading it once. The entry gets the manifest's addressTypes, so should it fail to load later
its mail still waits for it.`,
  },
  'provider add': {
    load: async () => (await import('./commands/provider-add.js')).providerAdd,
    options: ['id', 'allow-scripts'],
    args: [1, 1],
    help: `Usage: spool provider add <name>[@range] [--id ID] [--allow-scripts] [--json]

Reads the registry's full metadata for the package (your npm configuration decides the registry and
credentials) and installs the newest version in the range whose SPI range this host accepts; it says which
newer versions it skipped and why. When no version fits it exits 1 with SPOOL_E_SPI_MISMATCH before
downloading anything. A short name (fax-sim) means @spool/provider-fax-sim, then spool-provider-fax-sim.

Where it installs: into the project the profile sits in (the nearest package.json), with that project's
package manager (npm, pnpm or yarn, from packageManager or the lockfile), as an exact dependency; outside
any project, into .spool/providers next to the profile. Install scripts do not run unless --allow-scripts.
Then it loads the provider through the loader; if that fails, the install is rolled back
(SPOOL_E_INSTALL_VERIFY_FAILED). Finally it adds an entry to the profile (unless one names the package),
with the manifest's addressTypes so that should it fail to load later its mail still waits for it, and
asks a running daemon to reload.
--json prints { file, id, entryAdded, name, version, requested, registry, spiRange, spiVersion,
addressTypes, skipped, mode, packageManager, dir, packageDir, installScripts, warnings, daemon }.`,
  },
  'provider remove': {
    load: async () => (await import('./commands/provider-remove.js')).providerRemove,
    options: [],
    args: [1, 1],
    help: `Usage: spool provider remove <name> [--json]

Removes the provider entry (by id, by what its "provider" says, or by package name) from the profile, and
uninstalls the package when \`spool provider add\` installed it and no other entry uses it. Asks a running
daemon to reload. --json prints { file, id, provider, uninstalled, daemon }.`,
  },
  'provider update': {
    load: async () => (await import('./commands/provider-update.js')).providerUpdate,
    options: ['allow-scripts'],
    args: [0, 1],
    help: `Usage: spool provider update [name] [--allow-scripts] [--json]

Updates the installed providers of the profile (or only <name>) to the newest version whose SPI range this
host accepts, and says which newer versions it held back and why. Built-in and linked providers are not
updated (update @spool/cli, or the linked folder). Each update is loaded before it is kept, and rolled
back if it does not load. --json prints { updates: [{ id, name, from, to, heldBack, skipped }], daemon }.`,
  },
  'provider info': {
    load: async () => (await import('./commands/provider-info.js')).providerInfo,
    options: [],
    args: [1, 1],
    help: `Usage: spool provider info <name> [--json]

One provider (an entry id, what an entry's "provider" says, or a package name): package, version,
description, where it was found and the copies it shadows, SPI range and negotiated version, address
types, accounts with their options (secrets masked), and its load state. --json prints the same fields.`,
  },
  'provider doctor': {
    load: async () => (await import('./commands/provider-doctor.js')).providerDoctor,
    options: [],
    args: [0, 0],
    help: `Usage: spool provider doctor [--json]

Loads every provider entry and reports, per entry: where it resolved from, version, negotiated SPI, the
address types each logon claims and whether each claim can be reached, shadowed copies, and problems
with their fixes. A claim is reached first when no earlier logon (profile order) claims its type; as a
fallback when an earlier logon does (it gets only recipients the earlier ones answer not-mine for); and
never when an earlier logon of the same package and version with the same options claims it (it answers
exactly as this one would). A profile that does not load (unknown keys, bad values, an empty file) is
reported with every problem it has, each coded, and nothing is started. Exit code 1 when it finds a
problem, 0 otherwise. --json prints { ok, profile, providers: [...], problems: [...] }.`,
  },
  'provider list': {
    load: async () => (await import('./commands/provider-list.js')).providerList,
    options: [],
    args: [0, 0],
    help: `Usage: spool provider list [--json]

Every provider entry of the profile: package, version, source, SPI, address types and state. An entry
that cannot serve is listed as failed with its error code and message (its mail waits in the Outbox).`,
  },
  status: {
    load: async () => (await import('./commands/status.js')).status,
    options: ['watch', 'count', 'interval'],
    args: [0, 0],
    help: `Usage: spool status [--watch [--interval D] [--count N]] [--json]

The status table: one row per logon (provider, SPI, state, counters, last error). With a daemon running on
the profile it is the daemon's live table; otherwise the providers are started here to read it.
--watch refreshes every D (seconds, or a duration like 500ms; default 2s) until Ctrl-C, or N times.
An entry that cannot serve has a row (failure, its error code) even without a logon, and a line below
the table saying which address types' mail waits for it.
--json prints { daemon, rows, failing }; daemon is null without a daemon, else { pid, port, started,
uptime }; failing: [{ entry, code, message, addressTypes }].
With --watch --json: one such object per line.`,
  },
};

/** Commands that take a subcommand. */
const GROUPS = new Set(['provider', 'store']);

/**
 * Runs the `spool` command line and resolves to its exit code. Never prompts and never calls
 * `process.exit`, so it can run inside tests and other programs.
 *
 * `io.relaunch` is called once the command line is known to be a valid `spool run` (not its help), before
 * the profile is opened. The bin passes {@link relaunchForRun}, which restarts the process in place with
 * smaller V8 semi-spaces (see relaunch.ts); without it (tests, other programs) nothing restarts.
 */
export async function main(
  argv: readonly string[],
  io: { out?: Output; cwd?: string; env?: NodeJS.ProcessEnv; relaunch?: () => void } = {},
): Promise<number> {
  const out = io.out ?? processOutput();
  try {
    let parsed: ReturnType<typeof parse>;
    try {
      parsed = parse(argv);
    } catch (error) {
      throw usageError((error as Error).message);
    }
    const { values, positionals } = parsed;
    if (values.version) {
      const { default: pkg } = await import('../package.json', { with: { type: 'json' } });
      out.line(pkg.version);
      return ExitCode.OK;
    }
    if (positionals.length === 0) {
      out.line(HELP);
      return values.help ? ExitCode.OK : ExitCode.USAGE;
    }
    const [first = '', second] = positionals;
    const grouped = GROUPS.has(first);
    const name = grouped ? `${first} ${second ?? ''}`.trim() : first;
    const spec = COMMANDS[name];
    if (!spec) {
      if (values.help && !second) {
        out.line(HELP);
        return ExitCode.OK;
      }
      const known = Object.keys(COMMANDS).join(', ');
      throw usageError(
        grouped && !second ? `spool ${first} needs a subcommand` : `unknown command "${name}"`,
        `Commands: ${known}. Run \`spool --help\`.`,
      );
    }
    if (values.help) {
      out.line(spec.help);
      return ExitCode.OK;
    }
    const args = positionals.slice(grouped ? 2 : 1);
    checkCommandLine(name, spec, values, args);
    // Before anything is opened: a restart discards this process (see relaunch.ts).
    if (name === 'run') io.relaunch?.();
    const options: GlobalOptions = {
      profile: values.profile,
      json: values.json === true,
      force: values.force === true,
      id: values.id,
      from: values.from,
      to: values.to ?? [],
      cc: values.cc ?? [],
      bcc: values.bcc ?? [],
      subject: values.subject,
      body: values.body,
      bodyFile: values['body-file'],
      attach: values.attach ?? [],
      deleteAfterSubmit: values['delete-after-submit'] === true,
      idempotencyKey: values['idempotency-key'],
      once: values.once === true,
      limit: values.limit,
      port: values.port,
      watch: values.watch === true,
      count: values.count,
      interval: values.interval,
      allowScripts: values['allow-scripts'] === true,
    };
    const context: CommandContext = {
      args,
      options,
      out,
      cwd: io.cwd ?? process.cwd(),
      env: io.env ?? process.env,
    };
    return await (await spec.load())(context);
  } catch (error) {
    out.error(error);
    return exitCodeOf(error);
  }
}

/** Refuses options the command does not take and a wrong number of arguments (exit 2, with the usage). */
function checkCommandLine(
  name: string,
  spec: CommandSpec,
  values: Record<string, unknown>,
  args: readonly string[],
): void {
  const usage = spec.help.split('\n\n')[0]?.replace(/^Usage: /, '') ?? `spool ${name}`;
  const hint = `Usage: ${usage}\nRun \`spool ${name} --help\` for details.`;
  for (const [option, value] of Object.entries(values)) {
    if (value === undefined || (COMMON as readonly string[]).includes(option)) continue;
    if (!spec.options.includes(option)) throw usageError(`spool ${name} does not take --${option}`, hint);
  }
  const [min, max] = spec.args;
  if (args.length < min || args.length > max) {
    const wanted = min === max ? `${min}` : `${min} to ${max}`;
    throw usageError(
      `spool ${name} takes ${wanted} argument${max === 1 ? '' : 's'}, got ${args.length}${args.length > 0 ? `: ${args.join(' ')}` : ''}`,
      hint,
    );
  }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      profile: { type: 'string' },
      json: { type: 'boolean' },
      force: { type: 'boolean' },
      id: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string', multiple: true },
      cc: { type: 'string', multiple: true },
      bcc: { type: 'string', multiple: true },
      subject: { type: 'string' },
      body: { type: 'string' },
      'body-file': { type: 'string' },
      attach: { type: 'string', multiple: true },
      'delete-after-submit': { type: 'boolean' },
      'idempotency-key': { type: 'string' },
      once: { type: 'boolean' },
      limit: { type: 'string' },
      port: { type: 'string' },
      watch: { type: 'boolean' },
      count: { type: 'string' },
      interval: { type: 'string' },
      'allow-scripts': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  });
}
