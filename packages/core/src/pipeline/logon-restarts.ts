import { ErrorCode, messageOf } from '../errors.js';
import type { LogonView } from '../host/provider-port.js';
import { isStopping, leaseMs, type PipelineContext } from './context.js';
import type { Finishing } from './finishing.js';
import { waitUpdates } from './outcomes.js';
import { showLogon } from './status-rows.js';

/** How often logons the host marked failed outside a hand-off (a poll or an idle that timed out) are looked for. */
const SCAN_MS = 1000;
/** Bounds the wait for a logon's other hand-offs before it is logged on again (each ends within its timeouts). */
const MAX_DRAIN_ROUNDS = 1000;
/** How many hand-offs of a failed logon's route one round defers, and how many rounds one pass runs at most. */
const WAIT_BATCH = 500;
const MAX_WAIT_ROUNDS = 100;

/** What the stage knows about a logon in trouble; it forgets a logon once a hand-off on it answers. */
interface Trouble {
  /** The logon it is about: a reload that logs the entry on anew gives the id a new view, and a fresh start. */
  readonly view: LogonView | undefined;
  /** Failures in a row (calls that timed out, relogons that failed) since a hand-off on it last answered. */
  failures: number;
  /** Logged on again after a timeout, and no hand-off has answered on it since: one hand-off at a time. */
  probation: boolean;
  /** Its last relogon failed: what comes due on its route is deferred with the error until one succeeds. */
  cannotLogOn: boolean;
  /** It is serving in name only: its `begin-outbound` (or `begin-inbound`) threw, so it takes no traffic. */
  noTraffic: boolean;
  /** The relogon in progress. */
  restart?: Promise<void>;
  /** The relogon waiting for its turn on the retry schedule. */
  timer?: NodeJS.Timeout;
  /** Confirms a logon on probation that went a whole inactivity timeout with no hand-off and no call timing out. */
  confirm?: NodeJS.Timeout;
}

/**
 * What happens to a logon after one of its calls timed out (issue 14: no route dies silently, no mail is
 * stranded). The policy:
 *
 * - A call that **throws** is the provider answering: its hand-off is deferred with the error and the logon
 *   keeps serving.
 * - A call that **times out** takes the logon out of service at once — one timeout is enough: the host aborted
 *   the call's signal but cannot know whether the provider's logon is still usable (a connection wedged
 *   mid-transaction). Its hand-off is deferred with `SPOOL_E_TIMEOUT` as the recipients' last error; its row
 *   says `failed: …; logging on again`, not available, the error in `lastError`; its address types stay
 *   claimed, so what is routed to it, and what is sent meanwhile, waits for it (never bounced).
 * - Once its other hand-offs ended (each within its own timeouts), it is logged off and on again in place
 *   (MAPI's TransportLogoff/TransportLogon; host/relogon.ts): same id, so its routed mail stays routed to it.
 *   The first relogon after a hand-off answered is immediate; each further failure in a row (a timeout again,
 *   or a relogon that failed) waits the profile's retry schedule: the n-th failure in a row waits
 *   `retry.schedule[n - 2]`, the last entry repeating — for as long as it takes, until a stop or a reload.
 * - A logon logged on again is **on probation**: one hand-off at a time, and its row says `logged on again
 *   after …; confirming with one hand-off` with `failure` set, until a hand-off's call answers (any outcome but
 *   a timeout). Then it is `ready` and gets its whole maxInFlight. So a row never says ready while the route
 *   is dead: a route that keeps timing out only ever reads failed or confirming. A logon with nothing to hand
 *   off (one that only receives, say) is confirmed once it went its entry's inactivity timeout without a hand-
 *   off in flight and without a call timing out.
 * - A relogon that fails (transportLogon throws or times out) leaves the row failed with the coded error and
 *   the time of the next try. Until one succeeds, what comes due on its route is deferred on the retry
 *   schedule with that error as the last error (failed only past the retry `maxAge`, with an NDR); once it
 *   serves again, that mail is due at once.
 */
