import { parseArgs } from 'node:util';
import { CreateErrorCode, scaffold } from './scaffold.js';

const USAGE = `Usage: create-spool-provider <name> [options]
       pnpm create spool-provider <name> [options]

Scaffolds a spool transport-provider package in ./<name> (never asks questions).

Options:
  --dir <path>            where to write (default: ./<package name without scope>)
  --address-type <TYPE>   the address type it claims (default: from the name, upper-case)
  --display-name <text>   name shown to people
  --description <text>    package description
  -h, --help              show this help
`;

/** Runs the command; returns the exit code (0 done, 2 usage error, 1 anything else). */
export async function main(
  argv: readonly string[],
  out: Pick<NodeJS.WritableStream, 'write'> = process.stdout,
  err: Pick<NodeJS.WritableStream, 'write'> = process.stderr,
): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    err.write(`${CreateErrorCode.USAGE}: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (parsed.values.help) {
    out.write(USAGE);
    return 0;
  }
  const [name, ...extra] = parsed.positionals;
  if (name === undefined || extra.length > 0) {
    err.write(
      `${CreateErrorCode.USAGE}: ${name === undefined ? 'missing <name>' : `unexpected arguments: ${extra.join(' ')}`}\n\n${USAGE}`,
    );
    return 2;
  }
  try {
    const result = await scaffold({
      name,
      ...(parsed.values.dir === undefined ? {} : { dir: parsed.values.dir }),
      ...(parsed.values['address-type'] === undefined ? {} : { addressType: parsed.values['address-type'] }),
      ...(parsed.values['display-name'] === undefined ? {} : { displayName: parsed.values['display-name'] }),
      ...(parsed.values.description === undefined ? {} : { description: parsed.values.description }),
    });
    out.write(
      `Created ${result.packageName} (address type ${result.addressType}, SPI ${result.spiRange}) in ${result.dir}\n\nNext:\n  cd ${result.dir}\n  pnpm install\n  pnpm test\n`,
    );
    return 0;
  } catch (error) {
    const { code, message, hint } = error as { code?: string; message: string; hint?: string };
    err.write(`${code ?? 'ERROR'}: ${message}\n${hint ? `  fix: ${hint}\n` : ''}`);
    return 1;
  }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      dir: { type: 'string' },
      'address-type': { type: 'string' },
      'display-name': { type: 'string' },
      description: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
