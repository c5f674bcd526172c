import { EventEmitter } from 'node:events';
import { resolve } from 'node:path';
import type {
  InboundMessage,
  OutboundMessage,
  OutboundRecipient,
  RecipientOutcome,
  RemovePreprocessReason,
  StatusRow,
  SubmitMessageResult,
} from '@spool/spi';
import { ErrorCode, isSpoolError, messageOf, type SpoolError, spoolError } from '../errors.js';
import { type LogonHandle, ProviderHost } from '../host/provider-host.js';
import { diffProfiles, type ProfileDiff } from '../profile/diff.js';
import { loadProfile } from '../profile/load-profile.js';
import { normalizeProfile, type Profile, type ProfileInput } from '../profile/profile.js';
import { blankRow } from '../status/status-table.js';
import { openStore } from '../store/open-store.js';
import type { MessageStore } from '../store/ports.js';
import {
  type Cursor,
  type Disposition,
  type FinishIfDone,
  FOLDERS,
  type NewMessage,
  type PendingRecipient,
  type RecipientUpdate,
  type RouteDecision,
  type StoredMessage,
} from '../store/types.js';
import type { LogSink } from '../util/logger.js';
import { Redactor } from '../util/redact.js';
import { parseAddress } from './address.js';
import { newMessageId, rfcMessageId } from './ids.js';
import { type SubmitInput, toNewMessage } from './message-input.js';
import { buildReports } from './reports.js';
import { isExpired, nextAttemptAt } from './retry.js';

/** The spooler's sense of time; tests inject a fake one. */
export interface Clock {
  now(): number;
}

/** What a sent-mail hook may decide for a finished message (MAPI spooler hooks). `default`/undefined: next hook. */
export type SentMailDecision = 'default' | 'keep' | 'delete' | { readonly folder: string };

/** A sent-mail hook: runs after a message is finished and unlocked; the first non-default decision wins. */
export type SentMailHook = (
  message: StoredMessage,
) => SentMailDecision | undefined | Promise<SentMailDecision | undefined>;

/** Everything `createSpooler` takes besides the profile. */
export interface SpoolerOptions {
  readonly profile: Profile;
  /** Providers that ship with the CLI: package name → directory. */
  readonly builtins?: Readonly<Record<string, string>>;
  readonly logSink?: LogSink;
  /** Time source (default: the wall clock). */
  readonly clock?: Clock;
  /** Random source for retry jitter (default Math.random). */
  readonly random?: () => number;
  /** A store to use instead of the one the profile names (`store:`). */
  readonly store?: MessageStore;
  /** Start scheduling at once (default true). `run --once` passes false and calls `runOnce()`. */
  readonly autoStart?: boolean;
  /** How long an orderly stop waits for in-flight hand-offs before it hurries (default 30 s). */
  readonly stopTimeoutMs?: number;
  /** Lease length; leases are renewed while a hand-off runs (default 5 min). */
  readonly leaseMs?: number;
  /** Sent-mail hooks, in order. */
  readonly sentMailHooks?: readonly SentMailHook[];
  /** Override the implemented SPI versions (tests only). */
  readonly hostSpiVersions?: readonly string[];
  /** How often another process's writes are looked for (default 50 ms, so they are seen within 100 ms). */
  readonly changePollMs?: number;
  /** How often idle() is offered to logons when the queue is quiet (default 30 s). */
  readonly idleIntervalMs?: number;
}

/** Progress of a flush, per logon and direction. */
export interface FlushProgress {
  readonly logonId: string;
  readonly direction: 'outbound' | 'inbound';
  readonly done: number;
  readonly total: number;
}

/** What a pass (`runOnce`) or a flush did. */
export interface PassReport {
  readonly delivered: number;
  readonly failed: number;
  readonly deferred: number;
  readonly received: number;
  /** Recipients still pending afterwards, with their next attempt. */
  readonly pending: readonly PendingRecipient[];
}

/** One provider entry of the profile, as `spooler.providers()` reports it (plain data). */
export interface ProviderInfo {
  /** The entry id (`providers[].id`). */
  readonly id: string;
  /** The provider spec the profile names (`loopback`, `@acme/spool-provider-x@^2`, `./local`). */
  readonly spec: string;
  /** The package it loaded, when it got that far. */
  readonly package?: { readonly name: string; readonly version: string };
  /** `active`: initialised and logged on; `failed`: could not load or log on (see `error`); `stopped`: shut down. */
  readonly status: 'active' | 'failed' | 'stopped';
  /** Why the entry failed, with its stable code. */
  readonly error?: SpoolError;
  /** Its logons (`entry/account`), in profile order, that are not logged off. */
  readonly logons: readonly string[];
}

/** One message seen by `watch()`, with the cursor to resume after it. */
export interface WatchItem {
  readonly message: StoredMessage;
  readonly cursor: Cursor;
}

interface InFlight {
  readonly messageId: string;
  readonly handle: LogonHandle;
  readonly controller: AbortController;
  readonly done: Promise<void>;
}

type Counts = { delivered: number; failed: number; deferred: number; received: number };

const STOP_REASON = 'spooler stopping';
/** Hand-offs a logon may hold unsettled per maxInFlight slot: one in submitMessage, one being recorded. */
const UNSETTLED_PER_SLOT = 2;
const CANCEL_REASON = 'message cancelled';

/** Normalises a folder name typed by a person (`inbox` → `Inbox`); custom folders keep their spelling. */
export function normalizeFolder(name: string): string {
  return FOLDERS.find((folder) => folder.toLowerCase() === name.toLowerCase()) ?? name;
}

/**
 * The spooler (MAPI's): owns the Outbox and the scheduling. It routes each recipient by address type to the
 * logons that claim it (profile order), leases hand-offs per route FIFO, runs the route's preprocessors,
 * hands messages to `submitMessage` within each logon's `maxInFlight`, records per-recipient outcomes,
 * retries with backoff, finishes messages (hooks, Sent or delete, one NDR/DR), and takes inbound messages
 * into the store. Nothing accepted by `submit()` is lost: every state change is a committed store write.
 */
