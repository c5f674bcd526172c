import { EventEmitter } from 'node:events';
import type { StatusEvent, StatusTable } from '../status/status-table.js';
import type { RecipientUpdate, StoredMessage } from '../store/types.js';
import type { BreakerTransition } from './breaker.js';
import type { FlushProgress } from './types.js';

/** How a hand-off ended (also the reason its preprocess runs are removed with). */
export type HandOffReason = 'delivered' | 'failed' | 'deferred' | 'cancelled';

/** A hand-off began: the message was claimed for these recipients (indexes) of one logon. */
export interface HandOffStarted {
  readonly messageId: string;
  readonly logonId: string;
  readonly recipients: readonly number[];
}

/** A hand-off ended: its outcomes are committed. */
export interface HandOffSettled {
  readonly messageId: string;
  readonly logonId: string;
  readonly reason: HandOffReason;
}

/** What a hand-off recorded for one recipient: delivered, failed, retry (deferred), reroute or cancelled. */
export interface RecipientOutcomeEvent {
  readonly messageId: string;
  readonly logonId: string;
  readonly index: number;
  readonly outcome: RecipientUpdate['outcome'];
  /** The recorded reason (redacted), for a failure, a retry or a reroute that gave one. */
  readonly error?: string;
}

/** A logon handed the spooler a message and it was stored (a repeated idempotency key is not reported). */
export interface ReceivedEvent {
  readonly id: string;
  readonly logonId: string;
}

/** What `spooler.on()` reports, by event name. */
export interface SpoolerEventMap {
  /** Flush progress, per logon and direction. */
  progress: FlushProgress;
  /** A message was finished and filed (Sent, a hook's folder, kept or deleted). */
  finished: StoredMessage;
  'hand-off-started': HandOffStarted;
  'hand-off-settled': HandOffSettled;
  'recipient-outcome': RecipientOutcomeEvent;
  received: ReceivedEvent;
  /** A status-table row was added, changed or removed. */
  'status-row': StatusEvent;
  /** A route's breaker opened (no hand-offs until `until`), let a probe through, or closed. */
  breaker: BreakerTransition;
}

/** An event of {@link SpoolerEventMap}. */
export type SpoolerEventName = keyof SpoolerEventMap;

type Listener = (payload: unknown) => void;

/**
 * The pipeline's events: the typed map everyone outside listens to, plus the internal "something changed"
 * signal `watch()` waits on. Stages emit a payload only when someone listens (`wants`), so the hot path
 * builds no event objects for nobody.
 */
export class PipelineEvents {
  readonly #emitter = new EventEmitter();
  readonly #statusTable: StatusTable;

  constructor(statusTable: StatusTable) {
    this.#statusTable = statusTable;
  }

  /** Subscribes; returns the function that unsubscribes. `status-row` events come from the status table. */
  on<E extends SpoolerEventName>(event: E, listener: (payload: SpoolerEventMap[E]) => void): () => void {
    if (event === 'status-row')
      return this.#statusTable.subscribe(listener as (payload: StatusEvent) => void);
    this.#emitter.on(event, listener as Listener);
    return () => this.#emitter.off(event, listener as Listener);
  }

  /** True when `event` has a listener: build its payload only then. */
  wants(event: SpoolerEventName): boolean {
    return this.#emitter.listenerCount(event) > 0;
  }

  emit<E extends Exclude<SpoolerEventName, 'status-row'>>(event: E, payload: SpoolerEventMap[E]): void {
    this.#emitter.emit(event, payload);
  }

  /** The store or the pipeline changed something a folder reader may want to see. */
  changed(): void {
    this.#emitter.emit('change');
  }

  /** Resolves at the next `changed()`, or when `signal` aborts. */
  nextChange(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.#emitter.off('change', done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.#emitter.on('change', done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}