export class LogonRestarts {
  readonly #ctx: PipelineContext;
  readonly #finishing: Finishing;
  readonly #troubles = new Map<string, Trouble>();
  /** Active logons seen without traffic, and since when (see #noticeTraffic). */
  readonly #withoutTraffic = new Map<string, { readonly view: LogonView; readonly since: number }>();
  #scan: NodeJS.Timeout | undefined;

  constructor(ctx: PipelineContext, finishing: Finishing) {
    this.#ctx = ctx;
    this.#finishing = finishing;
  }

  /** A call of a hand-off on the logon timed out: out of service until it is logged on again. */
  timedOut(logon: LogonView): void {
    // The host takes a logon whose call timed out out of service (state `failed`); one it kept serves on.
    if (isStopping(this.#ctx) || logon.state !== 'failed') return;
    const trouble = this.#trouble(logon.id);
    if (trouble.restart || trouble.timer) return; // another hand-off of the same stall: one restart
    trouble.probation = false;
    if (trouble.confirm) clearTimeout(trouble.confirm);
    trouble.failures++;
    this.#schedule(logon.id, trouble);
  }

  /** A hand-off's call on the logon answered (anything but a timeout): a logon on probation is confirmed. */
  answered(logonId: string): void {
    const trouble = this.#known(logonId);
    if (!trouble || trouble.restart || trouble.timer) return;
    if (trouble.confirm) clearTimeout(trouble.confirm);
    this.#troubles.delete(logonId);
    if (trouble.probation) {
      showLogon(this.#ctx.port.statusTable, logonId, 'ready', 'ready');
      this.#ctx.port.loggerOf(logonId).info({ logonId }, 'logged on again and answering: serving');
    }
  }

  /**
   * Every pass, per logon: one the host marked failed that this stage does not know yet (a poll, an idle or
   * a notification timed out) gets its restart too.
   */
  notice(logon: LogonView): void {
    if (isStopping(this.#ctx)) return;
    if (logon.state === 'active') {
      this.#noticeTraffic(logon);
      return;
    }
    if (logon.state !== 'failed') return;
    const trouble = this.#known(logon.id);
    if (trouble?.restart || trouble?.timer) return;
    this.timedOut(logon);
  }

  /**
   * A logon that is active but still has no traffic a second after traffic began everywhere (its
   * `begin-outbound` or `begin-inbound` threw) would sit there "ready" and take nothing: it is logged on again
   * like a timed-out one.
   */
  #noticeTraffic(logon: LogonView): void {
    const { state } = this.#ctx;
    const dead =
      state.trafficStarted &&
      !state.retiring.has(logon.id) &&
      (!logon.outboundEnabled || (logon.receives && !logon.inboundEnabled));
    const seen = this.#withoutTraffic.get(logon.id);
    if (!dead || seen?.view !== logon) {
      if (dead) this.#withoutTraffic.set(logon.id, { view: logon, since: Date.now() });
      else this.#withoutTraffic.delete(logon.id);
      return;
    }
    const trouble = this.#trouble(logon.id);
    if (Date.now() - seen.since < SCAN_MS || trouble.restart || trouble.timer) return;
    this.#withoutTraffic.delete(logon.id);
    trouble.probation = false;
    trouble.noTraffic = true;
    if (trouble.confirm) clearTimeout(trouble.confirm);
    trouble.failures++;
    this.#schedule(logon.id, trouble);
  }

  /**
   * Every pass, per logon: when its last relogon failed, defers what is due on its route with the error (on
   * the retry schedule; past the maximum age it fails, with an NDR that says why).
   */
  async deferDue(logon: LogonView): Promise<void> {
    const trouble = this.#known(logon.id);
    if (!trouble?.cannotLogOn || trouble.restart || logon.state !== 'failed') return;
    const { store, state, totals, port } = this.#ctx;
    const error = port.statusTable.get(logon.id)?.lastError;
    const reason = `transport unavailable: logon ${logon.id} cannot log on (${error?.code ?? ErrorCode.LOGON_FAILED}): ${error?.message ?? 'it could not log on again'}`;
    for (let round = 0; round < MAX_WAIT_ROUNDS && !isStopping(this.#ctx); round++) {
      const claims = await store.claim(logon.id, {
        limit: WAIT_BATCH,
        leaseMs: leaseMs(this.#ctx),
        preprocessors: 0,
        ...(state.passCutoff === undefined ? {} : { dueBy: state.passCutoff }),
      });
      for (const { message, recipients } of claims) {
        const updates = waitUpdates(this.#ctx, message, recipients, reason);
        const ifFinished = this.#finishing.inSettle(message);
        const settled = await store.settle({
          messageId: message.id,
          route: logon.id,
          updates,
          ...(ifFinished ? { ifFinished } : {}),
        });
        totals.settled(logon.id, updates);
        if (settled.finished && settled.disposed) this.#finishing.announce(settled.finished);
        else if (settled.finished) await this.#finishing.file(settled.finished);
      }
      if (claims.length < WAIT_BATCH) break;
    }
  }

  /** How many of `free` slots the logon may fill now: one at a time while it is on probation. */
  limit(logonId: string, free: number): number {
    if (this.#known(logonId)?.probation !== true) return free;
    return Math.min(free, 1 - this.#ctx.inFlight.submitting(logonId));
  }

  /** Looks for failed logons between passes too (a running spooler only; idempotent). */
  watch(): void {
    if (this.#scan || this.#ctx.options.autoStart === false || isStopping(this.#ctx)) return;
    this.#scan = setInterval(() => {
      for (const logon of this.#ctx.port.logons()) this.notice(logon);
    }, SCAN_MS);
    this.#scan.unref();
  }

  /** Stops the timers (a stop); returns the relogons in progress, to wait for before the logons log off. */
  stop(): Promise<void>[] {
    if (this.#scan) clearInterval(this.#scan);
    this.#scan = undefined;
    const running: Promise<void>[] = [];
    for (const trouble of this.#troubles.values()) {
      if (trouble.timer) clearTimeout(trouble.timer);
      if (trouble.confirm) clearTimeout(trouble.confirm);
      trouble.timer = undefined;
      if (trouble.restart) running.push(trouble.restart);
    }
    return running;
  }

  #trouble(logonId: string): Trouble {
    let trouble = this.#known(logonId);
    if (!trouble) {
      trouble = {
        view: this.#ctx.port.logon(logonId),
        failures: 0,
        probation: false,
        cannotLogOn: false,
        noTraffic: false,
      };
      this.#troubles.set(logonId, trouble);
    }
    return trouble;
  }

  /** The trouble of the logon the port has under this id now; one of a logon a reload replaced is dropped. */
  #known(logonId: string): Trouble | undefined {
    const trouble = this.#troubles.get(logonId);
    if (!trouble || trouble.view === this.#ctx.port.logon(logonId)) return trouble;
    if (trouble.timer) clearTimeout(trouble.timer);
    if (trouble.confirm) clearTimeout(trouble.confirm);
    this.#troubles.delete(logonId);
    return undefined;
  }

  /** The wait before the relogon after the `failures`-th failure in a row: none for the first. */
  #delay(failures: number): number {
    if (failures <= 1) return 0;
    const { schedule } = this.#ctx.profile().retry;
    return schedule[Math.min(failures - 2, schedule.length - 1)] ?? 0;
  }

  #schedule(logonId: string, trouble: Trouble): void {
    const delay = this.#delay(trouble.failures);
    const table = this.#ctx.port.statusTable;
    const when = delay === 0 ? 'now' : `at ${new Date(this.#ctx.clock.now() + delay).toISOString()}`;
    const row = table.get(logonId);
    const why = row?.lastError?.code ?? ErrorCode.TIMEOUT;
    const failed = trouble.failures > 1 ? ` (${trouble.failures} failures in a row)` : '';
    // A relogon that failed already wrote its own text; keep it, with the time of the next try.
    const text = row?.text.startsWith('failed: could not log on again')
      ? `${row.text.replace(/; next try .*$/, '')}; next try ${when}`
      : `failed: ${why}${failed}; logging on again ${when}`;
    showLogon(table, logonId, 'failed', text);
    if (delay === 0) {
      this.#start(logonId, trouble);
      return;
    }
    trouble.timer = setTimeout(() => {
      trouble.timer = undefined;
      this.#start(logonId, trouble);
    }, delay);
    trouble.timer.unref();
  }

  #start(logonId: string, trouble: Trouble): void {
    if (isStopping(this.#ctx)) return;
    trouble.restart = this.#restart(logonId, trouble).finally(() => {
      trouble.restart = undefined;
      if (trouble.failures > 0 && !trouble.probation && !isStopping(this.#ctx))
        this.#schedule(logonId, trouble);
      this.#ctx.wake();
    });
  }

  /** After the entry's inactivity timeout: a logon on probation with no hand-off in flight is confirmed. */
  #armConfirm(logonId: string, trouble: Trouble, entryId: string): void {
    const entry = this.#ctx.profile().providers.find((p) => p.id === entryId);
    const ms = entry?.timeouts.inactivityMs ?? 60_000;
    trouble.confirm = setTimeout(() => {
      trouble.confirm = undefined;
      if (!trouble.probation || this.#ctx.inFlight.submitting(logonId) > 0) return; // a hand-off decides
      const view = this.#ctx.port.logon(logonId);
      if (this.#ctx.state.trafficStarted && !view?.outboundEnabled) return; // no traffic: not confirmed
      if (this.#known(logonId) === trouble) this.answered(logonId);
    }, ms);
    trouble.confirm.unref();
  }

  /** Waits for the logon's other hand-offs, logs it off and on again, and puts it on probation. */
  async #restart(logonId: string, trouble: Trouble): Promise<void> {
    const { port, inFlight, state } = this.#ctx;
    for (let round = 0; round < MAX_DRAIN_ROUNDS; round++) {
      const flights = inFlight.list({ logonId });
      if (flights.length === 0) break;
      await Promise.all(flights.map((flight) => flight.done));
    }
    const view = port.logon(logonId);
    // Stopping, or the logon is gone or was replaced (a reload) while its hand-offs ended: nothing to restart.
    const stale = view === undefined || view !== trouble.view || view.state === 'closed';
    if (isStopping(this.#ctx) || stale || (view.state !== 'failed' && !trouble.noTraffic)) {
      this.#troubles.delete(logonId);
      trouble.failures = 0;
      return;
    }
    const logger = port.loggerOf(logonId);
    const cause = port.statusTable.get(logonId)?.lastError?.code ?? ErrorCode.TIMEOUT;
    try {
      await port.restartLogon(logonId);
    } catch (error) {
      trouble.failures++;
      trouble.cannotLogOn = true;
      const code = (error as { code?: string }).code ?? ErrorCode.LOGON_FAILED;
      logger.error(
        { logonId, code, failures: trouble.failures, retryInMs: this.#delay(trouble.failures) },
        `could not log on again: ${messageOf(error)}`,
      );
      return; // #start's finally schedules the next try
    }
    trouble.probation = true;
    // Mail deferred while it could not log on is due again now.
    if (trouble.cannotLogOn) await this.#ctx.store.makeDue(logonId);
    trouble.cannotLogOn = false;
    trouble.noTraffic = false;
    showLogon(
      port.statusTable,
      logonId,
      'probation',
      `logged on again after ${cause}; confirming with one hand-off`,
    );
    logger.warn({ logonId, code: cause }, 'logged off and on again after a call timed out');
    this.#armConfirm(logonId, trouble, view.entryId);
    // Traffic as the other logons have it (a store-only spooler begins it at its first pass).
    if (state.trafficStarted) await port.beginTraffic();
  }
}
