import type { StatusRow } from '@spool/spi';
import { ErrorCode, spoolError } from '../errors.js';
import { startProviderPort } from '../host/in-process-port.js';
import type { ProviderPort } from '../host/provider-port.js';
import type { ProfileDiff } from '../profile/diff.js';
import type { Profile } from '../profile/profile.js';
import { blankRow } from '../status/status-table.js';
import { openStore } from '../store/open-store.js';
import type { MessageStore } from '../store/ports.js';
import type { Cursor, StoredMessage } from '../store/types.js';
import { Breakers } from './breaker.js';
import { cancelMessage } from './cancel.js';
import { beginTraffic, isStopping, type PipelineContext } from './context.js';
import { PipelineEvents, type SpoolerEventMap, type SpoolerEventName } from './events.js';
import { Finishing } from './finishing.js';
import { normalizeFolder } from './folders.js';
import { HandOffs } from './hand-off.js';
import { Housekeeping } from './housekeeping.js';
import { newMessageId } from './ids.js';
import { InFlightRegistry, UNSETTLED_PER_SLOT } from './in-flight.js';
import { type SubmitInput, toNewMessage } from './message-input.js';
import { Passes } from './passes.js';
import { Receiving } from './receiving.js';
import { recover } from './recovery.js';
import { checkReload, reload } from './reload.js';
import { Routing } from './routing.js';
import { Scheduler } from './scheduler.js';
import { Totals } from './status-rows.js';
import { Stopping } from './stopping.js';
import type { PassReport, ProviderInfo, SpoolerOptions, WatchItem } from './types.js';
import { Waiting } from './waiting.js';

/**
 * What `Spooler.create` may be given besides its options: the seams a test or another isolation mode plugs
 * into. Not part of the public API (`@spool/core/internal`).
 */
export interface SpoolerSeams {
  /** Starts the provider port (default: the in-process one, host/in-process-port.ts). */
  readonly startPort?: typeof startProviderPort;
}

/** How many messages `watch()` reads per batch. */
const WATCH_BATCH = 100;

/**
 * The spooler (MAPI's): owns the Outbox and the scheduling. It routes each recipient by address type to the
 * logons that claim it (profile order), leases hand-offs per route FIFO, runs the route's preprocessors,
 * hands messages to `submitMessage` within each logon's `maxInFlight`, records per-recipient outcomes,
 * retries with backoff, finishes messages (hooks, Sent or delete, one NDR/DR), and takes inbound messages
 * into the store. Nothing accepted by `submit()` is lost: every state change is a committed store write.
 *
 * This class is the facade: the stages live in `pipeline/` (scheduler, hand-off, outcomes, routing, finishing,
 * receiving, recovery, housekeeping, passes, reload, stopping) and meet providers only through the provider
 * port and the store only through its ports.
 */
export class Spooler implements AsyncDisposable {
  readonly #ctx: PipelineContext;
  readonly #finishing: Finishing;
  readonly #routing: Routing;
  readonly #waiting: Waiting;
  readonly #receiving: Receiving;
  readonly #housekeeping: Housekeeping;
  readonly #passes: Passes;
  readonly #stopping: Stopping;