export class Spooler implements AsyncDisposable {
  readonly host: ProviderHost;
  readonly store: MessageStore;
  readonly #options: SpoolerOptions;
  readonly #clock: Clock;
  readonly #events = new EventEmitter<{ change: []; finished: [StoredMessage]; progress: [FlushProgress] }>();
  readonly #inFlight = new Map<string, InFlight>(); // key: messageId + route
  readonly #inFlightCount = new Map<string, number>(); // route → hand-offs inside submitMessage (slots)
  readonly #unsettledCount = new Map<string, number>(); // route → hand-offs in #inFlight (outcome not committed)
  readonly #inbound = new Map<string, Promise<void>>(); // logonId → running receive loop
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #pass: Counts = { delivered: 0, failed: 0, deferred: 0, received: 0 };
  #pumping: Promise<void> | undefined;
  #pumpAgain = false;
  #dueTimer: NodeJS.Timeout | undefined;
  #stopping = false;
  #stopped: Promise<void> | undefined;
  #unsubscribe: (() => void) | undefined;
  #fixedNow: number | undefined;
  #stoppedHard = false;
  #manualPasses = 0;
  #hurry: (() => void) | undefined;
  #trafficStarted = false;
  /** Logons a reload is taking down: they get no new hand-offs while their in-flight work ends. */
  readonly #retiring = new Set<string>();
  /** Poll timers by logon, so a reload can stop a retired logon's and start a new one's. */
  readonly #pollTimers = new Map<string, NodeJS.Timeout>();

  private constructor(options: SpoolerOptions, host: ProviderHost, store: MessageStore) {
    this.#options = options;
    this.host = host;
    this.store = store;
    this.#clock = options.clock ?? { now: () => Date.now() };
  }

  /** Opens the store, loads and logs on every provider, recovers what a crashed spooler left, and starts. */
  static async create(options: SpoolerOptions): Promise<Spooler> {
    const store =
      options.store ??
      (await openStore(options.profile, {
        ...(options.clock ? { clock: options.clock } : {}),
        ...(options.changePollMs === undefined ? {} : { changePollMs: options.changePollMs }),
        ...(options.logSink ? { logSink: options.logSink } : {}),
      }));
    let spooler: Spooler | undefined;
    const host = await ProviderHost.start({
      profile: options.profile,
      ...(options.builtins ? { builtins: options.builtins } : {}),
      ...(options.logSink ? { logSink: options.logSink } : {}),
      ...(options.hostSpiVersions ? { hostSpiVersions: options.hostSpiVersions } : {}),
      onNewMail: (handle) => {
        if (spooler) spooler.#startReceiving(handle);
      },
    });
    spooler = new Spooler(options, host, store);
    host.statusTable.put({ ...blankRow('spooler', 'spooler', 'Spooler'), available: true, text: 'starting' });
    await spooler.#recover();
    // Store-only spoolers (autoStart: false, e.g. `spool send`) enable traffic only when a pass runs, so they
    // never open a provider's listener next to a running daemon.
    if (options.autoStart !== false) await spooler.#beginTraffic();
    host.statusTable.update('spooler', {
      text: 'running',
      outbound: { enabled: true, active: false, flushing: false },
      inbound: { enabled: true, active: false, flushing: false },
    });
    if (options.autoStart !== false) spooler.#startTimers();
    spooler.#wake();
    return spooler;
  }

  async #beginTraffic(): Promise<void> {
    if (this.#trafficStarted) return;
    this.#trafficStarted = true;
    await this.host.beginTraffic();
  }

  /** The profile in force (a reload replaces it). */
  get profile(): Profile {
    return this.host.profile;
  }

