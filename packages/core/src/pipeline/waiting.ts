import { messageOf } from '../errors.js';
import type { RouteTarget, UnavailableEntry } from '../host/provider-port.js';
import type { RecipientUpdate, StoredMessage, StoredRecipient } from '../store/types.js';
import { isStopping, leaseMs, type PipelineContext } from './context.js';
import type { Finishing } from './finishing.js';
import { waitUpdates } from './outcomes.js';

/** How many hand-offs of a waiting route one round defers, and how many rounds one pass runs at most. */
const WAIT_BATCH = 500;
const MAX_WAIT_ROUNDS = 1_000;

/**
 * Mail of a provider entry that cannot serve waits; it is never bounced for that (host/entry-claims.ts says
 * who holds which address type). Routing sends such recipients to the entry's waiting route; this stage, run
 * with every routing pass, defers what comes due there — retried on the retry schedule, the entry's coded
 * error as the last error — and fails it only past the retry `maxAge`, with a non-delivery report that says
 * the transport was unavailable and why. It also starts failed entries again on the retry schedule (the
 * logon retry), records what every serving entry claims so a later load failure still knows, and makes a
 * recovered entry's waiting mail due at once.
 */
export class Waiting {
  readonly #ctx: PipelineContext;
  readonly #finishing: Finishing;
  /** Entry id → how many restarts were tried since it failed, and when the next one is due (clock ms). */
  readonly #restarts = new Map<string, { attempts: number; at: number }>();
  #timer: NodeJS.Timeout | undefined;
  /** The restart pass in progress, if any: a reload waits for it (both start entries). */
  #restarting: Promise<void> | undefined;
  /** While a reload runs, no restart starts (the reload starts failed entries that pass its check itself). */
  #held = 0;

  constructor(ctx: PipelineContext, finishing: Finishing) {
    this.#ctx = ctx;
    this.#finishing = finishing;
  }

  /** At start (and after a reload): reads what the store recorded, then records what serves now. */
  async start(): Promise<void> {
    const { store, port } = this.#ctx;
    const saved = await store.savedAddressTypes?.();
    if (saved) port.setRecordedClaims(saved);
    await this.recordClaims();
  }

  /** Records, per serving entry, the address types its logons claim (the store keeps the last record). */
  async recordClaims(): Promise<void> {
    const { store, port } = this.#ctx;
    if (!store.saveAddressTypes) return;
    for (const entry of port.providers()) {
      if (entry.status !== 'active' || entry.logons.length === 0) continue;
      const types = new Set(entry.logons.flatMap((id) => port.logon(id)?.addressTypes ?? []));
      if (types.size > 0) await store.saveAddressTypes(entry.id, [...types].sort());
    }
  }

  /**
   * After a reload: records what serves now, and makes the waiting mail of every entry that was unavailable
   * before (`before`, read just before the reload) and serves now due at once.
   */
  async reloaded(before: readonly UnavailableEntry[]): Promise<void> {
    const { port, store } = this.#ctx;
    await this.recordClaims();
    const still = new Set(port.unavailable().map((u) => u.entryId));
    for (const entry of before) if (!still.has(entry.entryId)) await store.makeDue(entry.route);
    this.#ctx.wake();
  }

