import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Spooler, StoredMessage } from '@spool/core';
import type { Command, CommandContext } from '../context.js';
import { DaemonSpooler, logonsOf } from '../daemon/daemon.js';
import { acquireDaemonLock, removeDaemonInfo, writeDaemonInfo } from '../daemon/files.js';
import { createDaemonLogger } from '../daemon/log.js';
import { createDaemonServer } from '../daemon/server.js';
import { type FailingEntryDetail, failingDetails } from '../entry-health.js';
import { CliError, CliErrorCode, ExitCode, usageError } from '../errors.js';
import { loadCliProfile } from '../host.js';
import {
  clip,
  formatTime,
  outcomeSummary,
  passReportJson,
  printPassReport,
  redactorOf,
  storeLabel,
} from '../messages.js';
import { openSpooler } from '../spooler.js';

/**
 * `spool run --once`: one pass (every due message gets one hand-off, every receiving logon is polled once),
 * then a report. `spool run`: the spooler in the foreground until SIGINT/SIGTERM.
 */
export const run: Command = async (context) => {
  if (context.options.port !== undefined && context.options.once)
    throw usageError('--port goes with `spool run` without --once (a pass serves no API)');
  return context.options.once ? runOnce(context) : runForeground(context);
};

/** The spooler's own row: a pass that failed inside (the store, say) leaves its error there. */
function spoolerFailure(spooler: Spooler): { code: string; message: string } | undefined {
  return spooler.status().find((row) => row.kind === 'spooler')?.lastError ?? undefined;
}

async function runOnce(context: CommandContext): Promise<number> {
  const { out, options } = context;
  const { spooler, profile } = await openSpooler(context, { autoStart: false });
  let failure: { code: string; message: string } | undefined;
  let report: Awaited<ReturnType<Spooler['runOnce']>>;
  let failing: FailingEntryDetail[];
  try {
    report = await spooler.runOnce();
    failure = spoolerFailure(spooler);
    failing = failingDetails(spooler.providers(), profile);
  } finally {
    await spooler.stop();
  }
  const json = passReportJson(report, redactorOf(profile));
  if (options.json) out.json({ ...json, error: failure ?? null, failing });
  else printPassReport(out, json);
  if (failure) {
    out.error(Object.assign(new Error(failure.message), { code: failure.code }));
    return ExitCode.FAILURE;
  }
  if (failing.length > 0) {
    const names = failing.map((entry) => `${entry.entry} (${entry.code})`).join(', ');
    const [what, whose] =
      failing.length === 1 ? ['a provider entry', 'its'] : [`${failing.length} provider entries`, 'their'];
    out.warn(
      `${what} could not serve: ${names}; ${whose} mail waits in the Outbox (exit code ${ExitCode.ENTRY_FAILED}; \`spool provider doctor\` shows why)`,
    );
    return ExitCode.ENTRY_FAILED;
  }
  return ExitCode.OK;
}

/** The line (or JSON event) printed for a finished message. */
function finishedLine(context: CommandContext, message: StoredMessage): void {
  const { out, options } = context;
  if (options.json) {
    const outcomes = message.recipients.map((r) => ({ address: r.address, outcome: r.outcome }));
    out.line(
      JSON.stringify({ event: 'finished', id: message.id, subject: message.subject, recipients: outcomes }),
    );
    return;
  }
  const failed = message.recipients.some((r) => r.outcome === 'failed');
  const summary = outcomeSummary(message);
  out.line(
    `${formatTime(message.finishedAt ?? Date.now())}  ${message.id}  ${failed ? out.style.red(summary) : out.style.green(summary)}  ${clip(message.subject, 60)}`,
  );
}

function event(
  context: CommandContext,
  name: string,
  text: string,
  fields: Record<string, unknown> = {},
): void {
  if (context.options.json) context.out.line(JSON.stringify({ event: name, ...fields }));
  else context.out.line(context.out.style.dim(text));
}

/** The `--port` value: 0 (any free port) by default. */
function portOf(context: CommandContext): number {
  const text = context.options.port;
  if (text === undefined) return 0;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65_535)
    throw usageError(`--port must be a port number from 0 to 65535, got ${JSON.stringify(text)}`);
  return port;
}

/**
 * The daemon: the spooler in the foreground plus its HTTP API on 127.0.0.1. One per profile (a lock file);
 * daemon.json (pid, port, token; mode 0600) tells the CLI how to reach it and is removed on exit.
 * The first SIGINT/SIGTERM stops it in order (in-flight hand-offs may finish), a second one hurries (aborts
 * them; their messages stay queued); SIGHUP reloads the profile. Resolves once everything has stopped.
 */
