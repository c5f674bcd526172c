import type { BreakerConfig } from '../profile/entry-routing.js';
import { isStopping, type PipelineContext } from './context.js';

/** Where one route's breaker stands. */
export type BreakerState = 'closed' | 'open' | 'probing';

/** A breaker changed state (the `breaker` event): `open` until `until`, `probing` one hand-off, `closed`. */
export interface BreakerTransition {
  readonly logonId: string;
  readonly state: BreakerState;
  /** When an open breaker lets its probe through (epoch ms, the spooler's clock). */
  readonly until?: number;
  /** The last failure, for an open breaker. */
  readonly error?: string;
}

interface RouteBreaker {
  state: BreakerState;
  /** Temporary route failures in a row. */
  failures: number;
  /** The cool-down the next opening uses: doubles after each failed probe, up to the maximum. */
  coolDownMs: number;
  until: number;
  /** The row text before it opened, put back when it closes. */
  text: string | undefined;
}

/**
 * A breaker per route (Postfix's `transport_retry_time` for a dead transport): a route whose hand-offs keep
 * failing temporarily — the provider throws or times out, or defers the whole hand-off (connection refused,
 * 421) — opens after `after` such hand-offs in a row. While open it gets no hand-offs for the cool-down, so
 * its mail waits (or fails over, see waiting.ts) and no attempts are burned on it; its status row says
 * "suspended until …". Then one probe hand-off: success (anything but a route failure) closes it, a failure
 * opens it again for twice the cool-down, up to `maxCoolDown`. Transitions are `breaker` events.
 * The entry's `breaker: false` turns it off.
 */
export class Breakers {
  readonly #ctx: PipelineContext;
  readonly #routes = new Map<string, RouteBreaker>();
  #timer: NodeJS.Timeout | undefined;

  constructor(ctx: PipelineContext) {
    this.#ctx = ctx;
  }

  /** How many hand-offs the route may start now: all its free slots, one probe, or none while open. */
  allowance(logonId: string, free: number): number {
    const breaker = this.#routes.get(logonId);
    if (!breaker || breaker.state === 'closed') return free;
    if (breaker.state === 'open') {
      if (this.#ctx.clock.now() < breaker.until) return 0;
      this.#transition(logonId, breaker, 'probing');
      return Math.min(free, 1);
    }
    // Probing: one hand-off at a time until one ends (record() then closes or reopens it).
    return this.#ctx.inFlight.submitting(logonId) === 0 ? Math.min(free, 1) : 0;
  }

  /** True while the route takes no hand-offs (open, cool-down not over): routing fails its mail over. */
  isSuspended(logonId: string): boolean {
    const breaker = this.#routes.get(logonId);
    return breaker !== undefined && breaker.state !== 'closed';
  }

  /** When the route's breaker lets its probe through, while open. */
  suspendedUntil(logonId: string): number | undefined {
    const breaker = this.#routes.get(logonId);
    return breaker?.state === 'open' ? breaker.until : undefined;
  }

  /** Records how one hand-off on the route ended: a temporary route failure, or anything else. */
  record(logonId: string, entryId: string, routeFailed: boolean, error: string | undefined): void {
    const config = this.#config(entryId);
    if (!config) return;
    let breaker = this.#routes.get(logonId);
    if (!routeFailed) {
      if (breaker && breaker.state !== 'closed') this.#close(logonId, breaker, config);
      else if (breaker) breaker.failures = 0;
      return;
    }
    if (!breaker) {
      breaker = { state: 'closed', failures: 0, coolDownMs: config.coolDownMs, until: 0, text: undefined };
      this.#routes.set(logonId, breaker);
    }
    breaker.failures++;
    if (breaker.state === 'probing') {
      breaker.coolDownMs = Math.min(breaker.coolDownMs * 2, config.maxCoolDownMs);
      this.#open(logonId, breaker, error);
    } else if (breaker.state === 'closed' && breaker.failures >= config.after)
      this.#open(logonId, breaker, error);
  }

  /** Forgets the breakers of routes that are gone (after a reload): a logon that comes back starts closed. */
  retain(logonIds: readonly string[]): void {
    const live = new Set(logonIds);
    for (const id of this.#routes.keys()) if (!live.has(id)) this.#routes.delete(id);
  }

  /** Stops the wake-up timer (a stop). */
  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #config(entryId: string): BreakerConfig | undefined {
    return this.#ctx.profile().providers.find((entry) => entry.id === entryId)?.breaker;
  }

  #open(logonId: string, breaker: RouteBreaker, error: string | undefined): void {
    const { port, clock } = this.#ctx;
    if (breaker.state === 'closed') breaker.text = port.statusTable.get(logonId)?.text;
    breaker.until = clock.now() + breaker.coolDownMs;
    const until = new Date(breaker.until).toISOString();
    port.statusTable.update(logonId, { text: `suspended until ${until}` });
    port
      .loggerOf(logonId)
      .warn(
        { logonId, until, failures: breaker.failures },
        `breaker open: ${breaker.failures} hand-offs in a row failed temporarily; no hand-offs until ${until}${error ? ` (last: ${error})` : ''}`,
      );
    this.#transition(logonId, breaker, 'open', error);
    this.#armTimer();
  }

  #close(logonId: string, breaker: RouteBreaker, config: BreakerConfig): void {
    const { port } = this.#ctx;
    breaker.failures = 0;
    breaker.coolDownMs = config.coolDownMs;
    port.statusTable.update(logonId, { text: breaker.text ?? 'ready' });
    port.loggerOf(logonId).info({ logonId }, 'breaker closed: the probe hand-off went through');
    this.#transition(logonId, breaker, 'closed');
  }

  #transition(logonId: string, breaker: RouteBreaker, state: BreakerState, error?: string): void {
    breaker.state = state;
    const { events } = this.#ctx;
    if (events.wants('breaker'))
      events.emit('breaker', {
        logonId,
        state,
        ...(state === 'open' ? { until: breaker.until } : {}),
        ...(error === undefined ? {} : { error }),
      });
  }

  /** Wakes the scheduler when the earliest open breaker's cool-down ends (its due mail is not on a timer). */
  #armTimer(): void {
    if (isStopping(this.#ctx)) return;
    const now = this.#ctx.clock.now();
    const open = [...this.#routes.values()].filter((b) => b.state === 'open' && b.until > now);
    if (open.length === 0) return;
    const next = Math.min(...open.map((b) => b.until));
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.#ctx.wake();
        this.#armTimer();
      },
      Math.max(next - now, 0) + 1,
    );
    this.#timer.unref();
  }
}
