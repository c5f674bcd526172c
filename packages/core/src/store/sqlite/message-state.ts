import { messageAfter } from '../recipient-state.js';
import type { MessageState, StoredMessage } from '../types.js';
import { loadMessage } from './rows.js';
import type { StoreContext } from './store-context.js';

/** The state of a stored message; undefined when there is none with this id. */
export function stateOf(ctx: StoreContext, id: string): MessageState | undefined {
  return (ctx.sql('SELECT state FROM messages WHERE id = ?').get(id) as { state: MessageState } | undefined)
    ?.state;
}

/** Marks a queued message finished when its recipients are all final; returns it then. */
export function markIfFinished(ctx: StoreContext, id: string, now: number): StoredMessage | null {
  const state = stateOf(ctx, id);
  if (state === undefined) return null;
  const outcomes = (
    ctx.sql('SELECT outcome FROM recipients WHERE message = ?').all(id) as { outcome: string }[]
  ).map((r) => r.outcome as 'pending');
  const next = messageAfter(state, outcomes);
  if (next.state === state) {
    if (state === 'cancelled' && next.ended) stampCancelledEnd(ctx, id, now);
    return null;
  }
  markFinished(ctx, id);
  return loadMessage(ctx.sql, id) ?? null;
}

/** A queued message whose recipients are all final becomes finished (still unfiled: see finish.ts). */
export function markFinished(ctx: StoreContext, id: string): void {
  ctx.justQueued.drop(id);
  ctx.sql("UPDATE messages SET state = 'finished' WHERE id = ?").run(id);
}

/** A cancelled message whose last in-flight recipient just settled: stamp when it ended. */
export function stampCancelledEnd(ctx: StoreContext, id: string, now: number): void {
  ctx
    .sql("UPDATE messages SET finished_at = ? WHERE id = ? AND state = 'cancelled' AND finished_at IS NULL")
    .run(now, id);
}
