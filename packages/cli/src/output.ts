import { formatError } from './errors.js';

/** Where a command writes: stdout for results, stderr for warnings and errors. Colours only on a TTY. */
export interface Output {
  /** Prints a line of results on stdout. */
  line(text?: string): void;
  /** Prints a value as JSON on stdout (for `--json`). */
  json(value: unknown): void;
  /** Prints a warning on stderr. */
  warn(text: string): void;
  /** Prints an error (code, message, fix) on stderr. */
  error(error: unknown): void;
  /** Styles text when colours are on. */
  readonly style: Styles;
  /**
   * Redraws a live block of lines on stdout (progress bars, `status --watch`) when stdout is a terminal;
   * undefined otherwise, and then callers print plain lines instead. Optional so embedders need not provide it.
   */
  readonly live?: (lines: readonly string[]) => void;
}

/** The few styles the CLI uses. Each returns the text unchanged when colours are off. */
export interface Styles {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
}

const ansi = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;
const plain = (text: string) => text;

/** Colours are on when the stream is a TTY and NO_COLOR is unset (https://no-color.org). */
export function colorsEnabled(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && (env.NO_COLOR === undefined || env.NO_COLOR === '');
}

/** The process's output: stdout and stderr, each coloured only if it is a TTY. */
export function processOutput(): Output {
  const out = colorsEnabled(process.stdout) ? colours() : plainStyles();
  const err = colorsEnabled(process.stderr) ? colours() : plainStyles();
  let drawn = 0;
  // Moves the cursor up over the block drawn last time and clears to the end of the screen, then draws.
  const live = (lines: readonly string[]) => {
    process.stdout.write(
      `${drawn > 0 ? `\u001b[${drawn}F` : ''}\u001b[0J${lines.map((l) => `${l}\n`).join('')}`,
    );
    drawn = lines.length;
  };
  return {
    style: out,
    ...(process.stdout.isTTY ? { live } : {}),
    line: (text = '') => {
      drawn = 0;
      process.stdout.write(`${text}\n`);
    },
    json: (value) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
    warn: (text) => process.stderr.write(`${err.yellow('warning:')} ${text}\n`),
    error: (error) => {
      const [first = '', ...rest] = formatError(error).split('\n');
      const colon = first.indexOf(': ');
      const head = colon > 0 ? `${err.red(err.bold(first.slice(0, colon)))}${first.slice(colon)}` : first;
      process.stderr.write(`${[head, ...rest].join('\n')}\n`);
    },
  };
}

function colours(): Styles {
  return {
    bold: ansi(1, 22),
    dim: ansi(2, 22),
    red: ansi(31, 39),
    green: ansi(32, 39),
    yellow: ansi(33, 39),
  };
}

function plainStyles(): Styles {
  return { bold: plain, dim: plain, red: plain, green: plain, yellow: plain };
}

/** Lays rows out in columns (the first row is the header). Cells are already styled; width ignores ANSI codes. */
export function table(rows: readonly (readonly string[])[]): string[] {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences are control characters.
  const visible = (cell: string) => cell.replace(/\u001b\[[0-9;]*m/g, '').length;
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, visible(cell));
    });
  }
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - visible(cell))))
      .join('  ')
      .trimEnd(),
  );
}
