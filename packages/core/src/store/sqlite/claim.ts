import type { Claim, ClaimOptions } from '../types.js';
import { loadMessage, MESSAGE_WITH_BODY, type Row } from './rows.js';
import type { StoreContext } from './store-context.js';

/**
 * Leases up to `options.limit` hand-offs for `route` to this instance, FIFO by submit time, and records their
 * preprocess runs, in the next group commit.
 */
export function claimHandOffs(ctx: StoreContext, route: string, options: ClaimOptions): Promise<Claim[]> {
  if (options.limit <= 0) return Promise.resolve([]);
  return ctx.group.write(() => {
    const { sql } = ctx;
    const now = ctx.clock.now();
    // Recipients of one message are adjacent in this order: read until `limit` messages are complete.
    const rows = sql(
      `SELECT message, idx FROM recipients INDEXED BY recipients_claimable
       WHERE outcome = 'pending' AND lease_owner IS NULL AND route = ? AND next_attempt_at <= ?
       ORDER BY submitted_at, message, idx`,
    ).iterate(route, options.dueBy ?? now) as IterableIterator<{ message: string; idx: number }>;
    const byMessage = new Map<string, number[]>();
    for (const row of rows) {
      const list = byMessage.get(row.message);
      if (list) list.push(Number(row.idx));
      else if (byMessage.size < options.limit) byMessage.set(row.message, [Number(row.idx)]);
      else break; // the first recipient of one message too many: the iterator is closed by the break
    }
    const lease = sql(
      'UPDATE recipients SET lease_owner = ?, lease_expires = ? WHERE message = ? AND idx = ?',
    );
    const record = sql(
      'INSERT INTO preprocess_runs (run_id, message, logon, owner, recorded_at) VALUES (?, ?, ?, ?, ?)',
    );
    const claims: Claim[] = [];
    const routeLabel = route.replace(/[^A-Za-z0-9._-]/g, '_');
    for (const [messageId, indexes] of byMessage) {
      for (const index of indexes) lease.run(ctx.owner, now + options.leaseMs, messageId, index);
      const runIds: string[] = [];
      for (let k = 0; k < options.preprocessors; k++) {
        // Unique without a clock or a random number per run: this store's tag and a counter. The last
        // segment is the preprocessor's index, which recoverAbandoned reads back.
        const runId = `${messageId}.${routeLabel}.${ctx.runTag}${(++ctx.runCount).toString(36)}.${k}`;
        record.run(runId, messageId, route, ctx.owner, now);
        runIds.push(runId);
      }
      const row = ctx.justQueued.take(messageId) ?? readRow(ctx, messageId);
      const message = loadMessage(sql, messageId, row)!;
      ctx.handOffs.remember(message, Number(row?.body));
      const chosen = new Set(indexes);
      claims.push({ message, recipients: message.recipients.filter((r) => chosen.has(r.index)), runIds });
    }
    return claims;
  });
}

function readRow(ctx: StoreContext, id: string): Row | undefined {
  return ctx.sql(`${MESSAGE_WITH_BODY} WHERE m.id = ?`).get(id) as Row | undefined;
}
