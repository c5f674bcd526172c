import type { MessageStore } from '../ports.js';
import type {
  Claim,
  ClaimOptions,
  Cursor,
  InsertResult,
  NewMessage,
  Settlement,
  SettleResult,
  StoredMessage,
} from '../types.js';
import { DelegatingStore } from './delegating-store.js';
import type { StoreContractContext } from './harness.js';

/**
 * Mutant stores: wrappers over a real store that break exactly one promise of the contract each, so a test
 * can show that the suite notices (a suite that passes a broken store checks nothing). Each implements the
 * whole {@link MessageStore} by delegation ({@link DelegatingStore}) and overrides one or two operations.
 */
export interface StoreMutant {
  /** The promise it breaks, in a sentence. */
  readonly breaks: string;
  /** Wraps an instance opened on `ctx.dir` (the same arguments `open` got). */
  wrap(store: MessageStore, ctx: StoreContractContext): MessageStore;
}

/** list() with an `after` returns its first two results swapped: cursor order is not list order. */
class ReorderedCursors extends DelegatingStore {
  override async list(
    folder: string,
    options?: { readonly after?: Cursor; readonly limit?: number },
  ): Promise<StoredMessage[]> {
    const page = await this.inner.list(folder, options);
    if (options?.after === undefined || page.length < 2) return page;
    return [page[1]!, page[0]!, ...page.slice(2)];
  }
}

/** Per store location: message id → the instance that first claimed it. */
const firstClaims = new Map<string, Map<string, object>>();

/** Leases never expire: nothing is ever released, and a message claimed once is never handed to another. */
class NeverExpires extends DelegatingStore {
  readonly #claimed: Map<string, object>;
  readonly #self = {};

  constructor(inner: MessageStore, location: string) {
    super(inner);
    const claimed = firstClaims.get(location) ?? new Map();
    firstClaims.set(location, claimed);
    this.#claimed = claimed;
  }

  override releaseExpiredLeases(): Promise<number> {
    return Promise.resolve(0);
  }

  override async claim(route: string, options: ClaimOptions): Promise<Claim[]> {
    const claims = await this.inner.claim(route, options);
    return claims.filter((c) => {
      const owner = this.#claimed.get(c.message.id);
      if (owner === undefined) this.#claimed.set(c.message.id, this.#self);
      return owner === undefined || owner === this.#self;
    });
  }
}

/**
 * settle() never applies `ifFinished`: it returns `disposed: false` and files the message in a separate
 * finish() a moment later, so the finish is not atomic with the settle (a crash in between leaves it unfiled).
 */
class SplitSettle extends DelegatingStore {
  readonly #later = new Set<Promise<void>>();

  override async settle(settlement: Settlement): Promise<SettleResult> {
    const { ifFinished, ...withoutFinish } = settlement;
    const result = await this.inner.settle(withoutFinish);
    const finished = result.finished;
    if (
      finished &&
      ifFinished &&
      !(ifFinished.unlessFailed && finished.recipients.some((r) => r.outcome === 'failed'))
    ) {
      const later: Promise<void> = new Promise<void>((resolve) => setTimeout(resolve, 5))
        .then(() =>
          this.inner.finish(settlement.messageId, { disposition: ifFinished.disposition, reports: [] }),
        )
        .catch(() => undefined)
        .finally(() => this.#later.delete(later));
      this.#later.add(later);
    }
    return { finished, disposed: false };
  }

  override async close(): Promise<void> {
    await Promise.all(this.#later);
    await this.inner.close();
  }
}

/** A repeated idempotency key stores a second copy under a fresh id and reports `duplicate: false`. */
class IgnoresIdempotency extends DelegatingStore {
  #copies = 0;

  override async insert(message: NewMessage): Promise<InsertResult> {
    const result = await this.inner.insert(message);
    if (!result.duplicate) return result;
    const id = `${message.id}.copy${++this.#copies}.${Math.random().toString(36).slice(2, 8)}`;
    await this.inner.insert({ ...message, id, idempotencyKey: null });
    return { id, messageId: message.messageId, duplicate: false };
  }
}

/** The mutants, by name. */
export const storeMutants = {
  reorderedCursors: {
    breaks: 'list({ after }) returns messages in cursor order',
    wrap: (store) => new ReorderedCursors(store),
  },
  neverExpires: {
    breaks: 'an expired lease is released, and another instance may then claim its recipients',
    wrap: (store, ctx) => new NeverExpires(store, ctx.dir),
  },
  splitSettle: {
    breaks: 'the settle that finishes a message applies ifFinished in the same commit',
    wrap: (store) => new SplitSettle(store),
  },
  ignoresIdempotency: {
    breaks: 'an insert with a stored idempotency key stores nothing and returns the stored id',
    wrap: (store) => new IgnoresIdempotency(store),
  },
} as const satisfies Record<string, StoreMutant>;
