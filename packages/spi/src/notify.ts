/**
 * The events the host delivers through `logon.transportNotify()` (MAPI `TransportNotify`).
 *
 * - `begin-outbound` / `end-outbound`: the host starts / stops handing messages to this logon. After `end`
 *   returns, no new `submitMessage` starts.
 * - `begin-inbound` / `end-inbound`: the host starts / stops receiving from this logon. A listening provider
 *   opens its listener on `begin` and closes it on `end`.
 * - `begin-*-flush` / `end-*-flush`: a flush ("deliver now") of that direction starts / ends.
 * - `abort-deferred`: a message the provider deferred was cancelled (by the user, or by shutdown); drop any
 *   state kept for it.
 *
 * Return (or resolve) when the provider has acted on the event.
 */
export type TransportNotifyEvent =
  | { readonly type: 'begin-inbound' }
  | { readonly type: 'end-inbound' }
  | { readonly type: 'begin-outbound' }
  | { readonly type: 'end-outbound' }
  | { readonly type: 'begin-inbound-flush' }
  | { readonly type: 'end-inbound-flush' }
  | { readonly type: 'begin-outbound-flush' }
  | { readonly type: 'end-outbound-flush' }
  | { readonly type: 'abort-deferred'; readonly messageId: string; readonly reason: 'user' | 'shutdown' };

/** Every `TransportNotifyEvent` type, in the order a full session sees them. */
export const TRANSPORT_NOTIFY_TYPES = [
  'begin-inbound',
  'begin-outbound',
  'begin-outbound-flush',
  'end-outbound-flush',
  'begin-inbound-flush',
  'end-inbound-flush',
  'abort-deferred',
  'end-outbound',
  'end-inbound',
] as const satisfies readonly TransportNotifyEvent['type'][];

/**
 * How a logon is closed (MAPI `TransportLogoff` flags).
 *
 * - `orderly`: let in-flight work finish (the host has already stopped starting new work), then close.
 * - `abort`: the host is in a hurry; abort in-flight work now (its signals are already aborted) and close.
 */
export interface LogoffOptions {
  /** `orderly` unless the host is hurrying. */
  readonly mode: 'orderly' | 'abort';
}

/** Why the host shuts a provider down (MAPI `IXPProvider::Shutdown`). */
export interface ShutdownOptions {
  /** `stop` when the spooler stops, `reload` when the profile changed, `dispose` when dropped without one. */
  readonly reason: 'stop' | 'reload' | 'dispose';
}
