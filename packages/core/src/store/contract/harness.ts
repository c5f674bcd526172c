import type { MessageStore } from '../ports.js';
import type { Cursor } from '../types.js';
import type { TestApi } from './test-api.js';

/** A clock the suite moves by hand, so lease expiry and due times are tested without waiting. */
export interface ManualClock {
  now(): number;
  /** Moves the clock forward by `ms`. */
  advance(ms: number): void;
}

/** What `open` receives: the case's clock (the store must read its instants off it) and its location. */
export interface StoreContractContext {
  readonly clock: { now(): number };
  readonly dir: string;
}

/** A new, empty store location for one case, and how to remove it afterwards. */
export interface StoreLocation {
  readonly dir: string;
  cleanup(): Promise<void>;
}

/** What {@link runStoreContract} takes. */
export interface StoreContractOptions extends Partial<TestApi> {
  /** The name of the outer `describe` (e.g. `sqlite store`). */
  readonly name: string;
  /**
   * Opens a NEW instance on the store at `ctx.dir`, reading time off `ctx.clock`. Called more than once in a
   * case: two instances are two spoolers on one store. The suite closes every instance it opened.
   */
  readonly open: (ctx: StoreContractContext) => Promise<MessageStore>;
  /** A new empty store location; called once per case, removed with `cleanup()` after it. */
  readonly fresh: () => Promise<StoreLocation>;
  /** Per-case timeout passed to `it` (default 30 s). */
  readonly timeoutMs?: number;
  /**
   * How two cursors of this store order (negative: `a` comes first). The default orders shorter strings
   * first, then by code unit: right for decimal integers (the embedded store) and for fixed-width tokens.
   */
  readonly compareCursors?: (a: Cursor, b: Cursor) => number;
}

/** What a case body gets: its clock, its location, and instances of the store there. */
export interface CaseContext {
  readonly clock: ManualClock;
  readonly dir: string;
  /** Opens another instance on the case's store (closed after the case unless closed before). */
  open(): Promise<MessageStore>;
  /** Closes an instance opened with {@link open} (a spooler that stops, or is abandoned). */
  close(store: MessageStore): Promise<void>;
  /** A message id unique within the case. */
  id(prefix?: string): string;
  readonly compareCursors: (a: Cursor, b: Cursor) => number;
}

/** One behaviour the contract promises, checked against a fresh store. */
export interface ContractCase {
  readonly name: string;
  readonly run: (t: CaseContext) => Promise<void>;
}

/** Cases of one concern, registered under one `describe`. */
export interface CaseGroup {
  readonly name: string;
  readonly cases: readonly ContractCase[];
}

/** Where every case's clock starts (a fixed instant, so a failure reproduces exactly). */
export const CLOCK_START = 1_800_000_000_000;

/** The default cursor order: shorter first, then by code unit. */
export function defaultCompareCursors(a: Cursor, b: Cursor): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Runs one case: a fresh location and clock, the body, then every instance closed and the location removed. */
export async function runCase(options: StoreContractOptions, body: ContractCase['run']): Promise<void> {
  const location = await options.fresh();
  let time = CLOCK_START;
  const clock: ManualClock = {
    now: () => time,
    advance: (ms) => {
      time += ms;
    },
  };
  const open = new Set<MessageStore>();
  let ids = 0;
  const context: CaseContext = {
    clock,
    dir: location.dir,
    open: async () => {
      const store = await options.open({ clock, dir: location.dir });
      open.add(store);
      return store;
    },
    close: async (store) => {
      open.delete(store);
      await store.close();
    },
    id: (prefix = 'm') => `${prefix}-${(++ids).toString().padStart(3, '0')}`,
    compareCursors: options.compareCursors ?? defaultCompareCursors,
  };
  try {
    await body(context);
  } finally {
    for (const store of open) await store.close().catch(() => undefined);
    await location.cleanup();
  }
}
