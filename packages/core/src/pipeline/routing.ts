import type { RouteTarget } from '../host/provider-port.js';
import type { NewMessage, RouteDecision } from '../store/types.js';
import type { PipelineContext } from './context.js';
import type { Finishing } from './finishing.js';
import type { Waiting } from './waiting.js';

/** How many unrouted recipients one routing pass reads. */
const ROUTE_BATCH = 2000;

/**
 * Routing: each recipient goes to the first logon (profile order) that claims its address type and has not
 * declined it (`not-mine`), or to the waiting route of an entry that claims it but cannot serve (its mail
 * waits: see waiting.ts); a recipient nobody claims, or every claimant declined, fails with the reason.
 */
export class Routing {
  readonly #ctx: PipelineContext;
  readonly #finishing: Finishing;
  readonly #waiting: Waiting;

  constructor(ctx: PipelineContext, finishing: Finishing, waiting: Waiting) {
    this.#ctx = ctx;
    this.#finishing = finishing;
    this.#waiting = waiting;
  }

  /**
   * Routes a new message's recipients to their first claimant as it is stored, so the common case costs no
   * separate routing write. Recipients nobody claims stay unrouted: {@link routeAll} reports them.
   */
  routeNew(message: NewMessage): NewMessage {
    // A store-only spooler (`spool send`) leaves routing to the spooler that will hand the message off: its
    // logons may differ (a daemon reloaded with another profile).
    if (this.#ctx.options.autoStart === false) return message;
    const { port } = this.#ctx;
    return {
      ...message,
      recipients: message.recipients.map((r) => ({
        ...r,
        route: this.#choose(port.routes(r.addressType), [])?.id ?? null,
      })),
    };
  }

  /**
   * Routes what is unrouted (new recipients, declined ones, those of a logon that is gone) in one commit,
   * then defers what is due on the routes of entries that cannot serve.
   */
  async routeAll(): Promise<void> {
    await this.#routeUnrouted();
    await this.#waiting.deferDue((target) => this.serves(target));
  }

  async #routeUnrouted(): Promise<void> {
    const { store, port, totals } = this.#ctx;
    const unrouted = await store.unrouted(ROUTE_BATCH);
    if (unrouted.length === 0) return;
    let failed = 0;
    const decisions = unrouted.map(({ messageId, index, addressType, tried }): RouteDecision => {
      const claimant = this.#choose(port.routes(addressType), tried);
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
    const { finished } = await store.route(decisions);
    if (failed > 0) totals.unroutable(failed);
    for (const message of finished) await this.#finishing.file(message);
  }

  /**
   * The target a recipient goes to, among those that have not declined it: the first that serves now; but a
   * target that cannot serve (its entry failed, its logon timed out, its breaker is open) keeps the mail
   * (it waits there) unless its entry says `failover: true`. When none serves, the first one keeps it.
   */
  #choose(targets: readonly RouteTarget[], tried: readonly string[]): RouteTarget | undefined {
    const open = targets.filter((target) => !tried.includes(target.id));
    for (const target of open) if (this.serves(target) || !target.failover) return target;
    return open[0];
  }

  /** A target that can take a hand-off now (also what decides whether a failed entry's mail fails over). */
  serves(target: RouteTarget): boolean {
    if (target.unavailable || this.#ctx.breakers.isSuspended(target.id)) return false;
    return this.#ctx.port.logon(target.id)?.state === 'active';
  }
}
