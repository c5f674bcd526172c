import type { PendingRecipient } from '../types.js';
import type { Row } from './rows.js';
import type { StoreContext } from './store-context.js';

/** How long until the earliest routed, unleased pending recipient not due yet is due; null if none. */
export function nextDueInMs(ctx: StoreContext): Promise<number | null> {
  const now = ctx.clock.now();
  // Only future attempts: what is due now is either being claimed or waits for a busy route's next free
  // slot, whose hand-off wakes the spooler when it ends. Starting the index scan at `now` also skips the
  // in-flight rows at the head of the queue.
  const row = ctx
    .sql(
      "SELECT min(next_attempt_at) AS at FROM recipients WHERE outcome = 'pending' AND next_attempt_at > ? AND route IS NOT NULL AND lease_owner IS NULL",
    )
    .get(now) as { at: number | null };
  return Promise.resolve(row.at === null ? null : Number(row.at) - now);
}

/** Pending recipients with their next attempt, soonest first. */
export function pendingRecipients(
  ctx: StoreContext,
  options: { readonly limit?: number },
): Promise<PendingRecipient[]> {
  const rows = ctx
    .sql(
      `SELECT m.id, m.subject, r.address, r.route, r.attempts, r.next_attempt_at, r.last_error
       FROM recipients r JOIN messages m ON m.id = r.message WHERE r.outcome = 'pending' ORDER BY r.next_attempt_at, r.submitted_at LIMIT ?`,
    )
    .all(options.limit ?? 1000) as Row[];
  return Promise.resolve(
    rows.map((r) => ({
      id: String(r.id),
      subject: String(r.subject),
      address: String(r.address),
      route: r.route === null ? null : String(r.route),
      attempts: Number(r.attempts),
      nextAttemptAt: Number(r.next_attempt_at),
      lastError: r.last_error === null ? null : String(r.last_error),
    })),
  );
}

/** Pending recipients of `route` (every route when null) due by `dueBy` (default now), leased or not. */
export function countDue(
  ctx: StoreContext,
  route: string | null,
  options: { readonly dueBy?: number },
): Promise<number> {
  const dueBy = options.dueBy ?? ctx.clock.now();
  const row = (
    route === null
      ? ctx
          .sql("SELECT count(*) AS n FROM recipients WHERE outcome = 'pending' AND next_attempt_at <= ?")
          .get(dueBy)
      : ctx
          .sql(
            "SELECT count(*) AS n FROM recipients WHERE outcome = 'pending' AND route = ? AND next_attempt_at <= ?",
          )
          .get(route, dueBy)
  ) as { n: number };
  return Promise.resolve(Number(row.n));
}

/** Makes every pending recipient of `route` (or of every route) due now (a flush). */
export function makeDue(ctx: StoreContext, route?: string): Promise<void> {
  return ctx.group.write(() => {
    const now = ctx.clock.now();
    if (route === undefined)
      ctx
        .sql("UPDATE recipients SET next_attempt_at = ? WHERE outcome = 'pending' AND next_attempt_at > ?")
        .run(now, now);
    else
      ctx
        .sql(
          "UPDATE recipients SET next_attempt_at = ? WHERE outcome = 'pending' AND route = ? AND next_attempt_at > ?",
        )
        .run(now, route, now);
  });
}
