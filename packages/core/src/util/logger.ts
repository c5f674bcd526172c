import type { Logger } from '@spool/spi';
import type { Redactor } from './redact.js';

/** Where log records go: the CLI plugs in pino; the library default writes nothing below `warn`. */
export type LogSink = (level: LogLevel, fields: Record<string, unknown>, message: string) => void;

/** Log levels, lowest first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** The default sink: one JSON line per record on stderr, `warn` and above only (a library stays quiet). */
export const stderrSink =
  (minimum: LogLevel = 'warn'): LogSink =>
  (level, fields, message) => {
    if (LEVELS.indexOf(level) < LEVELS.indexOf(minimum)) return;
    process.stderr.write(
      `${JSON.stringify({ level, time: new Date().toISOString(), ...fields, msg: message })}\n`,
    );
  };

/**
 * Creates a {@link Logger} that adds `bindings` (provider, logon) to every record and redacts secrets from
 * both fields and message. Providers get one of these; they never see the sink.
 */
export function createLogger(
  sink: LogSink,
  redactor: Redactor,
  bindings: Record<string, unknown> = {},
): Logger {
  const write = (level: LogLevel) => (fields: Record<string, unknown> | string, message?: string) => {
    const [f, m] = typeof fields === 'string' ? [{}, fields] : [fields, message ?? ''];
    sink(level, redactor.value({ ...bindings, ...f }), redactor.text(m));
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}
