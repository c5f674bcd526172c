import type { StoreAdmin } from '../ports.js';
import type { StoreContext } from './store-context.js';

/** The embedded store's maintenance; `migrated` is what opening the store did to its schema. */
export function storeAdmin(ctx: StoreContext, migrated: { from: number; to: number }): StoreAdmin {
  return {
    backup: (target) => backup(ctx, target),
    vacuum: () => vacuum(ctx),
    migrate: () => Promise.resolve({ ...migrated }),
    counters: () => ({ commits: ctx.group.commits }),
  };
}

async function vacuum(ctx: StoreContext): Promise<void> {
  await ctx.group.drain();
  ctx.db.exec('VACUUM');
  ctx.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
}

async function backup(ctx: StoreContext, file: string): Promise<void> {
  await ctx.group.drain();
  // VACUUM INTO writes a consistent, compacted copy while other connections keep reading and writing.
  ctx.db.prepare('VACUUM INTO ?').run(file);
}
