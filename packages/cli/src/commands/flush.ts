import type { FlushProgress } from '@spool/core';
import type { Command } from '../context.js';
import { viaDaemon } from '../daemon-client.js';
import { CliError, CliErrorCode, ExitCode } from '../errors.js';
import { loadCliProfile } from '../host.js';
import { type PassReportJson, passReportJson, printPassReport, redactorOf } from '../messages.js';
import { flushProgressView } from '../progress.js';
import { withSpooler } from '../spooler.js';

/** What `spool flush --json` prints: the pass report plus the last progress of each logon and direction. */
export interface FlushReportJson extends PassReportJson {
  readonly progress: readonly FlushProgress[];
}

/** One line of the daemon's `POST /flush` NDJSON stream. */
type FlushLine =
  | ({ type: 'progress' } & FlushProgress)
  | { type: 'report'; report: FlushReportJson }
  | { type: 'error'; error: { code: string; message: string; hint: string | null } };

/**
 * `spool flush`: delivers now (deferred recipients become due), logon by logon in profile order, then
 * receives; shows progress per logon (bars on a terminal, lines otherwise), then the report. With a daemon
 * running on the profile, the daemon flushes (`POST /flush`, progress streamed as NDJSON).
 */
export const flush: Command = async (context) => {
  const { out, options } = context;
  const view = flushProgressView(out, options.json);
  const profile = await loadCliProfile(context);
  let report: PassReportJson | undefined = await viaDaemon(profile, async (daemon) => {
    let result: FlushReportJson | undefined;
    await daemon.stream('/flush', (value) => {
      const line = value as FlushLine;
      if (line.type === 'progress') {
        const { type: _type, ...progress } = line;
        view.update(progress);
      } else if (line.type === 'report') result = line.report;
      else if (line.type === 'error')
        throw new CliError(line.error.code, line.error.message, {
          ...(line.error.hint ? { hint: line.error.hint } : {}),
        });
    });
    if (!result)
      throw new CliError(CliErrorCode.DAEMON_FAILED, 'the daemon ended the flush without a report', {
        hint: "Check the daemon's log, then run `spool flush` again.",
      });
    return result;
  });
  report ??= await withSpooler(
    context,
    async (spooler) => {
      const off = spooler.on('progress', (progress) => view.update(progress));
      try {
        return passReportJson(await spooler.flush(), redactorOf(profile));
      } finally {
        off();
      }
    },
    profile,
  );
  if (options.json) {
    const { delivered, failed, deferred, received, pending } = report;
    const json: FlushReportJson = { delivered, failed, deferred, received, pending, progress: view.last };
    out.json(json);
  } else printPassReport(out, report);
  return ExitCode.OK;
};