async function runForeground(context: CommandContext): Promise<number> {
  const port = portOf(context);
  const profile = await loadCliProfile(context);
  const releaseLock = acquireDaemonLock(profile.dir, profile.file);
  let daemon: DaemonSpooler | undefined;
  let server: Server | undefined;
  let infoFile: string | undefined;
  const logger = await createDaemonLogger(() => daemon?.profile.redactor ?? profile.redactor, context.env);
  let signals = 0;
  const { promise: stopRequested, resolve: requestStop } = Promise.withResolvers<'orderly' | 'hurry'>();
  const onStop = (signal: NodeJS.Signals) => {
    signals += 1;
    const mode = signals === 1 ? 'orderly' : 'hurry';
    event(
      context,
      'stopping',
      mode === 'orderly'
        ? `${signal}: stopping (in-flight hand-offs may finish; again to hurry)`
        : `${signal}: hurrying (in-flight hand-offs are aborted and stay queued)`,
      { signal, mode },
    );
    logger.info({ signal, mode }, 'stopping');
    if (mode === 'orderly') requestStop(mode);
    else void daemon?.stop('hurry');
  };
  const onReload = () => {
    logger.info({ signal: 'SIGHUP' }, 'reloading the profile');
    daemon?.reload().then(
      (report) =>
        event(context, 'reloaded', `SIGHUP: reloaded; logons ${report.logons.join(', ') || 'none'}`, {
          ...report,
        }),
      // The daemon logged why (coded); stdout says it too, as the reloaded event does for a success.
      (error: unknown) => {
        const code = (error as { code?: unknown }).code;
        const hint = (error as { hint?: unknown }).hint;
        const applied = code === 'SPOOL_E_RELOAD_LOGON_FAILED';
        const redactor = daemon?.profile.redactor ?? profile.redactor;
        const message = redactor.text((error as Error).message);
        event(
          context,
          'reload-failed',
          `SIGHUP: ${String(code)}: ${message}${applied ? '' : ' (still running the profile it had)'}`,
          {
            code: typeof code === 'string' ? code : 'SPOOL_E_DAEMON_FAILED',
            message,
            hint: typeof hint === 'string' ? redactor.text(hint) : null,
            applied,
            logons: daemon ? logonsOf(daemon.now) : [],
          },
        );
      },
    );
  };
  process.on('SIGINT', onStop);
  process.on('SIGTERM', onStop);
  process.on('SIGHUP', onReload);
  try {
    daemon = await DaemonSpooler.start(context, profile, logger, (message) =>
      finishedLine(context, { ...message, finishedAt: Date.now() }),
    );
    const started = new Date();
    const token = randomBytes(32).toString('base64url');
    const running = daemon;
    const http = createDaemonServer({
      daemon: running,
      token,
      logger,
      pid: process.pid,
      started,
      port: () => (http.address() as AddressInfo | null)?.port ?? 0,
    });
    server = http;
    await listen(http, port);
    const bound = (http.address() as AddressInfo).port;
    infoFile = writeDaemonInfo(profile.dir, {
      pid: process.pid,
      port: bound,
      token,
      started: started.toISOString(),
      profile: profile.file ?? null,
    });
    const logons = logonsOf(running.now);
    logger.info({ port: bound, logons, store: storeLabel(profile), daemonFile: infoFile }, 'daemon started');
    event(
      context,
      'started',
      `spool: running with ${logons.length === 0 ? 'no logons' : logons.join(', ')}; API on 127.0.0.1:${bound}; store ${storeLabel(profile)}; Ctrl-C to stop`,
      { logons, store: storeLabel(profile), pid: process.pid, port: bound },
    );
    const mode = await stopRequested;
    // Clients stop routing here first; requests already in flight still get their answers.
    removeDaemonInfo(profile.dir);
    await running.stop(mode);
  } finally {
    process.off('SIGINT', onStop);
    process.off('SIGTERM', onStop);
    process.off('SIGHUP', onReload);
    // Idempotent: after a signal this waits for that stop; after a failure while starting it stops here.
    await daemon?.stop('orderly');
    if (server) await close(server);
    removeDaemonInfo(profile.dir);
    releaseLock();
  }
  logger.info('daemon stopped');
  event(context, 'stopped', 'spool: stopped');
  return ExitCode.OK;
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new CliError(CliErrorCode.PORT_IN_USE, `port ${port} on 127.0.0.1 is in use`, {
              hint: 'Pick another --port, or leave it out to take any free port (daemon.json tells the CLI which).',
            })
          : error,
      ),
    );
    server.listen(port, '127.0.0.1', () => resolve());
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
