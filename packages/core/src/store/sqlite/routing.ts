import { afterRouting } from '../recipient-state.js';
import type { RouteDecision, StoredMessage, UnroutedRecipient } from '../types.js';
import { markIfFinished } from './message-state.js';
import { FIELD_COLUMNS, type Row, toFields, writeRecipient } from './rows.js';
import type { StoreContext } from './store-context.js';

/** Pending recipients without a route, oldest first. */
export function unroutedRecipients(ctx: StoreContext, limit: number): Promise<UnroutedRecipient[]> {
  const rows = ctx
    .sql(
      "SELECT message, idx, address_type, tried FROM recipients INDEXED BY recipients_unrouted WHERE outcome = 'pending' AND route IS NULL ORDER BY submitted_at LIMIT ?",
    )
    .all(limit) as { message: string; idx: number; address_type: string; tried: string }[];
  return Promise.resolve(
    rows.map((r) => ({
      messageId: r.message,
      index: Number(r.idx),
      addressType: r.address_type,
      tried: JSON.parse(r.tried) as string[],
    })),
  );
}

/** Records routing decisions through the state machine; returns the messages a permanent failure finished. */
export function routeRecipients(
  ctx: StoreContext,
  decisions: readonly RouteDecision[],
): Promise<{ finished: StoredMessage[] }> {
  if (decisions.length === 0) return Promise.resolve({ finished: [] });
  return ctx.group.write(() => {
    const now = ctx.clock.now();
    const read = ctx.sql(`SELECT ${FIELD_COLUMNS} FROM recipients WHERE message = ? AND idx = ?`);
    const failedIn = new Set<string>();
    for (const decision of decisions) {
      const row = read.get(decision.messageId, decision.index) as Row | undefined;
      if (!row) continue;
      const before = toFields(row, now);
      const after = afterRouting(before, decision);
      if (!after) continue;
      writeRecipient(ctx.sql, decision.messageId, decision.index, before, after);
      if (after.outcome === 'failed') failedIn.add(decision.messageId);
    }
    const finished: StoredMessage[] = [];
    for (const id of failedIn) {
      const message = markIfFinished(ctx, id, now);
      if (message) finished.push(message);
    }
    return { finished };
  });
}

/** Un-routes the pending, unleased recipients of a route that no longer exists. */
export function unrouteRecipients(ctx: StoreContext, route: string): Promise<void> {
  return ctx.group.write(() => {
    ctx
      .sql(
        "UPDATE recipients SET route = NULL WHERE route = ? AND outcome = 'pending' AND lease_owner IS NULL",
      )
      .run(route);
  });
}

/** Records the address types an entry claimed at its logon (replacing what was recorded before). */
export function saveEntryAddressTypes(
  ctx: StoreContext,
  entryId: string,
  addressTypes: readonly string[],
): Promise<void> {
  return ctx.group.write(() => {
    ctx
      .sql(
        'INSERT INTO entry_address_types (entry, types, recorded_at) VALUES (?, ?, ?) ON CONFLICT (entry) DO UPDATE SET types = excluded.types, recorded_at = excluded.recorded_at',
      )
      .run(entryId, JSON.stringify(addressTypes), ctx.clock.now());
  });
}

/** Entry id → the address types recorded at its last logon. */
export function savedEntryAddressTypes(ctx: StoreContext): Promise<Map<string, readonly string[]>> {
  const rows = ctx.sql('SELECT entry, types FROM entry_address_types').all() as {
    entry: string;
    types: string;
  }[];
  return Promise.resolve(new Map(rows.map((r) => [r.entry, JSON.parse(r.types) as string[]])));
}
