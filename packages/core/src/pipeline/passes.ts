import { setTimeout as sleep } from 'node:timers/promises';
import type { LogonView } from '../host/provider-port.js';
import { beginTraffic, isStopping, type PipelineContext } from './context.js';
import type { Receiving } from './receiving.js';
import type { Routing } from './routing.js';
import type { Scheduler } from './scheduler.js';
import { type Counts, type Direction, setFlushing } from './status-rows.js';
import type { PassReport } from './types.js';

/** Bounds on the rounds of one flush or pass: a queue that keeps refilling cannot hold a caller forever. */
const MAX_FLUSH_ROUNDS = 1_000_000;
const MAX_PASS_ROUNDS = 10_000;
const MAX_SETTLE_ROUNDS = 100_000;
/** Failed passes in a row after which `runOnce()` and `flush()` give up and reject with the pass's error. */
const MAX_FAILED_ROUNDS = 3;

/**
 * Passes a caller drives: `flush()` (MAPI's deliver now) and `runOnce()` (`spool run --once`), each reporting
 * what it did; and waiting until the pipeline has settled.
 */
export class Passes {
  readonly #ctx: PipelineContext;
  readonly #scheduler: Scheduler;
  readonly #routing: Routing;
  readonly #receiving: Receiving;

  constructor(ctx: PipelineContext, scheduler: Scheduler, routing: Routing, receiving: Receiving) {
    this.#ctx = ctx;
    this.#scheduler = scheduler;
    this.#routing = routing;
    this.#receiving = receiving;
  }

  /** Makes every deferred recipient due, then per logon drives outbound until empty, then inbound. */
  async flush(signal: AbortSignal | undefined): Promise<PassReport> {
    const { store, port, totals } = this.#ctx;
    return this.#manual(async () => {
      await beginTraffic(this.#ctx);
      const start = totals.snapshot();
      await store.makeDue();
      await this.#routing.routeAll();
      for (const logon of port.logons().filter((l) => l.state === 'active')) {
        if (signal?.aborted) break;
        await this.#flushDirection(logon, 'outbound', () => this.#flushOutbound(logon, signal));
      }
      for (const logon of port.logons().filter((l) => l.state === 'active')) {
        if (signal?.aborted) break;
        await this.#flushDirection(logon, 'inbound', async () => {
          const before = totals.snapshot();
          await this.#receiving.pollOnce(logon);
          await this.#receiving.running(logon.id);
          const received = totals.receivedSince(before);
          this.#progress(logon.id, 'inbound', received, received);
        });
      }
      return this.#report(start);
    });
  }

  /** One hand-off for every due message, one poll of every logon that receives; nothing waits for a retry. */
  async runOnce(): Promise<PassReport> {
    const { store, port, state, totals } = this.#ctx;
    return this.#manual(async () => {
      const start = totals.snapshot();
      // A fixed cut-off for the pass, read off the store's clock: a recipient deferred during the pass is due
      // later, so it is not retried now.
      state.passCutoff = await store.now();
      try {
        await beginTraffic(this.#ctx);
        await this.#routing.routeAll();
        let left = Number.POSITIVE_INFINITY;
        for (let round = 0, failed = 0; round < MAX_PASS_ROUNDS; round++) {
          this.#ctx.wake();
          await this.waitUntilSettled();
          if (await this.#passFailed(++failed)) continue;
          failed = 0;
          const due = await store.countDue(null, { dueBy: state.passCutoff });
          // Done, or a round that handed nothing off: what is left waits on logons that cannot take it now.
          if (due === 0 || due >= left) break;
          left = due;
        }
        for (const logon of port.logons()) await this.#receiving.pollOnce(logon);
        await this.waitUntilSettled();
      } finally {
        state.passCutoff = undefined;
      }
      return this.#report(start);
    });
  }

  /** Resolves when no pass runs, nothing is in flight (on `logonId`, or anywhere) and no receive loop runs. */
  async waitUntilSettled(logonId?: string): Promise<void> {
    const { inFlight } = this.#ctx;
    for (let i = 0; i < MAX_SETTLE_ROUNDS; i++) {
      const pass = this.#scheduler.passInProgress;
      if (pass) await pass;
      const flights = logonId === undefined ? inFlight.list() : inFlight.list({ logonId });
      const receiving = logonId === undefined ? this.#receiving.all() : [];
      if (flights.length === 0 && receiving.length === 0 && !this.#scheduler.passInProgress) return;
      await Promise.all([...flights.map((f) => f.done), ...receiving]);
    }
  }

  /** Counts a manual pass while it runs: a spooler without autoStart hands off only then. */
  async #manual<T>(work: () => Promise<T>): Promise<T> {
    this.#ctx.state.manualPasses++;
    try {
      return await work();
    } finally {
      this.#ctx.state.manualPasses--;
    }
  }

  async #flushOutbound(logon: LogonView, signal: AbortSignal | undefined): Promise<void> {
    const { store } = this.#ctx;
    const total = await store.countDue(logon.id);
    let done = 0;
    this.#progress(logon.id, 'outbound', done, total);
    let before = Number.POSITIVE_INFINITY;
    for (let round = 0, failed = 0; round < MAX_FLUSH_ROUNDS && !signal?.aborted; round++) {
      this.#ctx.wake();
      await this.waitUntilSettled(logon.id);
      if (await this.#passFailed(++failed)) continue;
      failed = 0;
      const left = await store.countDue(logon.id);
      done = Math.max(done, total - left);
      this.#progress(logon.id, 'outbound', done, Math.max(total, done));
      // A logon that stopped serving during the flush (a call timed out) or a round that handed nothing
      // off ends it: what is left waits for the logon.
      if (left === 0 || left >= before || isStopping(this.#ctx) || logon.state !== 'active') break;
      before = left;
    }
  }

  /**
   * After a round: true when its pass failed (the scheduler armed its own retry), after waiting the
   * scheduler's back-off; the `failed`-th failure in a row rejects with the pass's coded error instead.
   */
  async #passFailed(failed: number): Promise<boolean> {
    const failure = this.#scheduler.lastFailure;
    if (!failure) return false;
    if (failed >= MAX_FAILED_ROUNDS) throw failure;
    await sleep(this.#scheduler.failureBackoffMs);
    return true;
  }

  /** Runs one direction's flush of a logon between its begin/end-flush notifications and flushing bit. */
  async #flushDirection(logon: LogonView, direction: Direction, work: () => Promise<void>): Promise<void> {
    const { port } = this.#ctx;
    setFlushing(port.statusTable, logon.id, direction, true);
    await port.tryCall('transportNotify', logon.id, { type: `begin-${direction}-flush` });
    try {
      await work();
    } finally {
      await port.tryCall('transportNotify', logon.id, { type: `end-${direction}-flush` });
      setFlushing(port.statusTable, logon.id, direction, false);
    }
  }

  #progress(logonId: string, direction: Direction, done: number, total: number): void {
    this.#ctx.port.statusTable.update(logonId, { progress: { done, total, text: `flushing ${direction}` } });
    this.#ctx.events.emit('progress', { logonId, direction, done, total });
  }

  async #report(start: Counts): Promise<PassReport> {
    const now = this.#ctx.totals.snapshot();
    return {
      delivered: now.delivered - start.delivered,
      failed: now.failed - start.failed,
      deferred: now.deferred - start.deferred,
      received: now.received - start.received,
      pending: await this.#ctx.store.pending(),
    };
  }
}
