import type { LogSink } from '@spool/core';
import type { Redactor } from '@spool/core/internal';
import { type DestinationStream, type Logger, pino } from 'pino';
import { colorsEnabled } from '../output.js';

/** Levels `SPOOL_LOG_LEVEL` accepts; `info` by default. */
const LEVELS = new Set(['debug', 'info', 'warn', 'error', 'silent']);

/**
 * The daemon's structured log on stderr: JSON lines when stderr is not a terminal (for journald, Docker,
 * log shippers), pino-pretty's readable lines on a terminal. Every record passes through the profile's
 * redactor (secrets from `${ENV}` references and secret-looking option keys), and the bearer token and
 * Authorization headers are censored by key, so neither can reach a log line.
 */
export async function createDaemonLogger(
  redactor: () => Redactor,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Logger> {
  const wanted = env.SPOOL_LOG_LEVEL?.toLowerCase() ?? 'info';
  const level = LEVELS.has(wanted) ? wanted : 'info';
  let destination: DestinationStream;
  if (process.stderr.isTTY) {
    // Loaded only on a terminal: the JSON path never pays for the pretty printer.
    const { default: pretty } = await import('pino-pretty');
    destination = pretty({
      destination: 2,
      sync: true,
      colorize: colorsEnabled(process.stderr, env),
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname',
    });
  } else {
    destination = pino.destination({ dest: 2, sync: true });
  }
  return pino(
    {
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ['token', '*.token', 'authorization', '*.authorization'], censor: '***' },
      formatters: {
        level: (label) => ({ level: label }),
        log: (record) => redactor().value(record),
      },
      hooks: {
        // The message text can quote a provider's error, which can quote a secret.
        logMethod(args, method) {
          method.apply(
            this,
            args.map((arg) => (typeof arg === 'string' ? redactor().text(arg) : arg)) as typeof args,
          );
        },
      },
    },
    destination,
  );
}

/** Routes the host's and providers' log records (already redacted by core) into the daemon's logger. */
export function loggerSink(logger: Logger): LogSink {
  return (level, fields, message) => logger[level](fields, message);
}
