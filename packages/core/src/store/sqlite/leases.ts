import type { OpenPreprocessRun } from '../types.js';
import { isGoneOwner } from './owners.js';
import type { StoreContext } from './store-context.js';

/** Extends the leases this instance holds to `leaseMs` from now (the heartbeat). */
export function renewLeases(ctx: StoreContext, leaseMs: number): Promise<void> {
  return ctx.group.write(() => {
    ctx
      .sql('UPDATE recipients SET lease_expires = ? WHERE lease_owner = ?')
      .run(ctx.clock.now() + leaseMs, ctx.owner);
  });
}

/** Releases the leases that expired; returns how many recipients. */
export function releaseExpiredLeases(ctx: StoreContext): Promise<number> {
  const now = ctx.clock.now();
  // Most of the time nothing expired: a read keeps the periodic check from costing a commit. Both go
  // through the leased-rows index, so only what is in flight is looked at, never the delivered history.
  const expired = 'lease_owner IS NOT NULL AND lease_expires < ?';
  if (!ctx.sql(`SELECT 1 FROM recipients INDEXED BY recipients_leased WHERE ${expired} LIMIT 1`).get(now))
    return Promise.resolve(0);
  return ctx.group.write(() =>
    Number(
      ctx
        .sql(
          `UPDATE recipients INDEXED BY recipients_leased SET lease_owner = NULL, lease_expires = NULL WHERE ${expired}`,
        )
        .run(ctx.clock.now()).changes,
    ),
  );
}

/**
 * Releases what instances that are gone left behind (expired leases, and every lease of an owner known to
 * be gone) and returns the gone owners' preprocess runs that were never removed.
 */
export function recoverAbandoned(ctx: StoreContext): Promise<OpenPreprocessRun[]> {
  return ctx.group.write(() => {
    const owners = ctx
      .sql(
        'SELECT DISTINCT lease_owner AS owner FROM recipients WHERE lease_owner IS NOT NULL UNION SELECT DISTINCT owner FROM preprocess_runs',
      )
      .all() as { owner: string }[];
    const gone = owners.map((r) => r.owner).filter((owner) => owner !== ctx.owner && isGoneOwner(owner));
    const release = ctx.sql(
      'UPDATE recipients SET lease_owner = NULL, lease_expires = NULL WHERE lease_owner = ?',
    );
    for (const owner of gone) release.run(owner);
    ctx
      .sql('UPDATE recipients SET lease_owner = NULL, lease_expires = NULL WHERE lease_expires < ?')
      .run(ctx.clock.now());
    const runs: OpenPreprocessRun[] = [];
    const select = ctx.sql(
      'SELECT run_id, message, logon FROM preprocess_runs WHERE owner = ? ORDER BY recorded_at',
    );
    for (const owner of gone) {
      for (const row of select.all(owner) as { run_id: string; message: string; logon: string }[]) {
        runs.push({
          runId: row.run_id,
          messageId: row.message,
          logonId: row.logon,
          preprocessor: Number(row.run_id.split('.').at(-1)),
        });
      }
    }
    return runs;
  });
}

/** Forgets preprocess runs whose removal ran, in the next group commit. */
export function markRunsRemoved(ctx: StoreContext, runIds: readonly string[]): Promise<void> {
  if (runIds.length === 0) return Promise.resolve();
  return ctx.group.write(() => deleteRuns(ctx, runIds));
}

/** Forgets preprocess runs inside a write that is already running (a settle, or markRunsRemoved). */
export function deleteRuns(ctx: StoreContext, runIds: readonly string[]): void {
  // A removed run is of no further use: deleting it keeps the table as small as what is in flight.
  const remove = ctx.sql('DELETE FROM preprocess_runs WHERE run_id = ?');
  for (const id of runIds) remove.run(id);
}