  private constructor(options: SpoolerOptions, store: MessageStore, port: ProviderPort) {
    let scheduler: Scheduler | undefined;
    // Assigned right below: the breakers read the context they belong to.
    let breakers: Breakers;
    const ctx: PipelineContext = {
      store,
      port,
      clock: options.clock ?? { now: () => Date.now() },
      options,
      events: new PipelineEvents(port.statusTable),
      totals: new Totals(port.statusTable),
      inFlight: new InFlightRegistry(),
      get breakers() {
        return breakers;
      },
      state: {
        phase: 'running',
        passCutoff: undefined,
        manualPasses: 0,
        trafficStarted: false,
        retiring: new Set(),
      },
      profile: () => port.profile,
      wake: () => scheduler?.wake(),
    };
    breakers = new Breakers(ctx);
    const finishing = new Finishing(ctx);
    this.#ctx = ctx;
    this.#finishing = finishing;
    this.#waiting = new Waiting(ctx, finishing);
    this.#routing = new Routing(ctx, finishing, this.#waiting);
    this.#receiving = new Receiving(ctx, finishing);
    scheduler = new Scheduler(ctx, this.#routing, new HandOffs(ctx, finishing));
    this.#housekeeping = new Housekeeping(ctx, this.#receiving);
    this.#passes = new Passes(ctx, scheduler, this.#routing, this.#receiving);
    this.#stopping = new Stopping(ctx, scheduler, this.#housekeeping, this.#receiving);
    port.onNewMail((logonId) => {
      const logon = port.logon(logonId);
      if (logon) this.#receiving.start(logon);
    });
  }

  /** Opens the store, loads and logs on every provider, recovers what a crashed spooler left, and starts. */
  static async create(options: SpoolerOptions, seams: SpoolerSeams = {}): Promise<Spooler> {
    const store =
      options.store ??
      (await openStore(options.profile, {
        ...(options.clock ? { clock: options.clock } : {}),
        ...(options.changePollMs === undefined ? {} : { changePollMs: options.changePollMs }),
        ...(options.logSink ? { logSink: options.logSink } : {}),
      }));
    let spooler: Spooler | undefined;
    const startPort = seams.startPort ?? startProviderPort;
    const port = await startPort({
      profile: options.profile,
      ...(options.builtins ? { builtins: options.builtins } : {}),
      ...(options.logSink ? { logSink: options.logSink } : {}),
      ...(options.hostSpiVersions ? { hostSpiVersions: options.hostSpiVersions } : {}),
      save: (logonId, message) =>
        spooler ? spooler.#receiving.save(logonId, message) : Promise.reject(notStarted()),
    });
    spooler = new Spooler(options, store, port);
    const { statusTable } = port;
    statusTable.put({ ...blankRow('spooler', 'spooler', 'Spooler'), available: true, text: 'starting' });
    await recover(spooler.#ctx, spooler.#finishing);
    await spooler.#waiting.start();
    // Store-only spoolers (autoStart: false, e.g. `spool send`) enable traffic only when a pass runs, so they
    // never open a provider's listener next to a running daemon.
    if (options.autoStart !== false) await beginTraffic(spooler.#ctx);
    statusTable.update('spooler', {
      text: 'running',
      outbound: { enabled: true, active: false, flushing: false },
      inbound: { enabled: true, active: false, flushing: false },
    });
    if (options.autoStart !== false) spooler.#housekeeping.start();
    spooler.#ctx.wake();
    return spooler;
  }

  /** The profile in force (a reload replaces it). */
  get profile(): Profile {
    return this.#ctx.profile();
  }

  /** Stores a message in the Outbox durably (the returned promise resolves after the commit) and wakes the spooler. */
  async submit(input: SubmitInput): Promise<{ id: string; messageId: string; duplicate: boolean }> {
    this.#assertRunning();
    const now = this.#ctx.clock.now();
    const message = this.#routing.routeNew(
      toNewMessage(input, newMessageId(now), now, this.profile.defaultAddressType),
    );
    const { id, messageId, duplicate } = await this.#ctx.store.insert(message);
    this.#ctx.events.changed();
    this.#ctx.wake();
    return { id, messageId, duplicate };
  }

  /** Pending recipients in the store: all of them (`queued`) and those due now (`due`), leased or not. */
  async queueDepth(): Promise<{ queued: number; due: number }> {
    const { store } = this.#ctx;
    const [queued, due] = await Promise.all([
      store.countDue(null, { dueBy: Number.MAX_SAFE_INTEGER }),
      store.countDue(null),
    ]);
    return { queued, due };
  }

  /** The profile's provider entries, in profile order: what loaded, what failed and why, their logons. */
  providers(): ProviderInfo[] {
    const { breakers } = this.#ctx;
    return this.#ctx.port.providers().map((entry) => {
      const suspended = entry.logons.flatMap((logonId) => {
        const until = breakers.suspendedUntil(logonId);
        return until === undefined ? [] : [{ logonId, until }];
      });
      return suspended.length > 0 ? { ...entry, suspended } : entry;
    });
  }

