import { messageOf, type SpoolError } from '../errors.js';
import type { LogonView } from '../host/provider-port.js';
import type { RetentionRule } from '../store/types.js';
import { isStopping, leaseMs, type PipelineContext } from './context.js';
import type { Receiving } from './receiving.js';

/** How many finished messages one retention run deletes at most. */
const RETENTION_BATCH = 500;

/**
 * The timers of a running spooler: the store's change feed (another process committed), each receiving
 * logon's poll, the lease heartbeat and the release of expired leases, `idle()` when the queue is quiet, and
 * retention. A store-only spooler (autoStart false) starts none of them.
 */
export class Housekeeping {
  readonly #ctx: PipelineContext;
  readonly #receiving: Receiving;
  readonly #timers = new Set<NodeJS.Timeout>();
  /** Poll timers by logon, so a reload can stop a retired logon's and start a new one's. */
  readonly #pollTimers = new Map<string, NodeJS.Timeout>();
  #unsubscribe: (() => void) | undefined;

  constructor(ctx: PipelineContext, receiving: Receiving) {
    this.#ctx = ctx;
    this.#receiving = receiving;
  }

  /** True once {@link start} ran (and until {@link stop}). */
  get running(): boolean {
    return this.#timers.size > 0;
  }

  /** Starts every timer, and polling on every logon that receives. */
  start(): void {
    const { store, port, events } = this.#ctx;
    // Another process (the CLI) or spooler committed: the store's change feed says so.
    this.#unsubscribe = store.subscribe(() => {
      events.changed();
      this.#ctx.wake();
    });
    for (const logon of port.logons()) this.startPolling(logon);
    const lease = leaseMs(this.#ctx);
    this.#every(Math.max(1000, Math.floor(lease / 3)), () => {
      if (this.#ctx.inFlight.size > 0) void store.renewLeases(lease).catch(this.#logStoreError);
      // Another spooler that stopped renewing (hung, or on another machine) lets its leases expire: free them.
      void store
        .releaseExpiredLeases()
        .then((released) => {
          if (released > 0) this.#ctx.wake();
        })
        .catch(this.#logStoreError);
    });
    this.#every(this.#ctx.options.idleIntervalMs ?? 30_000, () => void this.#idle());
    const rules = retentionRules(this.#ctx);
    if (rules.length > 0)
      this.#every(60_000, () => void store.applyRetention(rules, RETENTION_BATCH).catch(this.#logStoreError));
  }

  /** Polls a logon at its interval (else the profile's) when it polls and receives. */
  startPolling(logon: LogonView): void {
    if (!logon.polls || !logon.receives || this.#pollTimers.has(logon.id)) return;
    const interval = logon.pollIntervalMs ?? this.#ctx.profile().pollIntervalMs;
    const timer = setInterval(() => void this.#receiving.pollOnce(logon), interval);
    timer.unref();
    this.#pollTimers.set(logon.id, timer);
  }

  /** Stops polling a logon (a reload retired it). */
  stopPolling(logonId: string): void {
    const timer = this.#pollTimers.get(logonId);
    if (timer) clearInterval(timer);
    this.#pollTimers.delete(logonId);
  }

  /** Stops every timer and the change feed subscription. */
  stop(): void {
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers.clear();
    this.#unsubscribe?.();
    for (const timer of this.#pollTimers.values()) clearInterval(timer);
    this.#pollTimers.clear();
  }

  #every(ms: number, fn: () => void): void {
    const timer = setInterval(fn, ms);
    timer.unref();
    this.#timers.add(timer);
  }

  /** Idle runs only when the queue is quiet, and never for a logon inside a critical section. */
  async #idle(): Promise<void> {
    const { store, port, inFlight } = this.#ctx;
    if (isStopping(this.#ctx) || inFlight.size > 0) return;
    if ((await store.countDue(null)) > 0) return;
    for (const logon of port.logons()) {
      if (logon.state !== 'active' || !logon.hasIdle || logon.inCriticalSection) continue;
      await port.tryCall('idle', logon.id, undefined);
    }
  }

  #logStoreError = (error: unknown): void => {
    this.#ctx.port.logger.error(
      { code: (error as SpoolError).code },
      `store housekeeping failed: ${messageOf(error)}`,
    );
  };
}

function retentionRules(ctx: PipelineContext): RetentionRule[] {
  const { sentMs, deletedMs } = ctx.profile().retention;
  return [
    ...(sentMs === undefined ? [] : [{ folder: 'Sent', olderThanMs: sentMs }]),
    ...(deletedMs === undefined ? [] : [{ folder: 'Deleted', olderThanMs: deletedMs }]),
  ];
}
