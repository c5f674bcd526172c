import { parseArgs } from 'node:util';
import type { Command, CommandContext, GlobalOptions } from './context.js';
import { ExitCode, exitCodeOf, usageError } from './errors.js';
import { type Output, processOutput } from './output.js';

export { BUILTIN_PROVIDERS, builtinProviders } from './builtins.js';
export type { CommandContext, GlobalOptions } from './context.js';
export { CliErrorCode, ExitCode } from './errors.js';

const HELP = `spool — a message spooler with pluggable transport providers

Usage: spool <command> [options]

Commands:
  init [dir]                 write a commented spool.config.yaml (loopback provider) in dir (default: .)
  provider link <dir>        add a local provider folder to the profile, after checking its SPI range
  provider list              every provider entry: package, version, source, SPI, address types, state
  status                     the status table: one row per logon

Options:
  --profile <file>           the profile to use (default: search the current directory)
  --json                     machine-readable output on stdout
  --force                    init: replace an existing spool.config.yaml
  --id <id>                  provider link: the entry id (default: derived from the folder name)
  -h, --help                 this help
  -v, --version              the CLI version

Exit codes: 0 ok, 1 user error (coded, e.g. SPOOL_E_PROFILE_INVALID), 2 usage error, 3 spooler failure.
Errors are printed as "CODE: message" and "fix: hint". Colours only on a TTY, never with NO_COLOR.`;

/** Commands by name; each module is imported only when its command runs, so `spool --help` stays fast. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  init: async () => (await import('./commands/init.js')).init,
  status: async () => (await import('./commands/status.js')).status,
  'provider link': async () => (await import('./commands/provider-link.js')).providerLink,
  'provider list': async () => (await import('./commands/provider-list.js')).providerList,
};

/**
 * Runs the `spool` command line and resolves to its exit code. Never prompts and never calls
 * `process.exit`, so it can run inside tests and other programs.
 */
export async function main(
  argv: readonly string[],
  io: { out?: Output; cwd?: string; env?: NodeJS.ProcessEnv } = {},
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
    if (values.help || positionals.length === 0) {
      out.line(HELP);
      return positionals.length === 0 && !values.help ? ExitCode.USAGE : ExitCode.OK;
    }
    const [first = '', second] = positionals;
    const name = first === 'provider' ? `provider ${second ?? ''}`.trim() : first;
    const load = COMMANDS[name];
    if (!load) {
      const known = Object.keys(COMMANDS).join(', ');
      throw usageError(
        first === 'provider' && !second ? 'spool provider needs a subcommand' : `unknown command "${name}"`,
        `Commands: ${known}. Run \`spool --help\`.`,
      );
    }
    const options: GlobalOptions = {
      profile: values.profile,
      json: values.json === true,
      force: values.force === true,
      id: values.id,
    };
    const context: CommandContext = {
      args: positionals.slice(first === 'provider' ? 2 : 1),
      options,
      out,
      cwd: io.cwd ?? process.cwd(),
      env: io.env ?? process.env,
    };
    return await (await load())(context);
  } catch (error) {
    out.error(error);
    return exitCodeOf(error);
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
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  });
}
