import type { FlushProgress } from '@spool/core';
import type { Command } from '../context.js';
import { ExitCode } from '../errors.js';
import { type PassReportJson, passReportJson, printPassReport, redactorOf } from '../messages.js';
import { withSpooler } from '../spooler.js';

/** What `spool flush --json` prints: the pass report plus the last progress of each logon and direction. */
export interface FlushReportJson extends PassReportJson {
  readonly progress: readonly FlushProgress[];
}

/**
 * `spool flush`: delivers now (deferred recipients become due), logon by logon in profile order, then
 * receives; prints a progress line whenever a logon's count moves, then the report.
 */
export const flush: Command = async (context) => {
  const { out, options } = context;
  const last = new Map<string, FlushProgress>();
  const report = await withSpooler(context, async (spooler, profile) => {
    const off = spooler.on('progress', (progress) => {
      const key = `${progress.logonId} ${progress.direction}`;
      const before = last.get(key);
      last.set(key, progress);
      if (options.json || (before && before.done === progress.done && before.total === progress.total))
        return;
      out.line(`${progress.logonId}  ${progress.direction.padEnd(8)}  ${progress.done}/${progress.total}`);
    });
    try {
      return passReportJson(await spooler.flush(), redactorOf(profile));
    } finally {
      off();
    }
  });
  if (options.json) {
    const json: FlushReportJson = { ...report, progress: [...last.values()] };
    out.json(json);
  } else printPassReport(out, report);
  return ExitCode.OK;
};
