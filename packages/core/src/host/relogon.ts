import type { StatusRow } from '@spool/spi';
import { ErrorCode, messageOf, SpoolError } from '../errors.js';
import type { LogSink } from '../util/logger.js';
import type { CallRunner } from './call-runner.js';
import type { LogonHandle } from './logon-handle.js';
import type { ProviderHost } from './provider-host.js';
import { accountOptions, type EntryStartContext, logOn } from './start-entry.js';

/** What a relogon reports back to the port that asked for it: where logs go and the new logon's signals. */
export interface RelogonHooks {
  readonly sink: LogSink;
  /** The new logon's support object asked to be polled. */
  newMail(logonId: string): void;
  /** The new logon's support object entered (true) or left (false) a critical section. */
  criticalSection(logonId: string, held: boolean): void;
}

/**
 * Logs one logon off and on again in place — MAPI's spooler does TransportLogoff, then TransportLogon, for a
 * transport that stopped answering. The pipeline asks for it after a call on the logon timed out (see
 * pipeline/logon-restarts.ts for when, how often and what the status row says).
 *
 * 1. The provider's logon is logged off with `transportLogoff({ mode: 'abort' })` (the timed-out call's signal
 *    was aborted already; no `end-…` notification is sent to a logon that stopped answering) and its support
 *    object invalidated; a throw or a timeout is logged, and the old logon is never called again.
 * 2. The same account is logged on again with the same options (`transportLogon`, `addressTypes`), under the
 *    entry's timeouts, through the same provider object (no `xpProviderInit`, no `shutdown`).
 * 3. On success the handle takes the new logon ({@link LogonHandle.reattach}): the same id, routes and status
 *    row (its counters and last error kept), state `active`, traffic off until the caller begins it.
 *
 * A failed logon leaves the handle `failed` and holding a logon that does nothing, its row present and failed
 * with the coded error; the promise rejects with that error (`SPOOL_E_LOGON_FAILED` unless the provider's
 * own code says more).
 */
export async function relogon(host: ProviderHost, handle: LogonHandle, hooks: RelogonHooks): Promise<void> {
  const context: EntryStartContext = {
    profile: host.profile,
    sink: hooks.sink,
    // The host's runner (its containment included), through the one method a logon needs of it.
    runner: { run: host.run.bind(host) } as unknown as CallRunner,
    statusTable: host.statusTable,
    hostSpiVersions: host.hostSpiVersions,
    logger: host.logger,
    // The host knows the handle by its id already: the handle stays, only its logon is new.
    onLoggedOn: () => {},
    onNewMail: () => hooks.newMail(handle.id),
    onCriticalSection: hooks.criticalSection,
  };
  const { statusTable } = context;
  const { entry } = handle;
  const before = statusTable.get(handle.id);
  if (handle.state === 'closed') return;
  handle.state = 'failed';
  await logOffForRelogon(context, handle);
  try {
    if (!entry.provider || !entry.imported) throw notLoaded(handle);
    const account = entry.config.accounts.find((a) => a.name === handle.account);
    if (!account) throw notLoaded(handle);
    const options = await accountOptions(
      context.profile,
      entry.config,
      entry.imported,
      entry.provider,
      account,
    );
    const fresh = await logOn(context, entry, handle.account, options);
    if (closed(handle)) {
      // Logged off for good (a stop) while it logged on again: the new logon goes too.
      await Promise.resolve(fresh.logon.transportLogoff({ mode: 'abort' })).catch(() => {});
      fresh.support.invalidate();
      statusTable.remove(handle.id);
      return;
    }
    handle.reattach(fresh);
  } catch (error) {
    const spool = logonError(handle, error);
    if (closed(handle)) throw spool;
    // logOn took its row away: the logon keeps one, failed, with the error and its counters.
    statusTable.put(failedRow(handle, before, spool, context.profile.redactor.text(spool.message)));
    throw spool;
  }
  if (before)
    statusTable.update(handle.id, {
      counters: before.counters,
      ...(before.lastError ? { lastError: before.lastError } : {}),
    });
  handle.state = 'active';
}

/** Step 1: transportLogoff (abort) of the provider's old logon, its support invalidated, its traffic off. */
async function logOffForRelogon(context: EntryStartContext, handle: LogonHandle): Promise<void> {
  const old = handle.logon;
  const imported = handle.entry.imported;
  handle.detach();
  handle.outboundEnabled = handle.inboundEnabled = false;
  if (imported) {
    const attribution = {
      provider: imported.package.name,
      version: imported.version,
      method: 'transportLogoff',
      logonId: handle.id,
    };
    await context.runner
      .run({ attribution, timeouts: handle.entry.config.timeouts, activity: handle.activity }, () =>
        old.transportLogoff({ mode: 'abort' }),
      )
      .catch((error: unknown) =>
        handle.logger.warn(
          { logonId: handle.id, code: (error as SpoolError).code },
          `transportLogoff before logging on again failed: ${messageOf(error)}`,
        ),
      );
  }
  handle.support.invalidate();
}

/** Read again after an await: a stop may have logged the handle off meanwhile. */
function closed(handle: LogonHandle): boolean {
  return handle.state === 'closed';
}

function failedRow(
  handle: LogonHandle,
  before: StatusRow | undefined,
  error: SpoolError,
  message: string,
): StatusRow {
  const base = before ?? {
    id: handle.id,
    kind: 'logon' as const,
    displayName: handle.entry.config.id,
    offline: false,
    inbound: { enabled: false, active: false, flushing: false },
    outbound: { enabled: false, active: false, flushing: false },
    counters: { sent: 0, failed: 0, deferred: 0, received: 0 },
  };
  const off = { enabled: false, active: false, flushing: false };
  const at = new Date().toISOString();
  return {
    ...base,
    available: false,
    failure: true,
    inbound: off,
    outbound: off,
    text: `failed: could not log on again (${error.code})`,
    lastError: { code: error.code, message, at },
    updatedAt: at,
  };
}

/** The error of a failed relogon, coded: the provider's deliberate code or a timeout as is, else LOGON_FAILED. */
function logonError(handle: LogonHandle, error: unknown): SpoolError {
  const code = (error as { code?: unknown } | null)?.code;
  if (error instanceof SpoolError && code !== ErrorCode.PROVIDER_FAILED) return error;
  return new SpoolError(
    ErrorCode.LOGON_FAILED,
    `logon ${handle.id} could not log on again: ${messageOf(error)}`,
    {
      hint: 'The host logged the account off after a call timed out and could not log it on again; it tries again on the retry schedule. Check the account (credentials, server) or the provider.',
      cause: error,
      details: { logonId: handle.id, ...(typeof code === 'string' ? { providerCode: code } : {}) },
    },
  );
}

function notLoaded(handle: LogonHandle): SpoolError {
  return new SpoolError(ErrorCode.LOGON_FAILED, `logon ${handle.id}: its provider entry is not loaded`, {
    hint: 'Reload the profile (SIGHUP) or restart the spooler.',
    details: { logonId: handle.id },
  });
}