  #now(): number {
    return this.#fixedNow ?? this.#clock.now();
  }

  // ---------------------------------------------------------------- the application's API

  /** Stores a message in the Outbox durably (the returned promise resolves after the commit) and wakes the spooler. */
  async submit(input: SubmitInput): Promise<{ id: string; messageId: string; duplicate: boolean }> {
    this.#assertRunning();
    const now = this.#clock.now();
    const message = this.#routed(
      toNewMessage(input, newMessageId(now), now, this.profile.defaultAddressType),
    );
    const { id, messageId, duplicate } = await this.store.insert(message);
    this.#changed();
    this.#wake();
    return { id, messageId, duplicate };
  }

  /** Pending recipients in the store: all of them (`queued`) and those due now (`due`), leased or not. */
  async queueDepth(): Promise<{ queued: number; due: number }> {
    const [queued, due] = await Promise.all([
      this.store.countDue(null, { dueBy: Number.MAX_SAFE_INTEGER }),
      this.store.countDue(null),
    ]);
    return { queued, due };
  }

  /** The profile's provider entries, in profile order: what loaded, what failed and why, their logons. */
  providers(): ProviderInfo[] {
    return this.host.entries.map((entry) => ({
      id: entry.config.id,
      spec: entry.config.provider,
      ...(entry.imported
        ? { package: { name: entry.imported.package.name, version: entry.imported.version } }
        : {}),
      status: entry.status,
      ...(entry.error ? { error: entry.error } : {}),
      logons: entry.logons.filter((logon) => logon.state !== 'closed').map((logon) => logon.id),
    }));
  }

  /** The status table: the spooler's row first, then one per logon. */
  status(): StatusRow[] {
    return this.host.statusTable.rows();
  }

  /** Messages of a folder (case-insensitive name), oldest first, after a cursor. */
  list(folder: string, options: { limit?: number; after?: Cursor } = {}): Promise<StoredMessage[]> {
    return this.store.list(normalizeFolder(folder), options);
  }

  /** One message, or a `SPOOL_E_MESSAGE_NOT_FOUND` error. */
  async get(id: string): Promise<StoredMessage> {
    const message = await this.store.get(id);
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
    await this.store.move(id, normalizeFolder(folder));
    this.#changed();
  }

  /** Deletes a finished or received message for good. */
  async delete(id: string): Promise<void> {
    await this.store.delete(id);
    this.#changed();
  }

  /**
   * Cancels a queued or in-flight message: delivered recipients stay delivered, the rest become cancelled
   * (no NDR), the message goes to Deleted. In-flight hand-offs are aborted through their AbortSignal;
   * their preprocess info is removed. A finished message cannot be cancelled (`SPOOL_E_ALREADY_FINISHED`).
   */
  async cancel(id: string): Promise<StoredMessage> {
    const before = await this.store.get(id);
    const message = await this.store.cancel(id, { folder: 'Deleted' });
    const waits: Promise<void>[] = [];
    for (const flight of this.#inFlight.values()) {
      if (flight.messageId !== id) continue;
      flight.controller.abort(CANCEL_REASON);
      waits.push(flight.done);
    }
    // Routes that deferred this message hold it for a retry: tell them it is gone (MAPI NOTIFY_ABORT_DEFERRED).
    const deferredOn = new Set(
      before?.recipients
        .filter((r) => r.outcome === 'pending' && r.attempts > 0 && r.route)
        .map((r) => r.route!),
    );
    for (const handle of this.host.logons()) {
      if (!deferredOn.has(handle.id) || handle.state !== 'active') continue;
      await handle
        .call('transportNotify', () =>
          handle.logon.transportNotify({ type: 'abort-deferred', messageId: id, reason: 'user' }),
        )
        .catch(() => undefined);
    }
    await Promise.all(waits);
    this.#changed();
    return (await this.store.get(id)) ?? message;
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
      const changed = this.#nextChange(options.signal);
      const batch = await this.store.list(name, { ...(after === undefined ? {} : { after }), limit: 100 });
      for (const message of batch) {
        after = message.cursor;
        yield { message, cursor: message.cursor };
      }
      if (batch.length < 100) await changed;
    }
  }

  /** Subscribes to flush progress and finished messages. */
  on(event: 'progress', listener: (progress: FlushProgress) => void): () => void;
  on(event: 'finished', listener: (message: StoredMessage) => void): () => void;
  on(event: 'progress' | 'finished', listener: (value: never) => void): () => void {
    this.#events.on(event, listener as () => void);
    return () => this.#events.off(event, listener as () => void);
  }

  /**
   * Delivers now (MAPI flush): makes every deferred recipient due, then for each logon in profile order
   * drives outbound until its route is empty, then inbound until it has nothing more; reports progress.
   */
  async flush(options: { signal?: AbortSignal } = {}): Promise<PassReport> {
    this.#assertRunning();
    this.#manualPasses++;
    try {
      await this.#beginTraffic();
      return await this.#flush(options);
    } finally {
      this.#manualPasses--;
    }
  }

  async #flush(options: { signal?: AbortSignal }): Promise<PassReport> {
    const start = { ...this.#pass };
    await this.store.makeDue();
    await this.#routeAll();
    for (const handle of this.host.logons().filter((h) => h.state === 'active')) {
      if (options.signal?.aborted) break;
      await this.#flushDirection(handle, 'outbound', async () => {
        const total = await this.store.countDue(handle.id);
        let done = 0;
        this.#progress(handle.id, 'outbound', done, total);
        for (let round = 0; round < 1_000_000 && !options.signal?.aborted; round++) {
          this.#wake();
          await this.#quiet(handle.id);
          const left = await this.store.countDue(handle.id);
          done = Math.max(done, total - left);
          this.#progress(handle.id, 'outbound', done, Math.max(total, done));
          if (left === 0 || this.#stopping) break;
        }
      });
    }
    for (const handle of this.host.logons().filter((h) => h.state === 'active')) {
      if (options.signal?.aborted) break;
      await this.#flushDirection(handle, 'inbound', async () => {
        const before = this.#pass.received;
        await this.#pollOnce(handle);
        await this.#inbound.get(handle.id);
        const received = this.#pass.received - before;
        this.#progress(handle.id, 'inbound', received, received);
      });
    }
    return this.#report(start);
  }

  /**
   * One pass for `spool run --once`: every due message gets one hand-off, every logon that receives is polled
   * once, nothing waits for a future retry. Returns what happened and what stays deferred.
   */
  async runOnce(): Promise<PassReport> {
    this.#assertRunning();
    this.#manualPasses++;
    const start = { ...this.#pass };
    // A fixed "now" for the pass, read off the store's clock: a recipient deferred during the pass is due
    // later, so it is not retried now.
    this.#fixedNow = await this.store.now();
    try {
      await this.#beginTraffic();
      await this.#routeAll();
      for (let round = 0; round < 10_000; round++) {
        this.#wake();
        await this.#quiet();
        if ((await this.store.countDue(null, { dueBy: this.#now() })) === 0) break;
      }
      for (const handle of this.host.logons()) await this.#pollOnce(handle);
      await this.#quiet();
    } finally {
      this.#fixedNow = undefined;
      this.#manualPasses--;
    }
    return this.#report(start);
  }

  /**
   * Applies a changed profile without a restart (SIGHUP in the daemon): entries removed or changed stop taking
   * new work, their in-flight hand-offs and receive loops finish on the old logons, then they log off in
   * profile order; new and changed entries log on (and begin traffic when this spooler runs traffic);
   * unchanged entries keep their logons. Recipients routed to a logon that is gone are routed again.
   * Settings outside the provider entries (store, retry, folders…) need a new spooler:
   * `SPOOL_E_RELOAD_NEEDS_RESTART`.
   */
  async reload(profile: Profile): Promise<ProfileDiff> {
    this.#assertRunning();
    const changes = diffProfiles(this.profile, profile);
    if (changes.settingsChanged)
      throw spoolError(
        ErrorCode.RELOAD_NEEDS_RESTART,
        'the new profile changes settings outside the provider entries (store, retry, retention, folders or polling)',
        'Restart the spooler (the daemon does this by itself) to apply them.',
        {},
      );
    const retire = [...changes.removed, ...changes.changed];
    const retiring = this.host.logons().filter((handle) => retire.includes(handle.entry.config.id));
    for (const handle of retiring) this.#retiring.add(handle.id);
    try {
      for (const handle of retiring) {
        await this.#quiet(handle.id);
        await this.#inbound.get(handle.id);
      }
      for (const id of retire) await this.host.retire(id);
    } finally {
      for (const handle of retiring) {
        this.#retiring.delete(handle.id);
        const timer = this.#pollTimers.get(handle.id);
        if (timer) clearInterval(timer);
        this.#pollTimers.delete(handle.id);
      }
    }
    await this.host.adopt(profile, [...changes.added, ...changes.changed]);
    const live = new Set(this.host.logons().map((handle) => handle.id));
    for (const handle of retiring) if (!live.has(handle.id)) await this.store.unroute(handle.id);
    if (this.#trafficStarted) await this.host.beginTraffic();
    if (this.#timers.size > 0) for (const handle of this.host.logons()) this.#startPolling(handle);
    this.#changed();
    this.#wake();
    return changes;
  }

  /**
   * Stops. `orderly`: start nothing new, let in-flight hand-offs finish for up to `stopTimeoutMs`, then hurry.
   * `hurry`: abort in-flight hand-offs now; their messages go back to the Outbox untouched (no attempt counted).
   * Then every logon is logged off and every provider shut down. Nothing accepted is lost either way.
   */
  stop(options: { mode?: 'orderly' | 'hurry'; timeoutMs?: number } = {}): Promise<void> {
    // A hurry while an orderly stop waits (a second SIGTERM) cuts the wait short.
    if (options.mode === 'hurry') this.#hurry?.();
    this.#stopped ??= this.#stop(
      options.mode ?? 'orderly',
      options.timeoutMs ?? this.#options.stopTimeoutMs ?? 30_000,
    );
    return this.#stopped;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /**
   * The most hand-offs this spooler holds unsettled at once (claimed, outcome not yet committed): twice the
   * sum of the logons' maxInFlight. At most maxInFlight of them are in `submitMessage`; a slot frees when
   * `submitMessage` returns, while the outcome is still being recorded. A crash repeats at most this many.
   */
  get maxInFlight(): number {
    return this.host.logons().reduce((sum, handle) => sum + UNSETTLED_PER_SLOT * handle.maxInFlight, 0);
  }

  // ---------------------------------------------------------------- scheduling

  #assertRunning(): void {
    if (this.#stopping)
      throw spoolError(
        ErrorCode.STOPPED,
        'the spooler is stopping or stopped',
        'Create a new spooler (or restart the daemon) to submit more.',
      );
  }

  #wake(): void {
    // Without autoStart the spooler only accepts and stores; it hands off during runOnce() and flush() alone.
    if (this.#stopping || (this.#options.autoStart === false && this.#manualPasses === 0)) return;
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = this.#pump().finally(() => {
      this.#pumping = undefined;
      // A wake that arrived after the pump's last check (while it armed the due timer) must not be lost.
      if (this.#pumpAgain) this.#wake();
    });
  }

  async #pump(): Promise<void> {
    try {
      do {
        this.#pumpAgain = false;
        await this.#routeAll();
        for (const handle of this.host.logons()) {
          if (this.#stopping) return;
          if (handle.state !== 'active' || !handle.outboundEnabled || this.#retiring.has(handle.id)) continue;
          const free = Math.min(
            handle.maxInFlight - this.#inFlightOn(handle.id),
            UNSETTLED_PER_SLOT * handle.maxInFlight - (this.#unsettledCount.get(handle.id) ?? 0),
          );
          if (free <= 0) continue;
          const claims = await this.store.claim(handle.id, {
            limit: free,
            leaseMs: this.#leaseMs(),
            preprocessors: handle.support.preprocessors.length,
            ...(this.#fixedNow === undefined ? {} : { dueBy: this.#fixedNow }),
          });
          for (const claim of claims)
            this.#startHandOff(
              handle,
              claim.message,
              claim.recipients.map((r) => r.index),
              claim.runIds,
            );
        }
      } while (this.#pumpAgain && !this.#stopping);
      await this.#armDueTimer();
    } catch (error) {
      this.host.logger.error(
        { code: (error as SpoolError).code },
        `spooler pass failed: ${messageOf(error)}`,
      );
      this.host.statusTable.update('spooler', {
        lastError: { code: (error as SpoolError).code ?? ErrorCode.STORE_FAILED, message: messageOf(error) },
      });
    }
  }

  async #armDueTimer(): Promise<void> {
    if (this.#options.autoStart === false || this.#stopping) return;
    const due = await this.store.nextDueInMs();
    if (this.#dueTimer) clearTimeout(this.#dueTimer);
    this.#dueTimer = undefined;
    if (due === null) return;
    const delay = Math.min(Math.max(due, 0), 2 ** 31 - 1);
    this.#dueTimer = setTimeout(() => this.#wake(), delay);
    this.#dueTimer.unref();
  }

  #inFlightOn(route: string): number {
    return this.#inFlightCount.get(route) ?? 0;
  }

  #leaseMs(): number {
    return this.#options.leaseMs ?? 5 * 60_000;
  }

  /**
   * Routes a new message's recipients to their first claimant as it is stored, so the common case costs no
   * separate routing write. Recipients nobody claims stay unrouted: #routeAll reports them undeliverable.
   */
  #routed(message: NewMessage): NewMessage {
    // A store-only spooler (`spool send`) leaves routing to the spooler that will hand the message off: its
    // logons may differ (a daemon reloaded with another profile).
    if (this.#options.autoStart === false) return message;
    return {
      ...message,
      recipients: message.recipients.map((r) => ({
        ...r,
        route: this.host.claimants(r.addressType)[0]?.id ?? null,
      })),
    };
  }

  /**
   * Routes unrouted recipients to the first claimant (profile order) that has not declined them; a recipient
   * nobody claims (or every claimant declined) fails, with the reason.
   */
  async #routeAll(): Promise<void> {
    const unrouted = await this.store.unrouted(2000);
    if (unrouted.length === 0) return;
    let failed = 0;
    const decisions = unrouted.map(({ messageId, index, addressType, tried }): RouteDecision => {
      const claimant = this.host.claimants(addressType).find((handle) => !tried.includes(handle.id));
      if (claimant) return { messageId, index, route: claimant.id };
      failed++;
      return {
        messageId,
        index,
        fail:
          tried.length === 0
            ? `no transport provider claims address type ${addressType}`
            : `no transport provider accepted it (declined by ${tried.join(', ')})`,
      };
    });
    const { finished } = await this.store.route(decisions);
    if (failed > 0) {
      this.#pass.failed += failed;
      this.host.statusTable.count('spooler', { failed });
    }
    for (const message of finished) await this.#finish(message);
  }

  /** Resolves when nothing is in flight (on `route`, or anywhere) and no receive loop runs. */
  async #quiet(route?: string): Promise<void> {
    for (let i = 0; i < 100_000; i++) {
      if (this.#pumping) await this.#pumping;
      const flights = [...this.#inFlight.values()].filter(
        (f) => route === undefined || f.handle.id === route,
      );
      const receiving = route === undefined ? [...this.#inbound.values()] : [];
      if (flights.length === 0 && receiving.length === 0 && !this.#pumping) return;
      await Promise.all([...flights.map((f) => f.done), ...receiving]);
    }
  }

  // ---------------------------------------------------------------- outbound hand-off

  #startHandOff(
    handle: LogonHandle,
    message: StoredMessage,
    indexes: readonly number[],
    runIds: readonly string[],
  ): void {
    const key = `${message.id}|${handle.id}`;
    const controller = new AbortController();
    // maxInFlight bounds submitMessage calls: the slot frees as soon as submitMessage settled, so the next
    // hand-off starts while this one's bookkeeping (removal, the outcome commit, endMessage) completes.
    let slotHeld = true;
    const releaseSlot = () => {
      if (!slotHeld) return;
      slotHeld = false;
      this.#inFlightCount.set(handle.id, this.#inFlightOn(handle.id) - 1);
      this.#setActive(handle.id, 'outbound');
      this.#wake();
    };
    const done = this.#handOff(handle, message, indexes, runIds, controller, releaseSlot)
      .catch((error: unknown) =>
        this.host.logger.error(
          { messageId: message.id, logon: handle.id },
          `hand-off bookkeeping failed: ${messageOf(error)}`,
        ),
      )
      .finally(() => {
        this.#inFlight.delete(key);
        this.#unsettledCount.set(handle.id, (this.#unsettledCount.get(handle.id) ?? 1) - 1);
        releaseSlot();
        this.#wake();
      });
    this.#inFlight.set(key, { messageId: message.id, handle, controller, done });
    this.#inFlightCount.set(handle.id, this.#inFlightOn(handle.id) + 1);
    this.#unsettledCount.set(handle.id, (this.#unsettledCount.get(handle.id) ?? 0) + 1);
    this.#setActive(handle.id, 'outbound');
  }

  async #handOff(
    handle: LogonHandle,
    stored: StoredMessage,
    indexes: readonly number[],
    runIds: readonly string[],
    controller: AbortController,
    releaseSlot: () => void,
  ): Promise<void> {
    const mine = new Set(indexes);
    const all = stored.recipients.map(
      (r): OutboundRecipient => ({
        id: String(r.index),
        address: r.address,
        addressType: r.addressType,
        value: r.value,
        type: r.type,
        attempts: r.attempts,
      }),
    );
    const recipients = all.filter((r) => mine.has(Number(r.id)));
    let message: OutboundMessage = {
      id: stored.id,
      messageId: stored.messageId,
      ...(stored.from === null ? {} : { from: stored.from }),
      recipients: all,
      subject: stored.subject,
      ...(stored.text === null ? {} : { text: stored.text }),
      ...(stored.html === null ? {} : { html: stored.html }),
      attachments: stored.attachments,
      messageClass: stored.messageClass,
      properties: stored.properties,
      submittedAt: new Date(stored.submittedAt),
    };
    const preprocessors = handle.support.preprocessors;
    const infos: unknown[] = [];
    const workDir = handle.support.dataDir;
    let updates: RecipientUpdate[];
    let outcomes: Record<string, RecipientOutcome> = {};
    let reason: RemovePreprocessReason;
    const extra = { messageId: stored.id, signal: controller.signal };
    try {
      for (let k = 0; k < preprocessors.length && k < runIds.length; k++) {
        const preprocessor = preprocessors[k]!;
        const runId = runIds[k]!;
        const result = await handle.call(
          `preprocess(${preprocessor.name})`,
          (signal) => preprocessor.preprocess(message, recipients, { runId, workDir, signal }),
          extra,
        );
        infos[k] = result?.info;
        if (result?.properties)
          message = { ...message, properties: { ...message.properties, ...result.properties } };
      }
      const result = await handle.call(
        'submitMessage',
        (signal) => handle.logon.submitMessage(message, recipients, { signal, preprocessInfo: infos[0] }),
        extra,
      );
      ({ updates, outcomes } = this.#outcomesToUpdates(handle, stored, recipients, result));
      reason = updates.some((u) => u.outcome === 'retry')
        ? 'deferred'
        : updates.every((u) => u.outcome === 'delivered')
          ? 'delivered'
          : 'failed';
    } catch (error) {
      const cause = controller.signal.reason;
      if (controller.signal.aborted && cause === CANCEL_REASON) {
        updates = recipients.map((r) => ({ index: Number(r.id), outcome: 'cancelled' }));
        reason = 'cancelled';
      } else if (controller.signal.aborted && cause === STOP_REASON) {
        // Hurried stop: back to the Outbox as if never tried.
        updates = recipients.map((r) => ({
          index: Number(r.id),
          outcome: 'retry',
          delayMs: 0,
          countAttempt: false,
          error: 'interrupted by a spooler stop',
        }));
        reason = 'cancelled';
      } else {
        const delayMs =
          isSpoolError(error) && typeof error.details.delayMs === 'number'
            ? error.details.delayMs
            : undefined;
        updates = this.#deferAll(stored, recipients, messageOf(error), delayMs);
        reason = 'deferred';
      }
    }
    releaseSlot();
    await this.#removePreprocessInfo(handle, stored.id, runIds, infos, reason);
    // One commit records the outcomes, the removed runs and, when nothing else is needed, the finish.
    // A crash before it leaves the runs open (recovery removes them again: removal is idempotent) and the
    // recipients pending (handed off again): at least once, never lost.
    const ifFinished = this.#finishInSettle(stored);
    const settled = await this.store.settle({
      messageId: stored.id,
      route: handle.id,
      updates,
      removedRuns: runIds,
      ...(ifFinished ? { ifFinished } : {}),
    });
    // EndMessage comes after that commit, as the SPI promises: the outcomes it reports are durable.
    if (handle.logon.endMessage && Object.keys(outcomes).length > 0) {
      const endMessage = handle.logon.endMessage.bind(handle.logon);
      await handle
        .call('endMessage', () => endMessage({ id: stored.id, recipients: outcomes }), {
          messageId: stored.id,
        })
        .catch(() => undefined);
    }
    this.#count(handle.id, updates);
    if (settled.finished && settled.disposed) this.#finished(settled.finished);
    else if (settled.finished) await this.#finish(settled.finished);
    this.#changed();
  }

  #outcomesToUpdates(
    handle: LogonHandle,
    stored: StoredMessage,
    recipients: readonly OutboundRecipient[],
    result: SubmitMessageResult,
  ): { updates: RecipientUpdate[]; outcomes: Record<string, RecipientOutcome> } {
    if (result && typeof result === 'object' && 'defer' in result) {
      return {
        updates: this.#deferAll(stored, recipients, result.defer.reason, result.defer.delayMs),
        outcomes: {},
      };
    }
    const given = (result as { recipients?: Record<string, RecipientOutcome> } | undefined)?.recipients ?? {};
    const outcomes: Record<string, RecipientOutcome> = {};
    const updates = recipients.map((recipient): RecipientUpdate => {
      const index = Number(recipient.id);
      let outcome = given[recipient.id];
      if (
        !outcome ||
        typeof outcome !== 'object' ||
        !['delivered', 'failed', 'retry', 'not-mine'].includes(outcome.status)
      ) {
        handle.logger.warn(
          { messageId: stored.id, recipient: recipient.address },
          'submitMessage reported no valid outcome for a recipient; retrying it later',
        );
        outcome = { status: 'retry', reason: 'the provider reported no outcome for this recipient' };
      }
      outcomes[recipient.id] = outcome;
      switch (outcome.status) {
        case 'delivered':
          return { index, outcome: 'delivered' };
        case 'failed':
          return { index, outcome: 'failed', error: this.profile.redactor.text(outcome.reason) };
        case 'not-mine':
          return {
            index,
            outcome: 'reroute',
            tried: handle.id,
            ...(outcome.reason ? { error: this.profile.redactor.text(outcome.reason) } : {}),
          };
        default: // 'retry'
          return this.#retry(
            stored,
            index,
            recipient.attempts + 1,
            outcome.reason ?? 'temporary failure',
            outcome.delayMs,
          );
      }
    });
    return { updates, outcomes };
  }

  #deferAll(
    stored: StoredMessage,
    recipients: readonly OutboundRecipient[],
    reason: string,
    delayMs: number | undefined,
  ): RecipientUpdate[] {
    return recipients.map((r) => this.#retry(stored, Number(r.id), r.attempts + 1, reason, delayMs));
  }

  /** A temporary failure: retry on the schedule, but never past the maximum age (then it fails, with an NDR). */
  #retry(
    stored: StoredMessage,
    index: number,
    attempt: number,
    reason: string,
    delayMs: number | undefined,
  ): RecipientUpdate {
    const now = this.#now();
    const policy = this.profile.retry;
    const error = this.profile.redactor.text(reason);
    if (isExpired(stored.submittedAt, now, policy)) {
      return {
        index,
        outcome: 'failed',
        error: `gave up after ${attempt} attempt(s) over the maximum age of ${Math.round(policy.maxAgeMs / 1000)} s: ${error}`,
      };
    }
    const at = Math.min(
      nextAttemptAt(now, attempt, policy, delayMs, this.#options.random),
      stored.submittedAt + policy.maxAgeMs,
    );
    return { index, outcome: 'retry', delayMs: Math.max(at - now, 1), countAttempt: true, error };
  }

  async #removePreprocessInfo(
    handle: LogonHandle,
    messageId: string,
    runIds: readonly string[],
    infos: readonly unknown[],
    reason: RemovePreprocessReason,
  ): Promise<void> {
    if (runIds.length === 0) return;
    const preprocessors = handle.support.preprocessors;
    const workDir = handle.support.dataDir;
    for (let k = 0; k < runIds.length; k++) {
      const preprocessor = preprocessors[k];
      if (!preprocessor) continue;
      const runId = runIds[k]!;
      await handle
        .call(
          `removePreprocessInfo(${preprocessor.name})`,
          () => preprocessor.removePreprocessInfo({ runId, messageId, workDir, info: infos[k], reason }),
          { messageId },
        )
        .catch((error: unknown) =>
          handle.logger.warn({ messageId, runId }, `removePreprocessInfo failed: ${messageOf(error)}`),
        );
    }
  }

  #count(route: string, updates: readonly RecipientUpdate[]): void {
    const delta = { sent: 0, failed: 0, deferred: 0 };
    for (const update of updates) {
      if (update.outcome === 'delivered') delta.sent++;
      else if (update.outcome === 'failed') delta.failed++;
      else if (update.outcome === 'retry' && update.countAttempt) delta.deferred++;
    }
    this.#pass.delivered += delta.sent;
    this.#pass.failed += delta.failed;
    this.#pass.deferred += delta.deferred;
    this.host.statusTable.count(route, delta);
    this.host.statusTable.count('spooler', delta);
  }

  // ---------------------------------------------------------------- finishing

  /** FinishedMsg: the message is unlocked (all outcomes final); hooks run; then Sent, keep or delete, plus reports. */
  async #finish(message: StoredMessage): Promise<void> {
    let decision: SentMailDecision = 'default';
    for (const hook of this.#options.sentMailHooks ?? []) {
      try {
        const result = await hook(message);
        if (result !== undefined && result !== 'default') {
          decision = result;
          break;
        }
      } catch (error) {
        this.host.logger.error(
          { messageId: message.id },
          `a sent-mail hook failed; using the default disposition: ${messageOf(error)}`,
        );
      }
    }
    const now = this.#now();
    await this.store.finish(message.id, this.#finishPlan(message, decision, now));
    this.#finished(message);
  }

  /**
   * The finish a hand-off's settle may apply in its own commit, if that settle finishes the message: only
   * when no sent-mail hook has to run first and no report can be due (a delivery report was asked for, or a
   * non-delivery report would be if a recipient failed: `unlessFailed`). Otherwise the message is finished in
   * the settle and filed by #finish, a second commit.
   */
  #finishInSettle(message: StoredMessage): FinishIfDone | undefined {
    if ((this.#options.sentMailHooks?.length ?? 0) > 0 || message.reports.delivery) return undefined;
    return {
      disposition: this.#defaultDisposition(message),
      ...(message.reports.nonDelivery ? { unlessFailed: true } : {}),
    };
  }

  #defaultDisposition(message: StoredMessage): Disposition {
    return message.deleteAfterSubmit ? 'delete' : { folder: 'Sent' };
  }

  /** Where a finished message goes after the hooks decided, and the reports (NDR, DR) it produces. */
  #finishPlan(
    message: StoredMessage,
    decision: SentMailDecision,
    now: number,
  ): { disposition: Disposition; reports: NewMessage[] } {
    const disposition: Disposition =
      decision === 'default'
        ? this.#defaultDisposition(message)
        : decision === 'keep' || decision === 'delete'
          ? decision
          : { folder: normalizeFolder(decision.folder) };
    const reports = buildReports(message, now).map((report) => ({
      ...report,
      folder: this.#receiveFolder(report.messageClass),
    }));
    return { disposition, reports };
  }

  #finished(message: StoredMessage): void {
    this.#events.emit('finished', message);
    this.#changed();
  }

  /** The folder for an inbound message class: the longest matching receiveFolders prefix, case-insensitive, else Inbox. */
  #receiveFolder(messageClass: string): string {
    let best: [string, string] | undefined;
    const lower = messageClass.toLowerCase();
    for (const [prefix, folder] of Object.entries(this.profile.receiveFolders)) {
      const p = prefix.toLowerCase();
      if ((lower === p || lower.startsWith(`${p}.`) || p === '') && (!best || p.length > best[0].length))
        best = [p, folder];
    }
    return normalizeFolder(best?.[1] ?? 'Inbox');
  }

  // ---------------------------------------------------------------- inbound

  #startReceiving(handle: LogonHandle): void {
    // An orderly stop still receives until in-flight hand-offs are done: a provider may be waiting for the
    // host to take a message it already has (loopback's delivery is one).
    // A logon a reload is retiring still receives: its in-flight hand-offs may wait on it (loopback's do).
    if (this.#stoppedHard || handle.state !== 'active' || !handle.inboundEnabled) return;
    if (this.#inbound.has(handle.id) || !handle.logon.startMessage) return;
    if (handle.support.inCriticalSection) return;
    const loop = this.#receiveLoop(handle).finally(() => {
      this.#inbound.delete(handle.id);
      this.#setActive(handle.id, 'inbound');
    });
    this.#inbound.set(handle.id, loop);
    this.#setActive(handle.id, 'inbound');
  }

  async #receiveLoop(handle: LogonHandle): Promise<void> {
    const startMessage = handle.logon.startMessage!.bind(handle.logon);
    const sink = { save: (message: InboundMessage) => this.#saveInbound(handle, message) };
    // Bounded: a provider that always says "more" cannot keep the loop forever; the next poll resumes it.
    for (let i = 0; i < 10_000 && !this.#stoppedHard; i++) {
      try {
        const result = await handle.call('startMessage', (signal) => startMessage(sink, { signal }));
        if (!result?.more) return;
      } catch (error) {
        handle.logger.warn(`startMessage failed: ${messageOf(error)}`);
        return;
      }
    }
  }

  async #saveInbound(handle: LogonHandle, message: InboundMessage): Promise<{ id: string }> {
    if (this.#stopping && this.#stoppedHard) {
      throw spoolError(
        ErrorCode.STOPPED,
        'the spooler is stopping; keep the message at its source',
        'It will be received after the restart.',
      );
    }
    const now = this.#clock.now();
    const id = newMessageId(now);
    const messageClass = message.messageClass ?? 'IPM.Note';
    const recipients = (message.recipients ?? []).map((r) => {
      try {
        return {
          ...parseAddress(r.address, this.profile.defaultAddressType),
          type: r.type ?? ('to' as const),
        };
      } catch {
        return {
          address: `UNKNOWN:${r.address}`,
          addressType: 'UNKNOWN',
          value: r.address,
          type: r.type ?? ('to' as const),
        };
      }
    });
    let from: string | null = null;
    if (message.from) {
      try {
        from = parseAddress(message.from, this.profile.defaultAddressType).address;
      } catch {
        from = message.from;
      }
    }
    const record: NewMessage = {
      id,
      folder: this.#receiveFolder(messageClass),
      state: 'received',
      messageId: message.messageId ?? rfcMessageId(id),
      from,
      subject: String(message.subject ?? ''),
      text: message.text ?? null,
      html: message.html ?? null,
      messageClass,
      properties: { ...(message.properties ?? {}), 'x-spool-received-by': handle.id },
      deleteAfterSubmit: false,
      reports: { delivery: false, nonDelivery: false },
      idempotencyKey: message.idempotencyKey ? `inbound:${handle.id}:${message.idempotencyKey}` : null,
      submittedAt: message.receivedAt?.getTime() ?? now,
      recipients,
      attachments: (message.attachments ?? []).map((a) => ({
        ...a,
        content: a.content instanceof Uint8Array ? a.content : new Uint8Array(a.content),
      })),
    };
    const stored = await this.store.insert(record);
    if (stored.duplicate) return { id: stored.id };
    this.#pass.received += 1;
    this.host.statusTable.count(handle.id, { received: 1 });
    this.host.statusTable.count('spooler', { received: 1 });
    handle.activity.touch();
    this.#changed();
    return { id };
  }

  async #pollOnce(handle: LogonHandle): Promise<void> {
    if (handle.state !== 'active' || !handle.inboundEnabled || handle.support.inCriticalSection) return;
    if (!handle.logon.startMessage) return;
    if (handle.logon.poll) {
      const poll = handle.logon.poll.bind(handle.logon);
      const waiting = await handle
        .call('poll', (signal) => poll({ signal }))
        .catch((error: unknown) => {
          handle.logger.warn(`poll failed: ${messageOf(error)}`);
          return false;
        });
      if (!waiting) return;
    }
    this.#startReceiving(handle);
    await this.#inbound.get(handle.id);
  }

  // ---------------------------------------------------------------- status, timers, recovery, stop

  #setActive(route: string, direction: 'inbound' | 'outbound'): void {
    const row = this.host.statusTable.get(route);
    if (!row) return;
    const active = direction === 'outbound' ? this.#inFlightOn(route) > 0 : this.#inbound.has(route);
    if (row[direction].active !== active)
      this.host.statusTable.update(route, { [direction]: { ...row[direction], active } });
  }

  async #flushDirection(
    handle: LogonHandle,
    direction: 'inbound' | 'outbound',
    work: () => Promise<void>,
  ): Promise<void> {
    const row = this.host.statusTable.get(handle.id);
    if (row) this.host.statusTable.update(handle.id, { [direction]: { ...row[direction], flushing: true } });
    await handle
      .call('transportNotify', () => handle.logon.transportNotify({ type: `begin-${direction}-flush` }))
      .catch(() => undefined);
    try {
      await work();
    } finally {
      await handle
        .call('transportNotify', () => handle.logon.transportNotify({ type: `end-${direction}-flush` }))
        .catch(() => undefined);
      const after = this.host.statusTable.get(handle.id);
      if (after)
        this.host.statusTable.update(handle.id, { [direction]: { ...after[direction], flushing: false } });
    }
  }

  #progress(logonId: string, direction: 'inbound' | 'outbound', done: number, total: number): void {
    this.host.statusTable.update(logonId, { progress: { done, total, text: `flushing ${direction}` } });
    this.#events.emit('progress', { logonId, direction, done, total });
  }

  async #report(start: Counts): Promise<PassReport> {
    return {
      delivered: this.#pass.delivered - start.delivered,
      failed: this.#pass.failed - start.failed,
      deferred: this.#pass.deferred - start.deferred,
      received: this.#pass.received - start.received,
      pending: await this.store.pending(),
    };
  }

  #changed(): void {
    this.#events.emit('change');
  }

  #nextChange(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.#events.off('change', done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.#events.on('change', done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  #every(ms: number, fn: () => void): void {
    const timer = setInterval(fn, ms);
    timer.unref();
    this.#timers.add(timer);
  }

  #startPolling(handle: LogonHandle): void {
    if (!handle.logon.poll || !handle.logon.startMessage || this.#pollTimers.has(handle.id)) return;
    const interval = handle.logon.pollIntervalMs ?? this.profile.pollIntervalMs;
    const timer = setInterval(() => void this.#pollOnce(handle), interval);
    timer.unref();
    this.#pollTimers.set(handle.id, timer);
  }

  #startTimers(): void {
    // Another process (the CLI) or spooler committed: the store's change feed says so.
    this.#unsubscribe = this.store.subscribe(() => {
      this.#changed();
      this.#wake();
    });
    for (const handle of this.host.logons()) this.#startPolling(handle);
    this.#every(Math.max(1000, Math.floor(this.#leaseMs() / 3)), () => {
      if (this.#inFlight.size > 0) void this.store.renewLeases(this.#leaseMs()).catch(this.#logStoreError);
      // Another spooler that stopped renewing (hung, or on another machine) lets its leases expire: free them.
      void this.store
        .releaseExpiredLeases()
        .then((released) => {
          if (released > 0) this.#wake();
        })
        .catch(this.#logStoreError);
    });
    this.#every(this.#options.idleIntervalMs ?? 30_000, () => void this.#idle());
    const { sentMs, deletedMs } = this.profile.retention;
    if (sentMs !== undefined || deletedMs !== undefined) {
      const rules = [
        ...(sentMs === undefined ? [] : [{ folder: 'Sent', olderThanMs: sentMs }]),
        ...(deletedMs === undefined ? [] : [{ folder: 'Deleted', olderThanMs: deletedMs }]),
      ];
      this.#every(60_000, () => void this.store.applyRetention(rules, 500).catch(this.#logStoreError));
    }
  }

  /** Idle runs only when the queue is quiet, and never for a logon inside a critical section. */
  async #idle(): Promise<void> {
    if (this.#stopping || this.#inFlight.size > 0) return;
    if ((await this.store.countDue(null)) > 0) return;
    for (const handle of this.host.logons()) {
      if (handle.state !== 'active' || !handle.logon.idle || handle.support.inCriticalSection) continue;
      const idle = handle.logon.idle.bind(handle.logon);
      await handle
        .call('idle', (signal) => idle({ signal }))
        .catch((error: unknown) => handle.logger.warn(`idle failed: ${messageOf(error)}`));
    }
  }

  #logStoreError = (error: unknown): void => {
    this.host.logger.error(
      { code: (error as SpoolError).code },
      `store housekeeping failed: ${messageOf(error)}`,
    );
  };

  /** After a crash: release dead owners' leases, remove their preprocess runs, finish what was left half-finished. */
  async #recover(): Promise<void> {
    const runs = await this.store.recoverAbandoned();
    for (const run of runs) {
      const handle = this.host.logons().find((h) => h.id === run.logonId);
      const preprocessor = handle?.support.preprocessors[run.preprocessor];
      if (handle && preprocessor) {
        await handle
          .call(`removePreprocessInfo(${preprocessor.name})`, () =>
            preprocessor.removePreprocessInfo({
              runId: run.runId,
              messageId: run.messageId,
              workDir: handle.support.dataDir,
              info: undefined,
              reason: 'recovered',
            }),
          )
          .catch((error: unknown) =>
            handle.logger.warn(
              { runId: run.runId },
              `removePreprocessInfo (recovery) failed: ${messageOf(error)}`,
            ),
          );
      } else {
        this.host.logger.warn(
          { runId: run.runId, logon: run.logonId },
          'a preprocess run left by a crashed spooler belongs to a logon that no longer exists; its artifacts may remain',
        );
      }
      await this.store.markRunsRemoved([run.runId]);
    }
    for (const message of await this.store.unfinished()) await this.#finish(message);
  }

  async #stop(mode: 'orderly' | 'hurry', timeoutMs: number): Promise<void> {
    this.#stopping = true;
    this.host.statusTable.update('spooler', { text: 'stopping' });
    if (this.#dueTimer) clearTimeout(this.#dueTimer);
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers.clear();
    this.#unsubscribe?.();
    for (const timer of this.#pollTimers.values()) clearInterval(timer);
    this.#pollTimers.clear();
    if (this.#pumping) await this.#pumping;
    const flights = () => [...this.#inFlight.values()];
    if (mode === 'orderly' && flights().length > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(flights().map((f) => f.done)),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, timeoutMs);
          this.#hurry = resolve;
        }),
      ]);
      clearTimeout(timer);
      this.#hurry = undefined;
    }
    this.#stoppedHard = true;
    for (const flight of flights()) flight.controller.abort(STOP_REASON);
    await Promise.all(flights().map((f) => f.done));
    await Promise.all(this.#inbound.values());
    await this.host.stop({ mode: mode === 'orderly' ? 'orderly' : 'abort' });
    await this.store.close();
    this.#changed();
  }
}