  /** The status table: the spooler's row first, then one per logon. */
  status(): StatusRow[] {
    return this.#ctx.port.statusTable.rows();
  }

  /** Messages of a folder (case-insensitive name), oldest first, after a cursor. */
  list(folder: string, options: { limit?: number; after?: Cursor } = {}): Promise<StoredMessage[]> {
    return this.#ctx.store.list(normalizeFolder(folder), options);
  }

  /** One message, or a `SPOOL_E_MESSAGE_NOT_FOUND` error. */
  async get(id: string): Promise<StoredMessage> {
    const message = await this.#ctx.store.get(id);
    if (!message)
      throw spoolError(
        ErrorCode.MESSAGE_NOT_FOUND,
        `no message with id ${id}`,
        'List messages with `spool list <folder>` to find the id.',
        { id },
      );
    return message;
  }

  /** Moves a finished or received message to another folder. */
  async move(id: string, folder: string): Promise<void> {
    await this.#ctx.store.move(id, normalizeFolder(folder));
    this.#ctx.events.changed();
  }

  /** Deletes a finished or received message for good. */
  async delete(id: string): Promise<void> {
    await this.#ctx.store.delete(id);
    this.#ctx.events.changed();
  }

  /**
   * Cancels a queued or in-flight message: delivered recipients stay delivered, the rest become cancelled
   * (no NDR), the message goes to Deleted. In-flight hand-offs are aborted through their AbortSignal;
   * their preprocess info is removed. A finished message cannot be cancelled (`SPOOL_E_ALREADY_FINISHED`).
   */
  cancel(id: string): Promise<StoredMessage> {
    return cancelMessage(this.#ctx, id);
  }

  /**
   * Follows a folder as an async iterator, oldest first, resuming after `cursor` (pass the last item's
   * cursor to continue where a previous consumer stopped). Ends when `signal` aborts.
   */
  async *watch(
    folder: string,
    options: { cursor?: Cursor; signal?: AbortSignal } = {},
  ): AsyncGenerator<WatchItem> {
    const name = normalizeFolder(folder);
    let after = options.cursor;
    while (!options.signal?.aborted) {
      const changed = this.#ctx.events.nextChange(options.signal);
      const batch = await this.#ctx.store.list(name, {
        ...(after === undefined ? {} : { after }),
        limit: WATCH_BATCH,
      });
      for (const message of batch) {
        after = message.cursor;
        yield { message, cursor: message.cursor };
      }
      if (batch.length < WATCH_BATCH) await changed;
    }
  }

  /**
   * Subscribes to one of the spooler's events (see {@link SpoolerEventMap}): flush `progress`, `finished`
   * messages, `hand-off-started`/`-settled`, each `recipient-outcome`, `received` messages and `status-row`
   * changes. Returns the function that unsubscribes.
   */
  on<E extends SpoolerEventName>(event: E, listener: (payload: SpoolerEventMap[E]) => void): () => void {
    return this.#ctx.events.on(event, listener);
  }

  /**
   * Delivers now (MAPI flush): makes every deferred recipient due, then for each logon in profile order
   * drives outbound until its route is empty, then inbound until it has nothing more; reports progress.
   */
  async flush(options: { signal?: AbortSignal } = {}): Promise<PassReport> {
    this.#assertRunning();
    return this.#passes.flush(options.signal);
  }

  /**
   * One pass for `spool run --once`: every due message gets one hand-off, every logon that receives is polled
   * once, nothing waits for a future retry. Returns what happened and what stays deferred.
   */
  async runOnce(): Promise<PassReport> {
    this.#assertRunning();
    return this.#passes.runOnce();
  }

  /**
   * Applies a changed profile without a restart (SIGHUP in the daemon), all or nothing: first every new and
   * changed entry is checked as a start would load it, without a logon (resolve, manifest, SPI, import,
   * `xpProviderInit`, options); any error rejects with that entry's coded error and nothing changes. Then
   * entries removed or changed stop taking new work, their in-flight hand-offs and receive loops finish on
   * the old logons, then they log off in profile order; new and changed entries log on (and begin traffic
   * when this spooler runs traffic); unchanged entries keep their logons (one that had failed is started
   * again). Recipients routed to a logon that is gone are routed again. An entry that fails to log on after
   * the switch stays failed and the reload rejects with `SPOOL_E_RELOAD_LOGON_FAILED` naming it. Settings
   * outside the provider entries (store, retry, folders…) need a new spooler: `SPOOL_E_RELOAD_NEEDS_RESTART`.
   */
  async reload(profile: Profile): Promise<ProfileDiff> {
    this.#assertRunning();
    const stages = { passes: this.#passes, receiving: this.#receiving, housekeeping: this.#housekeeping };
    const unavailable = this.#ctx.port.unavailable();
    try {
      return await this.#waiting.holdRestarts(() => reload(this.#ctx, stages, profile));
    } finally {
      // Also after SPOOL_E_RELOAD_LOGON_FAILED: the switch happened. Entries that serve again get their
      // waiting mail at once.
      await this.#waiting.reloaded(unavailable);
      this.#ctx.breakers.retain(this.#ctx.port.logons().map((logon) => logon.id));
    }
  }

  /**
   * The check `reload(profile)` makes before it switches, alone: resolves to what would change, or rejects
   * with the error the reload would refuse with. Changes nothing. Settings changed outside the entries are
   * not refused here (the daemon runs this before it restarts a spooler on such a profile).
   */
  async checkReload(profile: Profile): Promise<ProfileDiff> {
    this.#assertRunning();
    return (await checkReload(this.#ctx, profile, { settings: 'allow' })).changes;
  }

  /**
   * Stops. `orderly`: start nothing new, let in-flight hand-offs finish for up to `stopTimeoutMs`, then hurry.
   * `hurry`: abort in-flight hand-offs now; their messages go back to the Outbox untouched (no attempt counted).
   * Then every logon is logged off and every provider shut down. Nothing accepted is lost either way.
   */
  stop(options: { mode?: 'orderly' | 'hurry'; timeoutMs?: number } = {}): Promise<void> {
    this.#waiting.stop();
    this.#ctx.breakers.stop();
    return this.#stopping.stop(
      options.mode ?? 'orderly',
      options.timeoutMs ?? this.#ctx.options.stopTimeoutMs ?? 30_000,
    );
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /**
   * The most hand-offs this spooler holds unsettled at once (claimed, outcome not yet committed): twice the
   * sum of the logons' maxInFlight. At most maxInFlight of them per logon are inside `submitMessage`; a slot
   * frees when `submitMessage` returns, while the outcome is still being recorded. A crash repeats at most
   * this many hand-offs.
   */
  get maxUnsettled(): number {
    return this.#ctx.port.logons().reduce((sum, logon) => sum + UNSETTLED_PER_SLOT * logon.maxInFlight, 0);
  }

  #assertRunning(): void {
    if (isStopping(this.#ctx))
      throw spoolError(
        ErrorCode.STOPPED,
        'the spooler is stopping or stopped',
        'Create a new spooler (or restart the daemon) to submit more.',
      );
  }
}

function notStarted() {
  return spoolError(
    ErrorCode.STOPPED,
    'the spooler is still starting; keep the message at its source',
    'It will be received once the spooler runs.',
  );
}
