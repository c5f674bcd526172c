import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createSpooler,
  type LogSink,
  type PassReport,
  type Spooler,
  type StoredMessage,
  type SubmitInput,
} from '@spool/core';
import type { StatusRow } from '@spool/spi';
import { type PreparedPackage, type ProviderTarget, preparePackage } from './target.js';

/** Options of {@link createHarness}: the provider, its options, and optional spooler settings. */
export type HarnessOptions = ProviderTarget & {
  /** The provider's options section (what an operator writes under `options:` in the profile). */
  readonly options?: Readonly<Record<string, unknown>>;
  /** Accounts (name → options merged over `options`); one `default` account when omitted. */
  readonly accounts?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** Call timeouts for the entry, e.g. `{ inactivity: '5s' }`; the host's defaults otherwise. */
  readonly timeouts?: Readonly<Record<string, string | number>>;
  /** Extra profile keys (retry, reports, defaultAddressType, …). */
  readonly profile?: Readonly<Record<string, unknown>>;
  /** Where the host's log records go; dropped by default (they are kept in `harness.logs`). */
  readonly logSink?: LogSink;
};

/** A provider running inside a real spooler on a temporary store and profile folder. */
export interface Harness extends AsyncDisposable {
  /** The spooler (`@spool/core`) on its real store; use its public API (`providers()`, `status()`, …). */
  readonly spooler: Spooler;
  /** The temporary profile folder (store, provider data dirs). Removed by `dispose()`. */
  readonly dir: string;
  /** Every log record the host wrote, newest last. */
  readonly logs: readonly Record<string, unknown>[];
  /** Submits a message (see `Spooler.submit`). */
  submit(message: SubmitInput): Promise<{ id: string; messageId: string }>;
  /** "Deliver now": one flush of every logon, outbound then inbound; returns what it did. */
  flush(): Promise<PassReport>;
  /**
   * Flushes until the message is finished (every recipient has a final outcome) or `maxPasses` flushes
   * (default 10) have run, and returns the message as stored.
   */
  deliver(id: string, options?: { maxPasses?: number }): Promise<StoredMessage>;
  /** The Inbox, oldest first. */
  inbox(): Promise<StoredMessage[]>;
  /** The Sent folder, oldest first. */
  sent(): Promise<StoredMessage[]>;
  /** The Outbox, oldest first. */
  outbox(): Promise<StoredMessage[]>;
  /** The status table (one row per logon plus the spooler's). */
  status(): StatusRow[];
  /** Stops the spooler (logoff, shutdown) and removes the temporary folder. Idempotent. */
  dispose(): Promise<void>;
}

/**
 * Runs a provider inside a real spooler (`createSpooler` from `@spool/core`): a temporary profile folder with
 * the embedded store, the provider loaded by the real loader from `packageDir` (or from an in-memory
 * `provider`), logged on, traffic enabled. Scheduling is off — `flush()` and `deliver()` drive it, so tests
 * are deterministic.
 *
 * @example
 * ```ts
 * await using harness = await createHarness({ packageDir, options: { folder: 'out' } });
 * const { id } = await harness.submit({ to: 'FILE:alice', subject: 'Hi' });
 * expect((await harness.deliver(id)).state).toBe('finished');
 * ```
 */
export async function createHarness(options: HarnessOptions): Promise<Harness> {
  const pkg: PreparedPackage = await preparePackage(options, 'createHarness');
  const dir = await mkdtemp(join(tmpdir(), 'spool-harness-'));
  const logs: Record<string, unknown>[] = [];
  const sink: LogSink = (level, fields, message) => {
    logs.push({ level, ...fields, message });
    options.logSink?.(level, fields, message);
  };
  let spooler: Spooler;
  try {
    spooler = await createSpooler({
      profile: {
        ...options.profile,
        providers: [
          {
            id: 'provider',
            provider: pkg.dir,
            options: { ...options.options },
            ...(options.accounts ? { accounts: options.accounts } : {}),
            ...(options.timeouts ? { timeouts: options.timeouts } : {}),
          },
        ],
      },
      cwd: dir,
      autoStart: false,
      logSink: sink,
    });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    await pkg.cleanup();
    throw error;
  }
  // A provider that failed to load or log on is recorded, not thrown, by the host: surface it here.
  const failed = spooler.providers().find((entry) => entry.status === 'failed');
  if (failed?.error) {
    await spooler.stop({ mode: 'hurry' }).catch(() => {});
    await rm(dir, { recursive: true, force: true });
    await pkg.cleanup();
    throw failed.error;
  }

  let disposed: Promise<void> | undefined;
  const dispose = (): Promise<void> => {
    disposed ??= (async () => {
      try {
        await spooler.stop({ mode: 'orderly', timeoutMs: 10_000 });
      } finally {
        await rm(dir, { recursive: true, force: true });
        await pkg.cleanup();
      }
    })();
    return disposed;
  };

  return {
    spooler,
    dir,
    logs,
    submit: async (message) => {
      const { id, messageId } = await spooler.submit(message);
      return { id, messageId };
    },
    flush: () => spooler.flush(),
    async deliver(id, { maxPasses = 10 } = {}) {
      let message = await spooler.get(id);
      for (let pass = 0; pass < maxPasses && message.state === 'queued'; pass++) {
        await spooler.flush();
        message = await spooler.get(id);
      }
      return message;
    },
    inbox: () => spooler.list('Inbox'),
    sent: () => spooler.list('Sent'),
    outbox: () => spooler.list('Outbox'),
    status: () => spooler.status(),
    dispose,
    [Symbol.asyncDispose]: dispose,
  };
}