/** What `createSpooler` accepts: a loaded profile, a raw profile object, or where to find the profile file. */
export type CreateSpoolerOptions = Omit<SpoolerOptions, 'profile'> & {
  /** A loaded profile, or a raw one as it would be written in a file (relative paths resolve from `cwd`). */
  readonly profile?: Profile | ProfileInput;
  /** A profile file to load instead (cosmiconfig formats). */
  readonly profileFile?: string;
  /** Where to search for the profile, and the base of a raw profile's relative paths (default: process.cwd()). */
  readonly cwd?: string;
};

/**
 * Creates and starts a spooler; see {@link Spooler}. With neither `profile` nor `profileFile`, the profile is
 * searched in `cwd` (spool.config.*, .spoolrc*, package.json "spool").
 */
export async function createSpooler(options: CreateSpoolerOptions = {}): Promise<Spooler> {
  const { profile: given, profileFile, cwd, ...rest } = options;
  let profile: Profile;
  if (given && 'redactor' in given && given.redactor instanceof Redactor) profile = given as Profile;
  else if (given) profile = normalizeProfile(given, { dir: resolve(cwd ?? process.cwd()) });
  else
    profile = await loadProfile({ ...(profileFile ? { file: profileFile } : {}), ...(cwd ? { cwd } : {}) });
  return Spooler.create({ ...rest, profile });
}

export type { SpoolError };
