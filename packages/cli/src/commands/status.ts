import type { StatusRow } from '@spool/core';
import type { Command } from '../context.js';
import { ExitCode } from '../errors.js';
import { loadCliProfile, startHost } from '../host.js';
import { table } from '../output.js';

/** What `spool status --json` prints. `daemon` is null until the daemon exists; then it describes it. */
export interface StatusReport {
  readonly daemon: null;
  readonly rows: readonly StatusRow[];
}

/**
 * `spool status`: starts the providers of the profile in this process, prints the status table, and stops
 * them again. (With a running daemon it will ask the daemon instead.)
 */
export const status: Command = async (context) => {
  const { out, options } = context;
  const profile = await loadCliProfile(context);
  const host = await startHost(context, profile);
  let rows: StatusRow[];
  try {
    rows = host.statusTable.rows();
  } finally {
    await host.stop();
  }
  if (options.json) {
    const report: StatusReport = { daemon: null, rows };
    out.json(report);
    return ExitCode.OK;
  }
  if (rows.length === 0) {
    out.line('no providers in the profile');
    return ExitCode.OK;
  }
  const s = out.style;
  const lines = table([
    ['ID', 'PROVIDER', 'SPI', 'STATE', 'IN', 'OUT', 'SENT', 'FAILED', 'DEFERRED', 'RECEIVED', 'TEXT'].map(
      (h) => s.bold(h),
    ),
    ...rows.map((row) => [
      row.id,
      row.provider ? `${row.provider.name}@${row.provider.version}` : '-',
      row.spiVersion ?? '-',
      row.failure ? s.red('failure') : row.available ? s.green('available') : row.offline ? 'offline' : '-',
      row.inbound.enabled ? 'on' : 'off',
      row.outbound.enabled ? 'on' : 'off',
      String(row.counters.sent),
      String(row.counters.failed),
      String(row.counters.deferred),
      String(row.counters.received),
      row.lastError ? `${row.text} (${s.red(row.lastError.code)}: ${row.lastError.message})` : row.text,
    ]),
  ]);
  for (const line of lines) out.line(line);
  return ExitCode.OK;
};
