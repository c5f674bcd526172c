import assert from 'node:assert/strict';
import type { MessageStore } from '../ports.js';
import type { Claim, Disposition, NewMessage, StoredMessage, StoredRecipient } from '../types.js';
import type { CaseContext } from './harness.js';

/** The lease the cases take unless they test leases (long: nothing expires unless the clock is moved). */
export const LEASE_MS = 30_000;

/** What a case may set on a message it builds; `routes` gives one recipient per entry (null: unrouted). */
export type MessageOverrides = Partial<Omit<NewMessage, 'recipients'>> & {
  readonly routes?: readonly (string | null)[];
  readonly recipients?: NewMessage['recipients'];
};

function base(t: CaseContext, overrides: MessageOverrides, outbound: boolean): NewMessage {
  const { routes = ['r1'], recipients, ...rest } = overrides;
  const id = rest.id ?? t.id();
  return {
    id,
    folder: outbound ? 'Outbox' : 'Inbox',
    state: outbound ? 'queued' : 'received',
    messageId: `<${id}@contract.test>`,
    from: 'SMTP:sender@example.com',
    subject: `subject of ${id}`,
    text: `text of ${id}`,
    html: null,
    messageClass: 'IPM.Note',
    properties: {},
    deleteAfterSubmit: false,
    reports: { delivery: false, nonDelivery: true },
    idempotencyKey: null,
    submittedAt: t.clock.now(),
    attachments: [],
    ...rest,
    recipients:
      recipients ??
      routes.map((route, index) => ({
        address: `LOOP:rcpt${index}@example.com`,
        addressType: 'LOOP',
        value: `rcpt${index}@example.com`,
        type: 'to' as const,
        ...(outbound ? { route } : {}),
      })),
  };
}

/** A queued Outbox message, one recipient per route (default: one recipient on route `r1`). */
export function outbound(t: CaseContext, overrides: MessageOverrides = {}): NewMessage {
  return base(t, overrides, true);
}

/** A received Inbox message. */
export function inbound(t: CaseContext, overrides: MessageOverrides = {}): NewMessage {
  return base(t, overrides, false);
}

/** Inserts the messages one after another (so in commit order); returns them. */
export async function insertAll(store: MessageStore, messages: readonly NewMessage[]): Promise<NewMessage[]> {
  for (const message of messages) await store.insert(message);
  return [...messages];
}

/** The stored message, which must exist. */
export async function must(store: MessageStore, id: string): Promise<StoredMessage> {
  const message = await store.get(id);
  assert.ok(message, `message ${id} should be in the store`);
  return message;
}

/** A recipient of a stored message, which must exist. */
export async function recipient(store: MessageStore, id: string, index: number): Promise<StoredRecipient> {
  const found = (await must(store, id)).recipients.find((r) => r.index === index);
  assert.ok(found, `message ${id} should have a recipient ${index}`);
  return found;
}

/** Claims `route` (no preprocessors) and returns the claims. */
export function claim(store: MessageStore, route: string, limit = 100, leaseMs = LEASE_MS): Promise<Claim[]> {
  return store.claim(route, { limit, leaseMs, preprocessors: 0 });
}

/** The claims as `[message id, recipient indexes]`, for one deepEqual. */
export function claimed(claims: readonly Claim[]): [string, number[]][] {
  return claims.map((c) => [c.message.id, c.recipients.map((r) => r.index)]);
}

/**
 * Takes a message the way a spooler does: inserted on a route of its own, claimed, every recipient delivered,
 * filed by `disposition` in the settle. Returns the stored message afterwards (undefined once deleted).
 */
export async function deliver(
  t: CaseContext,
  store: MessageStore,
  overrides: MessageOverrides = {},
  disposition: Disposition = { folder: 'Sent' },
): Promise<{ message: NewMessage; stored: StoredMessage | undefined }> {
  const id = overrides.id ?? t.id();
  const route = `route-${id}`;
  const message = outbound(t, { ...overrides, id, routes: [route] });
  await store.insert(message);
  const claims = await claim(store, route);
  assert.deepEqual(claimed(claims), [[id, [0]]], `the message ${id} should be claimed on ${route}`);
  await store.settle({
    messageId: id,
    route,
    updates: [{ index: 0, outcome: 'delivered' }],
    ifFinished: { disposition },
  });
  return { message, stored: await store.get(id) };
}

/** Asserts that `promise` rejects with a coded error carrying `code`. */
export async function rejectsWithCode(promise: Promise<unknown>, code: string, what: string): Promise<void> {
  await assert.rejects(
    promise,
    (error: unknown) => {
      assert.equal((error as { code?: unknown } | null)?.code, code, `${what}: the error code`);
      return true;
    },
    `${what} should be refused with ${code}`,
  );
}

/** Ids of messages, in the order given. */
export function ids(messages: readonly { readonly id: string }[]): string[] {
  return messages.map((m) => m.id);
}

/** Waits until `condition` holds, checking every `stepMs`, at most `maxMs`; returns whether it held. */
export async function eventually(condition: () => boolean, maxMs = 2000, stepMs = 20): Promise<boolean> {
  const until = Date.now() + maxMs;
  while (!condition()) {
    if (Date.now() >= until) return false;
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
  return true;
}

/** Waits a real `ms` (only the change feed needs it: it is told of other processes within a delay). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
