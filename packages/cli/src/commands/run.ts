import type { Spooler, StoredMessage } from '@spool/core';
import type { Command, CommandContext } from '../context.js';
import { ExitCode } from '../errors.js';
import {
  clip,
  formatTime,
  outcomeSummary,
  passReportJson,
  printPassReport,
  redactorOf,
} from '../messages.js';
import { openSpooler } from '../spooler.js';

/**
 * `spool run --once`: one pass (every due message gets one hand-off, every receiving logon is polled once),
 * then a report. `spool run`: the spooler in the foreground until SIGINT/SIGTERM.
 */
export const run: Command = (context) => (context.options.once ? runOnce(context) : runForeground(context));

/** The spooler's own row: a pass that failed inside (the store, say) leaves its error there. */
function spoolerFailure(spooler: Spooler): { code: string; message: string } | undefined {
  return spooler.status().find((row) => row.kind === 'spooler')?.lastError ?? undefined;
}

async function runOnce(context: CommandContext): Promise<number> {
  const { out, options } = context;
  const { spooler, profile } = await openSpooler(context, { autoStart: false });
  let failure: { code: string; message: string } | undefined;
  let report: Awaited<ReturnType<Spooler['runOnce']>>;
  try {
    report = await spooler.runOnce();
    failure = spoolerFailure(spooler);
  } finally {
    await spooler.stop();
  }
  const json = passReportJson(report, redactorOf(profile));
  if (options.json) out.json(failure ? { ...json, error: failure } : json);
  else printPassReport(out, json);
  if (failure) {
    out.error(Object.assign(new Error(failure.message), { code: failure.code }));
    return ExitCode.FAILURE;
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

/**
 * The foreground spooler. The first SIGINT/SIGTERM stops it in order (in-flight hand-offs may finish), a
 * second one hurries (aborts them; their messages stay queued). Resolves once the spooler has stopped.
 */
async function runForeground(context: CommandContext): Promise<number> {
  const { spooler, profile } = await openSpooler(context, { autoStart: true });
  // The spooler's own timers are unref'd (a library must not hold a process open); a foreground run must.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  const off = spooler.on('finished', (message) =>
    finishedLine(context, { ...message, finishedAt: Date.now() }),
  );
  let signals = 0;
  let stopped: Promise<void> | undefined;
  const { promise: done, resolve } = Promise.withResolvers<void>();
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals === 1) {
      event(context, 'stopping', `${signal}: stopping (in-flight hand-offs may finish; again to hurry)`, {
        signal,
        mode: 'orderly',
      });
      stopped = spooler.stop();
    } else {
      event(context, 'stopping', `${signal}: hurrying (in-flight hand-offs are aborted and stay queued)`, {
        signal,
        mode: 'hurry',
      });
      stopped = spooler.stop({ mode: 'hurry' });
    }
    void stopped.then(resolve, resolve);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const logons = spooler.host.logons().map((handle) => handle.id);
  event(
    context,
    'started',
    `spool: running with ${logons.length === 0 ? 'no logons' : logons.join(', ')}; store ${profile.store.path}; Ctrl-C to stop`,
    { logons, store: profile.store.path, pid: process.pid },
  );
  try {
    await done;
    await stopped;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    off();
    clearInterval(keepAlive);
  }
  event(context, 'stopped', 'spool: stopped');
  return ExitCode.OK;
}