  /**
   * Defers (or, past the maximum age, fails) what is due on the route of every entry that cannot serve; an
   * entry with `failover: true` has its mail routed again instead, while another claimant of one of its
   * types serves (`serves` is routing's rule).
   */
  async deferDue(serves: (target: RouteTarget) => boolean): Promise<void> {
    const { port } = this.#ctx;
    const unavailable = port.unavailable();
    for (const entry of unavailable)
      if (!(await this.#failOver(entry.route, entry.entryId, entry.addressTypes, serves)))
        await this.#deferRoute(entry);
    // Logons that cannot take hand-offs now (breaker open, logged off after a timeout): their queued mail
    // fails over too, when their entry says so. Run here, after every settle, not when the breaker opened:
    // the hand-off that opened it has not recorded its retry yet then.
    for (const logon of port.logons()) {
      if (serves({ id: logon.id, entryId: logon.entryId, failover: true })) continue;
      if (await this.#failOver(logon.id, logon.entryId, logon.addressTypes, serves)) continue;
      const until = this.#ctx.breakers.suspendedUntil(logon.id);
      // Once the cool-down is over, the due mail is the probe's: left for the scheduler.
      if (until !== undefined && until > this.#ctx.clock.now()) await this.#holdSuspended(logon.id, until);
    }
    this.#forgetRecovered(unavailable);
    this.#armRestarts(unavailable);
  }

  /** Stops the restart timer (a stop). */
  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /**
   * Routes the queued mail of `route` again when its entry says `failover: true` and another claimant of one
   * of its types serves; true when it did (or nothing was queued there).
   */
  async #failOver(
    route: string,
    entryId: string,
    addressTypes: readonly string[] | undefined,
    serves: (target: RouteTarget) => boolean,
  ): Promise<boolean> {
    const { port, store } = this.#ctx;
    if (!this.#ctx.profile().providers.find((e) => e.id === entryId)?.failover) return false;
    const elsewhere = (addressTypes ?? []).some((type) =>
      port.routes(type).some((target) => target.entryId !== entryId && serves(target)),
    );
    if (!elsewhere) return false;
    // Nothing waits there (the common case once it failed over): no write, and no wake that would loop.
    if ((await store.countDue(route, { dueBy: Number.MAX_SAFE_INTEGER })) === 0) return true;
    // Due at once where it goes: it waited for this route, not for a retry of its own.
    await store.makeDue(route);
    await store.unroute(route);
    this.#ctx.wake();
    return true;
  }

  /**
   * The due mail of a route whose breaker is open: what is past the maximum age fails (its NDR says why); the
   * rest waits for the probe without an attempt counted, so the breaker burns no attempts but maxAge holds.
   */
  async #holdSuspended(route: string, until: number): Promise<void> {
    const { clock } = this.#ctx;
    const reason = `transport suspended: the breaker of ${route} is open until ${new Date(until).toISOString()} (its hand-offs kept failing temporarily)`;
    await this.#settleDue(route, route, (message, recipients) =>
      waitUpdates(this.#ctx, message, recipients, reason).map((update) =>
        update.outcome === 'retry'
          ? { ...update, delayMs: Math.max(until - clock.now(), 1), countAttempt: false }
          : update,
      ),
    );
  }

  async #deferRoute(entry: UnavailableEntry): Promise<void> {
    const reason = `transport unavailable: provider entry "${entry.entryId}" cannot serve (${entry.code}): ${entry.message}`;
    await this.#settleDue(entry.route, entry.entryId, (message, recipients) =>
      waitUpdates(this.#ctx, message, recipients, reason),
    );
  }

  /** Claims what is due on `route` and settles it with `decide`'s updates, in batches; files what finished. */
  async #settleDue(
    route: string,
    rowId: string,
    decide: (message: StoredMessage, recipients: readonly StoredRecipient[]) => RecipientUpdate[],
  ): Promise<void> {
    const { store, state, totals } = this.#ctx;
    for (let round = 0; round < MAX_WAIT_ROUNDS && !isStopping(this.#ctx); round++) {
      const claims = await store.claim(route, {
        limit: WAIT_BATCH,
        leaseMs: leaseMs(this.#ctx),
        preprocessors: 0,
        ...(state.passCutoff === undefined ? {} : { dueBy: state.passCutoff }),
      });
      for (const { message, recipients } of claims) {
        const updates = decide(message, recipients);
        const ifFinished = this.#finishing.inSettle(message);
        const settled = await store.settle({
          messageId: message.id,
          route,
          updates,
          ...(ifFinished ? { ifFinished } : {}),
        });
        // Counted on the entry's own row (a failed entry has no logon row) and the spooler's.
        totals.settled(rowId, updates);
        if (settled.finished && settled.disposed) this.#finishing.announce(settled.finished);
        else if (settled.finished) await this.#finishing.file(settled.finished);
      }
      if (claims.length < WAIT_BATCH) break;
    }
  }

  #forgetRecovered(unavailable: readonly UnavailableEntry[]): void {
    const failed = new Set(unavailable.map((u) => u.entryId));
    for (const id of this.#restarts.keys()) if (!failed.has(id)) this.#restarts.delete(id);
  }

  /** Schedules a restart of each failed entry on the retry schedule (a spooler that hands off only). */
  #armRestarts(unavailable: readonly UnavailableEntry[]): void {
    const { options, clock } = this.#ctx;
    if (options.autoStart === false || isStopping(this.#ctx) || unavailable.length === 0) return;
    const now = clock.now();
    for (const entry of unavailable)
      if (!this.#restarts.has(entry.entryId))
        this.#restarts.set(entry.entryId, { attempts: 0, at: now + this.#delay(0) });
    const next = Math.min(...[...this.#restarts.values()].map((r) => r.at));
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#restartDue(), Math.max(next - now, 0));
    this.#timer.unref();
  }

  #delay(attempts: number): number {
    const { schedule } = this.#ctx.profile().retry;
    return schedule[Math.min(attempts, schedule.length - 1)] ?? 60_000;
  }

  /** Runs `work` (a reload) with no restart in progress or starting meanwhile. */
  async holdRestarts<T>(work: () => Promise<T>): Promise<T> {
    this.#held++;
    try {
      await this.#restarting;
      return await work();
    } finally {
      this.#held--;
    }
  }

  /** Starts every failed entry whose restart is due; one that now serves gets its waiting mail at once. */
  #restartDue(): Promise<void> {
    if (this.#restarting || this.#held > 0 || isStopping(this.#ctx)) return Promise.resolve();
    this.#restarting = this.#restartPass().finally(() => {
      this.#restarting = undefined;
      this.#ctx.wake();
    });
    return this.#restarting;
  }

  async #restartPass(): Promise<void> {
    const { port, store, clock } = this.#ctx;
    try {
      for (const [entryId, restart] of this.#restarts) {
        if (restart.at > clock.now() || isStopping(this.#ctx)) continue;
        const route = port.unavailable().find((u) => u.entryId === entryId)?.route;
        if (await port.restartEntry(entryId)) {
          this.#restarts.delete(entryId);
          await port.beginTraffic();
          await this.recordClaims();
          if (route) await store.makeDue(route);
          port.logger.info({ entry: entryId }, 'provider entry serves again; its waiting mail is due');
        } else {
          restart.attempts++;
          restart.at = clock.now() + this.#delay(restart.attempts);
        }
      }
    } catch (error) {
      port.logger.error({ code: (error as { code?: string }).code }, `restart failed: ${messageOf(error)}`);
    }
  }
}
