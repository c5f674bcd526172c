import { ErrorCode, messageOf, type SpoolError } from '../errors.js';
import type { LogonView } from '../host/provider-port.js';
import { isStopping, leaseMs, type PipelineContext } from './context.js';
import type { HandOffs } from './hand-off.js';
import type { Routing } from './routing.js';

/** setTimeout's largest delay. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The scheduler (Postfix's qmgr loop, BullMQ's main loop): a wake-up runs a pass — route what is unrouted,
 * then claim for every logon as many hand-offs as it has room for and start them — and arms a timer for the
 * next recipient that comes due. One pass runs at a time; a wake during a pass runs another after it.
 */
export class Scheduler {
  readonly #ctx: PipelineContext;
  readonly #routing: Routing;
  readonly #handOffs: HandOffs;
  #pass: Promise<void> | undefined;
  #again = false;
  #dueTimer: NodeJS.Timeout | undefined;

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
        for (const logon of this.#ctx.port.logons()) {
          if (isStopping(this.#ctx)) return;
          if (!this.#takesWork(logon)) continue;
          const free = this.#ctx.inFlight.free(logon.id, logon.maxInFlight);
          if (free > 0) await this.#claim(logon, free);
        }
      } while (this.#again && !isStopping(this.#ctx));
      await this.#armDueTimer();
    } catch (error) {
      this.#reportFailure(error);
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

  /** A pass that failed (the store refused): logged and shown on the spooler's row; the next wake retries. */
  #reportFailure(error: unknown): void {
    const { port } = this.#ctx;
    const code = (error as SpoolError).code;
    port.logger.error({ code }, `spooler pass failed: ${messageOf(error)}`);
    port.statusTable.update('spooler', {
      lastError: { code: code ?? ErrorCode.STORE_FAILED, message: messageOf(error) },
    });
  }
}
