import type { StatusTable } from '../status/status-table.js';
import type { RecipientUpdate } from '../store/types.js';

/** One direction of a status row. */
export type Direction = 'inbound' | 'outbound';

/** Sets a row's `active` bit of one direction (only when it changes: every update emits an event). */
export function setDirectionActive(
  table: StatusTable,
  id: string,
  direction: Direction,
  active: boolean,
): void {
  const row = table.get(id);
  if (row && row[direction].active !== active)
    table.update(id, { [direction]: { ...row[direction], active } });
}

/** Sets a row's `flushing` bit of one direction. */
export function setFlushing(table: StatusTable, id: string, direction: Direction, flushing: boolean): void {
  const row = table.get(id);
  if (row) table.update(id, { [direction]: { ...row[direction], flushing } });
}

/**
 * Shows where a logon stands after a call on it timed out (pipeline/logon-restarts.ts): `failed` (out of
 * service: not available, failure set), `probation` (logged on again, one hand-off confirms it: available,
 * failure still set) or `ready` again (available, failure cleared). Its `lastError` is left as it is.
 */
export function showLogon(
  table: StatusTable,
  id: string,
  state: 'failed' | 'probation' | 'ready',
  text: string,
): void {
  if (table.get(id)) table.update(id, { available: state !== 'failed', failure: state !== 'ready', text });
}

/** What the spooler counted since it started: the sums its passes report differences of. */
export interface Counts {
  readonly delivered: number;
  readonly failed: number;
  readonly deferred: number;
  readonly received: number;
}

/**
 * The spooler's lifetime totals, and the status-table counters that go with them (the logon's row and the
 * spooler's): every count is made here once.
 */
export class Totals {
  readonly #table: StatusTable;
  #delivered = 0;
  #failed = 0;
  #deferred = 0;
  #received = 0;

  constructor(table: StatusTable) {
    this.#table = table;
  }

  /** The totals now (a pass keeps this and reports the difference). */
  snapshot(): Counts {
    return {
      delivered: this.#delivered,
      failed: this.#failed,
      deferred: this.#deferred,
      received: this.#received,
    };
  }

  /** What one settled hand-off recorded on `logonId`. */
  settled(logonId: string, updates: readonly RecipientUpdate[]): void {
    let sent = 0;
    let failed = 0;
    let deferred = 0;
    for (const update of updates) {
      if (update.outcome === 'delivered') sent++;
      else if (update.outcome === 'failed') failed++;
      else if (update.outcome === 'retry' && update.countAttempt) deferred++;
    }
    this.#delivered += sent;
    this.#failed += failed;
    this.#deferred += deferred;
    const delta = { sent, failed, deferred };
    this.#table.count(logonId, delta);
    this.#table.count('spooler', delta);
  }

  /** Recipients routing failed (nobody claims their type, or every claimant declined). */
  unroutable(count: number): void {
    this.#failed += count;
    this.#table.count('spooler', { failed: count });
  }

  /** One message received from `logonId` and stored. */
  received(logonId: string): void {
    this.#received += 1;
    this.#table.count(logonId, { received: 1 });
    this.#table.count('spooler', { received: 1 });
  }

  /** Received since `start` (a flush's inbound progress). */
  receivedSince(start: Counts): number {
    return this.#received - start.received;
  }
}
