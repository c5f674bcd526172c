import type { PipelineContext } from './context.js';
import type { Housekeeping } from './housekeeping.js';
import { STOP_REASON } from './in-flight.js';
import type { Receiving } from './receiving.js';
import type { Scheduler } from './scheduler.js';

/**
 * Stopping: `orderly` starts nothing new and lets in-flight hand-offs finish for up to the timeout, then
 * hurries; `hurry` aborts them now (their recipients go back to the Outbox, no attempt counted). Then the
 * receive loops end, every logon logs off, every provider shuts down and the store closes.
 */
export class Stopping {
  readonly #ctx: PipelineContext;
  readonly #scheduler: Scheduler;
  readonly #housekeeping: Housekeeping;
  readonly #receiving: Receiving;
  #stopped: Promise<void> | undefined;
  #hurry: (() => void) | undefined;
  #hurried = false;

  constructor(ctx: PipelineContext, scheduler: Scheduler, housekeeping: Housekeeping, receiving: Receiving) {
    this.#ctx = ctx;
    this.#scheduler = scheduler;
    this.#housekeeping = housekeeping;
    this.#receiving = receiving;
  }

  /** Stops once; later calls return the same promise. A hurry while an orderly stop waits cuts the wait short. */
  stop(mode: 'orderly' | 'hurry', timeoutMs: number): Promise<void> {
    // Remembered, not only signalled: a hurry that arrives while the orderly stop still waits for the pass in
    // progress (before its drain wait began) must cut that wait short too.
    if (mode === 'hurry') this.#hurried = true;
    if (mode === 'hurry') this.#hurry?.();
    this.#stopped ??= this.#stop(mode, timeoutMs);
    return this.#stopped;
  }

  async #stop(mode: 'orderly' | 'hurry', timeoutMs: number): Promise<void> {
    const { port, inFlight, state } = this.#ctx;
    state.phase = 'draining';
    port.statusTable.update('spooler', { text: 'stopping' });
    this.#scheduler.stop();
    const relogons = this.#scheduler.stopRestarts();
    this.#housekeeping.stop();
    const pass = this.#scheduler.passInProgress;
    if (pass) await pass;
    if (mode === 'orderly' && inFlight.size > 0 && !this.#hurried) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(inFlight.list().map((f) => f.done)),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, timeoutMs);
          this.#hurry = resolve;
        }),
      ]);
      clearTimeout(timer);
      this.#hurry = undefined;
    }
    state.phase = 'aborting';
    for (const flight of inFlight.list()) flight.controller.abort(STOP_REASON);
    await Promise.all(inFlight.list().map((f) => f.done));
    await Promise.all(this.#receiving.all());
    // A relogon in progress ends first (within the entry's timeouts), so its new logon is logged off too.
    await Promise.all(relogons);
    await port.stop(mode === 'orderly' ? 'orderly' : 'abort');
    await this.#ctx.store.close();
    this.#ctx.events.changed();
  }
}
