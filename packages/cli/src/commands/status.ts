import { setTimeout as sleep } from 'node:timers/promises';
import type { Profile, ProviderInfo } from '@spool/core';
import { type EntryState, parseDuration } from '@spool/core/internal';
import type { StatusRow } from '@spool/spi';
import type { Command, CommandContext } from '../context.js';
import type { DaemonStatus } from '../daemon/server.js';
import { findDaemon } from '../daemon-client.js';
import { type FailingEntryDetail, failingDetails, notServing } from '../entry-health.js';
import { ExitCode, usageError } from '../errors.js';
import { loadCliProfile, startHost } from '../host.js';
import { table } from '../output.js';

/** What `spool status --json` prints. `daemon` is null when no daemon runs on the profile. */
export interface StatusReport {
  readonly daemon: DaemonStatus['daemon'] | null;
  readonly rows: readonly StatusRowJson[];
  /** The entries that cannot serve, with their errors and the address types whose mail waits for them. */
  readonly failing: readonly FailingEntryDetail[];
}

/** A status row with every optional field present (null when unset), as the JSON Schema requires. */
export type StatusRowJson = Omit<StatusRow, OptionalRowKey> & {
  readonly [K in Exclude<OptionalRowKey, 'progress'>]-?: Exclude<StatusRow[K], undefined> | null;
} & {
  readonly progress: { readonly done: number; readonly total: number; readonly text: string | null } | null;
};
type OptionalRowKey = 'provider' | 'spiVersion' | 'identity' | 'progress' | 'lastError';

/** Fills a row's optional fields with null, so `--json` consumers always see the same keys. */
export function statusRowJson(row: StatusRow): StatusRowJson {
  const { progress, ...rest } = row;
  return {
    provider: null,
    spiVersion: null,
    identity: null,
    lastError: null,
    ...rest,
    progress: progress ? { done: progress.done, total: progress.total, text: progress.text ?? null } : null,
  };
}

/**
 * The rows with one for every entry that cannot serve and has none (an entry that never logged on has no
 * logon row): failure set, its coded error as the last error, so the table shows it even without a logon.
 */
export function withEntryRows(
  rows: readonly StatusRowJson[],
  entries: readonly ProviderInfo[],
  redact: (text: string) => string,
): StatusRowJson[] {
  const all = [...rows];
  for (const entry of entries) {
    const why = notServing(entry);
    if (!why) continue;
    const own = (row: StatusRowJson) => row.id === entry.id || row.id.startsWith(`${entry.id}/`);
    if (rows.some((row) => own(row) && row.failure)) continue;
    const at = new Date().toISOString();
    all.push({
      id: entry.id,
      kind: 'logon',
      displayName: entry.id,
      provider: entry.package ? { name: entry.package.name, version: entry.package.version } : null,
      spiVersion: null,
      identity: null,
      available: false,
      offline: false,
      failure: true,
      inbound: { enabled: false, active: false, flushing: false },
      outbound: { enabled: false, active: false, flushing: false },
      text: 'cannot serve',
      progress: null,
      counters: { sent: 0, failed: 0, deferred: 0, received: 0 },
      lastError: { code: why.code, message: redact(why.message), at },
      updatedAt: at,
    });
  }
  return all;
}

/** A host's entry as the plain data `spooler.providers()` gives (what the health checks read). */
function entryInfo(entry: EntryState): ProviderInfo {
  return {
    id: entry.config.id,
    spec: entry.config.provider,
    ...(entry.imported
      ? { package: { name: entry.imported.package.name, version: entry.imported.version } }
      : {}),
    status: entry.status,
    ...(entry.error ? { error: entry.error } : {}),
    logons: entry.logons.filter((logon) => logon.state !== 'closed').map((logon) => logon.id),
  };
}

/** `status --watch` refreshes this often without --interval. */
const DEFAULT_INTERVAL_MS = 2_000;

/**
 * The status table. With a daemon running on the profile it is the daemon's (`GET /status`: its live logons
 * and counters); otherwise the providers of the profile are started in this process, read, and stopped.
 */
