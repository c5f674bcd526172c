/**
 * Hand-offs a logon may hold unsettled per maxInFlight slot: one inside `submitMessage`, one whose outcome is
 * being recorded (removal, the settle commit, endMessage) while the next one already runs.
 */
export const UNSETTLED_PER_SLOT = 2;

/** One hand-off from claim to settle. */
export interface Flight {
  readonly messageId: string;
  readonly logonId: string;
  /** Aborted by a cancel (reason {@link CANCEL_REASON}) or a hurried stop ({@link STOP_REASON}). */
  readonly controller: AbortController;
  /** Settles when the hand-off is over (its outcome committed, or its failure logged). */
  done: Promise<void>;
  /** True while it holds one of its logon's maxInFlight slots (it is inside preprocess or submitMessage). */
  submitting: boolean;
}

/** The abort reason of a cancelled message's hand-off. */
export const CANCEL_REASON = 'message cancelled';
/** The abort reason of a hand-off a stop hurried. */
export const STOP_REASON = 'spooler stopping';

/** A flight's `done` until its hand-off is started (shared, so registering allocates no promise). */
const NOT_STARTED: Promise<void> = Promise.resolve();

interface LogonLoad {
  /** Hand-offs holding a slot: at most the logon's maxInFlight. */
  submitting: number;
  /** Hand-offs claimed and not settled: at most UNSETTLED_PER_SLOT × maxInFlight. */
  unsettled: number;
}

/**
 * The hand-offs in flight, and per logon how many hold a slot and how many are unsettled: one registry, so
 * the two bounds and the set of flights cannot drift apart.
 */
export class InFlightRegistry {
  readonly #flights = new Set<Flight>();
  readonly #load = new Map<string, LogonLoad>();

  /** Registers a claimed hand-off; it holds a slot until {@link endSubmit} or {@link settle}. */
  add(messageId: string, logonId: string, controller: AbortController): Flight {
    const flight: Flight = { messageId, logonId, controller, done: NOT_STARTED, submitting: true };
    this.#flights.add(flight);
    const load = this.#loadOf(logonId);
    load.submitting++;
    load.unsettled++;
    return flight;
  }

  /** The hand-off left submitMessage: its slot frees. Returns false when it had freed it already. */
  endSubmit(flight: Flight): boolean {
    if (!flight.submitting) return false;
    flight.submitting = false;
    this.#loadOf(flight.logonId).submitting--;
    return true;
  }

  /** The hand-off is over. Returns true when this also freed its slot (it ended before submitMessage did). */
  settle(flight: Flight): boolean {
    this.#flights.delete(flight);
    this.#loadOf(flight.logonId).unsettled--;
    return this.endSubmit(flight);
  }

  /** How many more hand-offs a logon may start now: free slots, within the unsettled bound. */
  free(logonId: string, maxInFlight: number): number {
    const load = this.#load.get(logonId);
    if (!load) return maxInFlight;
    return Math.min(maxInFlight - load.submitting, UNSETTLED_PER_SLOT * maxInFlight - load.unsettled);
  }

  /** Hand-offs of a logon holding a slot (its outbound direction is active while this is above 0). */
  submitting(logonId: string): number {
    return this.#load.get(logonId)?.submitting ?? 0;
  }

  /** Every hand-off in flight, or those of one logon or one message. */
  list(filter: { readonly logonId?: string; readonly messageId?: string } = {}): Flight[] {
    const found: Flight[] = [];
    for (const flight of this.#flights)
      if (
        (filter.logonId === undefined || flight.logonId === filter.logonId) &&
        (filter.messageId === undefined || flight.messageId === filter.messageId)
      )
        found.push(flight);
    return found;
  }

  /** How many hand-offs are in flight. */
  get size(): number {
    return this.#flights.size;
  }

  #loadOf(logonId: string): LogonLoad {
    let load = this.#load.get(logonId);
    if (!load) {
      load = { submitting: 0, unsettled: 0 };
      this.#load.set(logonId, load);
    }
    return load;
  }
}
