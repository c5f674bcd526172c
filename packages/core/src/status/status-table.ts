import { EventEmitter, on } from 'node:events';
import type { StatusRow, StatusRowPatch } from '@spool/spi';

/** A host-side change to a row: anything in the row except its id and kind. */
export type HostRowPatch = Partial<Omit<StatusRow, 'id' | 'kind' | 'lastError' | 'progress'>> & {
  readonly lastError?: StatusRow['lastError'] | null;
  readonly progress?: StatusRow['progress'] | null;
};

/** A status-table event: a row was added, changed, or removed. */
export type StatusEvent =
  | { readonly type: 'row'; readonly row: StatusRow }
  | { readonly type: 'removed'; readonly id: string };

const IDLE_DIRECTION = { enabled: false, active: false, flushing: false } as const;
const ZERO_COUNTERS = { sent: 0, failed: 0, deferred: 0, received: 0 } as const;

/** A new row with every bit off; the host fills in what it knows. */
export function blankRow(id: string, kind: StatusRow['kind'], displayName: string): StatusRow {
  return {
    id,
    kind,
    displayName,
    available: false,
    offline: false,
    failure: false,
    inbound: IDLE_DIRECTION,
    outbound: IDLE_DIRECTION,
    text: '',
    counters: ZERO_COUNTERS,
    updatedAt: new Date().toISOString(),
  };
}

/**
 * The status table (MAPI's): one row per logon plus the spooler's own. Rows are immutable snapshots; every
 * change replaces the row and emits an event, so observers never see a half-applied patch.
 */
export class StatusTable {
  readonly #rows = new Map<string, StatusRow>();
  readonly #events = new EventEmitter<{ event: [StatusEvent] }>();

  /** Adds a row, or replaces it if the id exists. */
  put(row: StatusRow): void {
    this.#rows.set(row.id, row);
    this.#events.emit('event', { type: 'row', row });
  }

  /** Applies a patch to a row (host fields or provider fields); a missing row is ignored. */
  update(id: string, patch: HostRowPatch | StatusRowPatch): StatusRow | undefined {
    const current = this.#rows.get(id);
    if (!current) return undefined;
    const next: Record<string, unknown> = { ...current, ...patch, updatedAt: isoNow() };
    for (const key of ['progress', 'lastError'] as const) if (next[key] === null) delete next[key];
    if (patch.lastError && !('at' in patch.lastError && patch.lastError.at)) {
      next.lastError = { ...patch.lastError, at: isoNow() };
    }
    const row = next as unknown as StatusRow;
    this.#rows.set(id, row);
    this.#events.emit('event', { type: 'row', row });
    return row;
  }

  /** Adds `delta` to a row's counters. */
  count(id: string, delta: Partial<StatusRow['counters']>): void {
    const current = this.#rows.get(id);
    if (!current) return;
    const counters = { ...current.counters };
    for (const [key, value] of Object.entries(delta) as [keyof typeof counters, number][])
      counters[key] += value;
    this.update(id, { counters });
  }

  /** Removes a row (its logon was logged off). */
  remove(id: string): void {
    if (this.#rows.delete(id)) this.#events.emit('event', { type: 'removed', id });
  }

  /** One row, or undefined. */
  get(id: string): StatusRow | undefined {
    return this.#rows.get(id);
  }

  /** Every row: the spooler's first, then logons in the order they were added. */
  rows(): StatusRow[] {
    return [...this.#rows.values()].sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'spooler' ? -1 : 1));
  }

  /** Subscribes to changes; returns the unsubscribe function. */
  subscribe(listener: (event: StatusEvent) => void): () => void {
    this.#events.on('event', listener);
    return () => this.#events.off('event', listener);
  }

  /** Changes as an async iterator; ends when `signal` aborts. */
  async *watch(signal?: AbortSignal): AsyncGenerator<StatusEvent> {
    try {
      for await (const [event] of on(this.#events, 'event', signal ? { signal } : {}))
        yield event as StatusEvent;
    } catch (error) {
      if (!signal?.aborted) throw error;
    }
  }
}

let isoMs = Number.NaN;
let isoText = '';
/**
 * The current time as an ISO string, formatted once per millisecond: a busy spooler updates counters several
 * times per message, and formatting a Date each time was a visible share of its work.
 */
function isoNow(): string {
  const now = Date.now();
  if (now !== isoMs) {
    isoMs = now;
    isoText = new Date(now).toISOString();
  }
  return isoText;
}
