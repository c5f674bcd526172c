import { ErrorCode, isSpoolError, messageOf, SpoolError } from '../errors.js';
import type { LogonView } from '../host/provider-port.js';
import { isStopping, leaseMs, type PipelineContext } from './context.js';
import type { HandOffs } from './hand-off.js';
import type { Routing } from './routing.js';

/** setTimeout's largest delay. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** The wait before the pass after a failed one; it doubles with each failure in a row, up to the maximum. */
const FAILED_PASS_BACKOFF_MS = 100;
const MAX_FAILED_PASS_BACKOFF_MS = 5_000;

/**
 * The scheduler (Postfix's qmgr loop, BullMQ's main loop): a wake-up runs a pass — route what is unrouted,
 * then claim for every logon as many hand-offs as it has room for (one at a time for a logon on probation
 * after a relogon, none for a failed one: see logon-restarts.ts) and start them — and arms a timer for the
 * next recipient that comes due. One pass runs at a time; a wake during a pass runs another after it.
 *
 * A pass that fails (the store refused: `SQLITE_BUSY` past the busy timeout while another process holds the
 * write lock, a full disk) is logged with its coded error and shown on the spooler's row, and arms the next
 * wake-up itself after a back-off ({@link FAILED_PASS_BACKOFF_MS}, doubling per failure in a row up to
 * {@link MAX_FAILED_PASS_BACKOFF_MS}): a due retry is never left waiting for an unrelated wake.
 */
export class Scheduler {
  readonly #ctx: PipelineContext;
  readonly #routing: Routing;
  readonly #handOffs: HandOffs;
  #pass: Promise<void> | undefined;
  #again = false;
  #dueTimer: NodeJS.Timeout | undefined;
  #failuresInRow = 0;
  #lastFailure: SpoolError | undefined;

  constructor(ctx: PipelineContext, routing: Routing, handOffs: HandOffs) {
    this.#ctx = ctx;
    this.#routing = routing;
    this.#handOffs = handOffs;
  }

  /** Asks for a pass: starts one, or has the running one go round again. */
  wake(): void {
    const { options, state } = this.#ctx;
    // Without autoStart the spooler only accepts and stores; it hands off during runOnce() and flush() alone.
    if (isStopping(this.#ctx) || (options.autoStart === false && state.manualPasses === 0)) return;
    if (this.#pass) {
      this.#again = true;
      return;
    }
    this.#pass = this.#pump().finally(() => {
      this.#pass = undefined;
      // A wake that arrived after the pump's last check (while it armed the due timer) must not be lost.
      if (this.#again) this.wake();
    });
  }

  /** The pass in progress, if any (to wait for before reading what it did). */
  get passInProgress(): Promise<void> | undefined {
    return this.#pass;
  }

  /** The error of the last pass when it failed (undefined once a pass succeeds): `runOnce()` reads it. */
  get lastFailure(): SpoolError | undefined {
    return this.#lastFailure;
  }

  /** How long the scheduler waits before the pass after the failed one it just had. */
  get failureBackoffMs(): number {
    return Math.min(
      FAILED_PASS_BACKOFF_MS * 2 ** Math.max(this.#failuresInRow - 1, 0),
      MAX_FAILED_PASS_BACKOFF_MS,
    );
  }

  /** A stop: no more relogons; returns those in progress, to wait for before the logons log off. */
  stopRestarts(): Promise<void>[] {
    return this.#handOffs.restarts.stop();
  }

  /** Stops arming the due timer (a stop). */
  stop(): void {
    if (this.#dueTimer) clearTimeout(this.#dueTimer);
    this.#dueTimer = undefined;
  }

  /** The main loop: route, then fill every logon's free slots, again while wakes arrive; then the due timer. */
  async #pump(): Promise<void> {
    try {
      do {
        this.#again = false;
        await this.#routing.routeAll();
        const { restarts } = this.#handOffs;
        restarts.watch();
        for (const logon of this.#ctx.port.logons()) {
          if (isStopping(this.#ctx)) return;
          restarts.notice(logon);
          await restarts.deferDue(logon);
          if (!this.#takesWork(logon)) continue;
          const free = this.#ctx.breakers.allowance(
            logon.id,
            restarts.limit(logon.id, this.#ctx.inFlight.free(logon.id, logon.maxInFlight)),
          );
          if (free > 0) await this.#claim(logon, free);
        }
      } while (this.#again && !isStopping(this.#ctx));
      await this.#armDueTimer();
      this.#failuresInRow = 0;
      this.#lastFailure = undefined;
    } catch (error) {
      this.#failuresInRow++;
      this.#lastFailure = passError(error);
      this.#reportFailure(this.#lastFailure);
      this.#armAfterFailure();
    }
  }

  #takesWork(logon: LogonView): boolean {
    return logon.state === 'active' && logon.outboundEnabled && !this.#ctx.state.retiring.has(logon.id);
  }

  async #claim(logon: LogonView, limit: number): Promise<void> {
    const { store, state } = this.#ctx;
    const claims = await store.claim(logon.id, {
      limit,
      leaseMs: leaseMs(this.#ctx),
      preprocessors: logon.preprocessors,
      ...(state.passCutoff === undefined ? {} : { dueBy: state.passCutoff }),
    });
    for (const claim of claims) this.#handOffs.start(logon, claim);
  }

  async #armDueTimer(): Promise<void> {
    if (this.#ctx.options.autoStart === false || isStopping(this.#ctx)) return;
    const due = await this.#ctx.store.nextDueInMs();
    this.stop();
    if (due === null) return;
    this.#dueTimer = setTimeout(() => this.wake(), Math.min(Math.max(due, 0), MAX_TIMER_MS));
    this.#dueTimer.unref();
  }

  /** After a failed pass: the next one runs after the back-off (it re-arms the due timer when it succeeds). */
  #armAfterFailure(): void {
    if (isStopping(this.#ctx)) return;
    this.stop();
    this.#dueTimer = setTimeout(() => this.wake(), this.failureBackoffMs);
    this.#dueTimer.unref();
  }

  /** A pass that failed: logged with its code and shown on the spooler's row. */
  #reportFailure(error: SpoolError): void {
    const { port } = this.#ctx;
    port.logger.error(
      { code: error.code, ...error.details, retryInMs: this.failureBackoffMs },
      `spooler pass failed: ${error.message}`,
    );
    port.statusTable.update('spooler', { lastError: { code: error.code, message: error.message } });
  }
}

/** What failed a pass, coded: a SpoolError as it is, anything else (a driver's error) as `SPOOL_E_STORE_FAILED`. */
function passError(error: unknown): SpoolError {
  if (isSpoolError(error)) return error;
  const driverCode = (error as { code?: unknown } | null)?.code;
  return new SpoolError(ErrorCode.STORE_FAILED, messageOf(error), {
    hint: 'The spooler tries again shortly by itself; if this repeats, check the store (a process holding its write lock, a full disk).',
    cause: error,
    details: typeof driverCode === 'string' ? { driverCode } : {},
  });
}
