import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { ErrorCode, messageOf, spoolError } from '../errors.js';

/** Where in a file: 1-based line and column. */
interface Position {
  readonly line: number;
  readonly column: number;
}

/** Node's codes for a TypeScript file that type stripping cannot read. */
const TS_SYNTAX_CODES = new Set(['ERR_INVALID_TYPESCRIPT_SYNTAX', 'ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX']);

/**
 * The position in a stack that Node decorates with the source (`/path/file.ts:4`, the source lines, then a
 * line of `^` under the fault): the line from the header, the column from the first `^`. Undefined when the
 * header names another file.
 */
function decoratedPosition(stack: string, file: string): Position | undefined {
  const lines = stack.split('\n');
  const header = /^(.*):(\d+)$/.exec(lines[0] ?? '');
  if (!header || (header[1] !== file && header[1] !== pathToFileURL(file).href)) return undefined;
  const caret = lines.findIndex((line, index) => index > 0 && /^\s*\^+\s*$/.test(line));
  return { line: Number(header[2]), column: caret > 0 ? lines[caret]!.indexOf('^') + 1 : 1 };
}

/**
 * Where a plain JS file's syntax error is, by `node --check` (V8 does not say where when `import()` fails to
 * compile a module). Runs only on this failure path. Undefined when the file itself compiles: then the
 * syntax error is in a file it imports.
 */
function checkSyntax(file: string): Position | undefined {
  const result = spawnSync(process.execPath, ['--check', file], { encoding: 'utf8', timeout: 10_000 });
  if (result.status === 0) return undefined;
  return decoratedPosition(result.stderr ?? '', file) ?? { line: 0, column: 0 };
}

/** The frame of the profile file in a stack: where the profile's own code threw. */
function thrownAt(stack: string, file: string): Position | undefined {
  const url = pathToFileURL(file).href;
  for (const line of stack.split('\n')) {
    const at = line.indexOf(url);
    if (at < 0) continue;
    const match = /^:(\d+):(\d+)/.exec(line.slice(at + url.length));
    if (match) return { line: Number(match[1]), column: Number(match[2]) };
  }
  return undefined;
}

/**
 * The error for a profile file that could not be read, told apart by what went wrong: a syntax error in the
 * file (with line and column: YAML, JSON, and JS/TS, where Node's own message has none), or an error thrown
 * while importing a JS/TS profile (its own code threw, or a module it imports failed) — which is not a
 * syntax error of the profile and says so. Both are `SPOOL_E_PROFILE_INVALID`; `details.reason` is
 * `syntax` or `import`, with `line` and `column` when known.
 */
export function readFailure(file: string, error: unknown): Error {
  const message = messageOf(error);
  const script = /\.[cm]?[jt]s$/.test(file);
  const stack = error instanceof Error ? (error.stack ?? '') : '';
  const code = (error as { code?: unknown } | null)?.code;
  let position: Position | undefined;
  let syntax = !script;
  if (script && typeof code === 'string' && TS_SYNTAX_CODES.has(code)) {
    position = decoratedPosition(stack, file);
    syntax = position !== undefined;
  } else if (script && error instanceof SyntaxError && thrownAt(stack, file) === undefined) {
    position = /\.[cm]?js$/.test(file) ? checkSyntax(file) : undefined;
    syntax = position !== undefined;
    if (position?.line === 0) position = undefined;
  }
  if (!syntax) {
    const at = thrownAt(stack, file);
    const where = at ? ` at line ${at.line}, column ${at.column}` : '';
    return spoolError(
      ErrorCode.PROFILE_INVALID,
      `importing the profile ${file} failed${where}: ${error instanceof Error ? `${error.name}: ` : ''}${message}`,
      'The profile itself parsed, but running it threw (its own code or a module it imports). Fix that, or write the profile as YAML or JSON.',
      { file, reason: 'import', ...(at ?? {}) },
      error,
    );
  }
  // js-yaml (through cosmiconfig) says where with a 0-based mark, its reason and a snippet of the file.
  const yaml = error as { mark?: { line?: unknown; column?: unknown; snippet?: unknown }; reason?: unknown };
  let said = message;
  if (position === undefined && typeof yaml.mark?.line === 'number' && typeof yaml.mark.column === 'number') {
    position = { line: yaml.mark.line + 1, column: yaml.mark.column + 1 };
    if (typeof yaml.reason === 'string')
      said = `${yaml.reason}${typeof yaml.mark.snippet === 'string' ? `\n${yaml.mark.snippet}` : ''}`;
  }
  // JSON.parse says where at the end of its message: `… in JSON at position 15 (line 1 column 16)`.
  const json = /\(line (\d+) column (\d+)\)$/.exec(message);
  if (position === undefined && json) position = { line: Number(json[1]), column: Number(json[2]) };
  const where = position ? ` at line ${position.line}, column ${position.column}` : '';
  return spoolError(
    ErrorCode.PROFILE_INVALID,
    `could not read the profile ${file}: syntax error${where}: ${said}`,
    'Fix the syntax error (YAML/JSON/JS/TS); `spool init` writes a valid example.',
    { file, reason: 'syntax', ...(position ?? {}) },
    error,
  );
}
