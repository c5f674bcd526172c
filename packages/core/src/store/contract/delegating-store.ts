import type { MessageStore, StoreAdmin } from '../ports.js';
import type {
  Claim,
  ClaimOptions,
  Cursor,
  Disposition,
  InsertResult,
  NewMessage,
  OpenPreprocessRun,
  PendingRecipient,
  RetentionRule,
  RouteDecision,
  SearchQuery,
  Settlement,
  SettleResult,
  StoredMessage,
  UnroutedRecipient,
} from '../types.js';

/**
 * A store that forwards every operation to another: the base of the mutant stores, which override the one
 * operation whose promise they break. Spelled out method by method, so the compiler checks that it covers
 * the whole {@link MessageStore} interface.
 */
export class DelegatingStore implements MessageStore {
  constructor(protected readonly inner: MessageStore) {}

  get description(): string {
    return this.inner.description;
  }
  get admin(): StoreAdmin | undefined {
    return this.inner.admin;
  }
  now(): Promise<number> {
    return this.inner.now();
  }
  insert(message: NewMessage): Promise<InsertResult> {
    return this.inner.insert(message);
  }
  unrouted(limit: number): Promise<UnroutedRecipient[]> {
    return this.inner.unrouted(limit);
  }
  route(decisions: readonly RouteDecision[]): Promise<{ finished: StoredMessage[] }> {
    return this.inner.route(decisions);
  }
  claim(route: string, options: ClaimOptions): Promise<Claim[]> {
    return this.inner.claim(route, options);
  }
  settle(settlement: Settlement): Promise<SettleResult> {
    return this.inner.settle(settlement);
  }
  finish(
    messageId: string,
    finish: { readonly disposition: Disposition; readonly reports: readonly NewMessage[] },
  ): Promise<void> {
    return this.inner.finish(messageId, finish);
  }
  unfinished(): Promise<StoredMessage[]> {
    return this.inner.unfinished();
  }
  cancel(messageId: string, options: { readonly folder: string }): Promise<StoredMessage> {
    return this.inner.cancel(messageId, options);
  }
  unroute(route: string): Promise<void> {
    return this.inner.unroute(route);
  }
  saveAddressTypes(entryId: string, addressTypes: readonly string[]): Promise<void> {
    return this.inner.saveAddressTypes?.(entryId, addressTypes) ?? Promise.resolve();
  }
  savedAddressTypes(): Promise<Map<string, readonly string[]>> {
    return this.inner.savedAddressTypes?.() ?? Promise.resolve(new Map());
  }
  renewLeases(leaseMs: number): Promise<void> {
    return this.inner.renewLeases(leaseMs);
  }
  releaseExpiredLeases(): Promise<number> {
    return this.inner.releaseExpiredLeases();
  }
  recoverAbandoned(): Promise<OpenPreprocessRun[]> {
    return this.inner.recoverAbandoned();
  }
  markRunsRemoved(runIds: readonly string[]): Promise<void> {
    return this.inner.markRunsRemoved(runIds);
  }
  nextDueInMs(): Promise<number | null> {
    return this.inner.nextDueInMs();
  }
  countDue(route: string | null, options?: { readonly dueBy?: number }): Promise<number> {
    return this.inner.countDue(route, options);
  }
  pending(options?: { readonly limit?: number }): Promise<PendingRecipient[]> {
    return this.inner.pending(options);
  }
  makeDue(route?: string): Promise<void> {
    return this.inner.makeDue(route);
  }
  applyRetention(rules: readonly RetentionRule[], batch: number): Promise<number> {
    return this.inner.applyRetention(rules, batch);
  }
  get(id: string): Promise<StoredMessage | undefined> {
    return this.inner.get(id);
  }
  list(
    folder: string,
    options?: { readonly after?: Cursor; readonly limit?: number },
  ): Promise<StoredMessage[]> {
    return this.inner.list(folder, options);
  }
  search(query: SearchQuery): Promise<StoredMessage[]> {
    return this.inner.search(query);
  }
  move(id: string, folder: string): Promise<void> {
    return this.inner.move(id, folder);
  }
  delete(id: string): Promise<void> {
    return this.inner.delete(id);
  }
  subscribe(listener: () => void): () => void {
    return this.inner.subscribe(listener);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