async function statusReport(context: CommandContext, profile: Profile): Promise<StatusReport> {
  const daemon = await findDaemon(profile);
  if (daemon) {
    const answer = await daemon.request<DaemonStatus>('GET', '/status');
    return { ...answer, failing: answer.failing ?? [] }; // a daemon of an older CLI sends no `failing`
  }
  const host = await startHost(context, profile);
  try {
    const entries = host.entries.map(entryInfo);
    const redact = profile.redactor.text.bind(profile.redactor);
    return {
      daemon: null,
      rows: withEntryRows(host.statusTable.rows().map(statusRowJson), entries, redact),
      failing: failingDetails(entries, profile),
    };
  } finally {
    await host.stop();
  }
}

function watchOptions(context: CommandContext): { count: number; intervalMs: number } {
  const { count, interval, watch } = context.options;
  if (!watch && (count !== undefined || interval !== undefined))
    throw usageError('--count and --interval go with --watch', 'Example: spool status --watch --interval 5s');
  let times = Number.POSITIVE_INFINITY;
  if (count !== undefined) {
    times = Number(count);
    if (!/^\d+$/.test(count) || times < 1)
      throw usageError(`--count must be a whole number of at least 1, got ${JSON.stringify(count)}`);
  }
  let intervalMs = DEFAULT_INTERVAL_MS;
  if (interval !== undefined) {
    // A bare number is seconds, as in watch(1); otherwise a duration (500ms, 5s, 1m).
    const parsed = /^\d+(\.\d+)?$/.test(interval) ? Number(interval) * 1000 : parseDuration(interval);
    if (parsed === undefined || parsed < 100)
      throw usageError(
        `--interval must be at least 100ms (seconds, or a duration like 500ms or 5s), got ${JSON.stringify(interval)}`,
      );
    intervalMs = parsed;
  }
  return { count: times, intervalMs };
}

/**
 * `spool status [--watch [--count N] [--interval D]]`: the status table once, or refreshed until Ctrl-C (or
 * N refreshes). On a terminal the table is redrawn in place; otherwise each refresh is printed in full
 * (with --json: one JSON object per line).
 */
export const status: Command = async (context) => {
  const { out, options } = context;
  const { count, intervalMs } = watchOptions(context);
  const profile = await loadCliProfile(context);
  if (!options.watch) {
    const report = await statusReport(context, profile);
    if (options.json) out.json(report);
    else for (const line of statusLines(context, report)) out.line(line);
    return ExitCode.OK;
  }
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    for (let i = 0; i < count && !stop.signal.aborted; i++) {
      const report = await statusReport(context, profile);
      if (options.json) out.line(JSON.stringify(report));
      else {
        const lines = [
          out.style.dim(`${new Date().toISOString()}  every ${intervalMs / 1000}s; Ctrl-C to stop`),
          ...statusLines(context, report),
        ];
        if (out.live) out.live(lines);
        else for (const line of [...lines, '']) out.line(line);
      }
      if (i + 1 < count) await sleep(intervalMs, undefined, { signal: stop.signal }).catch(() => undefined);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return ExitCode.OK;
};

function statusLines(context: CommandContext, report: StatusReport): string[] {
  const s = context.out.style;
  const { daemon, rows } = report;
  const head = daemon
    ? `daemon: pid ${daemon.pid}, 127.0.0.1:${daemon.port}, up ${daemon.uptime}s (since ${daemon.started})`
    : 'daemon: none (the providers were started in this process to read their status)';
  if (rows.length === 0) return [head, 'no providers in the profile'];
  const failing = report.failing.map((entry) => {
    const waits = entry.addressTypes
      ? `its mail for ${entry.addressTypes.join(', ')} waits in the Outbox`
      : 'its mail waits in the Outbox';
    return s.red(`${entry.entry}: cannot serve (${entry.code}); ${waits} until it serves again`);
  });
  return [
    s.dim(head),
    ...table([
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
    ]),
    ...failing,
  ];
}
