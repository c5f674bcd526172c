import type { ProviderPort } from '../host/provider-port.js';
import type { Profile } from '../profile/profile.js';
import type { MessageStore } from '../store/ports.js';
import type { Breakers } from './breaker.js';
import type { PipelineEvents } from './events.js';
import type { InFlightRegistry } from './in-flight.js';
import type { Totals } from './status-rows.js';
import type { Clock, SpoolerOptions } from './types.js';

/**
 * Where the spooler is in its life: `running`; `draining` (an orderly stop waits for in-flight hand-offs,
 * nothing new starts); `aborting` (in-flight work is aborted, receiving ends, inbound saves are refused).
 */
export type Phase = 'running' | 'draining' | 'aborting';

/** The few facts every stage may read and the stages that own them set. */
export interface PipelineState {
  phase: Phase;
  /**
   * During `runOnce()`: the store's instant the pass started at. Only recipients due by then are claimed,
   * and retry decisions are made at it, so a recipient deferred during the pass is not retried in it.
   */
  passCutoff: number | undefined;
  /** `flush()`/`runOnce()` calls in progress: a spooler without autoStart hands off only during them. */
  manualPasses: number;
  /** Traffic was begun on the logons (a store-only spooler begins it at its first pass). */
  trafficStarted: boolean;
  /** Logons a reload is taking down: they get no new hand-offs while their in-flight work ends. */
  readonly retiring: Set<string>;
}

/**
 * The one object the stages share: the two ports, the clock, the options, the events, the totals, the
 * in-flight registry and the run state. A stage keeps its own state private and offers methods; it never
 * reaches into another stage.
 */
export interface PipelineContext {
  readonly store: MessageStore;
  readonly port: ProviderPort;
  readonly clock: Clock;
  readonly options: SpoolerOptions;
  readonly events: PipelineEvents;
  readonly totals: Totals;
  readonly inFlight: InFlightRegistry;
  /** The routes' breakers (breaker.ts): the scheduler asks them how many hand-offs a route may start. */
  readonly breakers: Breakers;
  readonly state: PipelineState;
  /** The profile in force (a reload replaces it). */
  profile(): Profile;
  /** Asks the scheduler for a pass (wired by the facade once the scheduler exists). */
  wake(): void;
}

/** The instant retry and expiry decisions are made at: a `runOnce()` pass's cut-off, else the clock. */
export function decisionTime(ctx: PipelineContext): number {
  return ctx.state.passCutoff ?? ctx.clock.now();
}

/** Lease length for claims (renewed while a hand-off runs). */
export function leaseMs(ctx: PipelineContext): number {
  return ctx.options.leaseMs ?? 5 * 60_000;
}

/** True once a stop began: nothing new is accepted or started. */
export function isStopping(ctx: PipelineContext): boolean {
  return ctx.state.phase !== 'running';
}

/** Begins traffic on every logon, once per spooler (a reload begins it on new logons itself). */
export async function beginTraffic(ctx: PipelineContext): Promise<void> {
  if (ctx.state.trafficStarted) return;
  ctx.state.trafficStarted = true;
  await ctx.port.beginTraffic();
}
