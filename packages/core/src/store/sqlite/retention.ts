import type { RetentionRule } from '../types.js';
import type { StoreContext } from './store-context.js';

/** Deletes finished messages older than each rule allows, at most `batch` in all; returns how many. */
export function applyRetention(
  ctx: StoreContext,
  rules: readonly RetentionRule[],
  batch: number,
): Promise<number> {
  return ctx.group.write(() => {
    const now = ctx.clock.now();
    let removed = 0;
    for (const rule of rules) {
      if (removed >= batch) break;
      const result = ctx
        .sql(
          'DELETE FROM messages WHERE id IN (SELECT id FROM messages WHERE folder = ? AND finished_at IS NOT NULL AND finished_at < ? LIMIT ?)',
        )
        .run(rule.folder, now - rule.olderThanMs, batch - removed);
      removed += Number(result.changes);
    }
    return removed;
  });
}
