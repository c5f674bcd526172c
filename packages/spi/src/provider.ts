import type { Logger } from './logger.js';
import type { OutboundMessage, OutboundRecipient } from './message.js';
import type { LogoffOptions, ShutdownOptions, TransportNotifyEvent } from './notify.js';
import type { EndMessageInfo, InboundSink, StartMessageResult, SubmitMessageResult } from './results.js';
import type { TransportSupport } from './support.js';

/** A JSON Schema (draft 2020-12) document, as a plain object. */
export type JsonSchema = { readonly [key: string]: unknown } | boolean;

/**
 * The runtime meta of a provider, stamped by `defineProvider()`. The host checks that `spi` and
 * `addressTypes` equal the package manifest, and validates each profile section against `optionsSchema`.
 */
export interface ProviderMeta {
  /** The package name, e.g. `@spool/provider-fax-sim`. */
  readonly name: string;
  /** The package version. */
  readonly version: string;
  /** The SPI range; must equal the manifest's `spool.spi`. */
  readonly spi: string;
  /** The default address types; must equal the manifest's `spool.addressTypes`. */
  readonly addressTypes: readonly string[];
  /** Name shown to people. */
  readonly displayName?: string;
  /** JSON Schema (2020-12) of the options section; the host validates the profile against it. */
  readonly optionsSchema?: JsonSchema;
}

/** What the host passes to `xpProviderInit`. */
export interface ProviderInitContext {
  /** The SPI version the host chose: the highest it implements that the manifest range accepts. */
  readonly spiVersion: string;
  /** Every SPI version this host implements, for a provider that wants to say why it refuses. */
  readonly hostSpiVersions: readonly string[];
  /** The version of `@spool/core`. */
  readonly hostVersion: string;
  /** The profile entry this provider object serves (its id). */
  readonly entryId: string;
  /** A logger attributed to this provider. */
  readonly logger: Logger;
}

/** What the host passes to `transportLogon` besides the support object: the account's profile section. */
export interface LogonSection<Options = Record<string, unknown>> {
  /** The account name (`default` when the entry names none). */
  readonly account: string;
  /** The entry's options merged with the account's, validated, `${ENV}` references resolved. */
  readonly options: Readonly<Options>;
  /** The directory of the profile file; resolve relative paths in options against it. */
  readonly profileDir: string;
}

/** What the host passes to each `submitMessage` call. */
export interface SubmitContext<Info = unknown> {
  /** Aborted when the message is cancelled or the host hurries to stop; stop promptly and throw. */
  readonly signal: AbortSignal;
  /** What this logon's preprocessor returned for this hand-off (undefined when it has none). */
  readonly preprocessInfo: Info | undefined;
}

/** What the host passes to `poll`, `startMessage` and `idle`. */
export interface OperationContext {
  /** Aborted when the host stops or hurries; stop promptly. */
  readonly signal: AbortSignal;
}

/**
 * A logon: one account of one provider, returned by `transportLogon` (MAPI `IXPLogon`).
 *
 * Call order, all by the host: `addressTypes()` right after logon; `transportNotify(begin-…)`; then any of
 * `submitMessage` (at most `maxInFlight` at once), `endMessage`, `poll`, `startMessage`, `idle`;
 * `transportNotify(end-…)`; `transportLogoff` once. A logon must never drain the Outbox by itself.
 */
export interface TransportLogon {
  /** The address types this logon claims (upper-case), e.g. `["SMTP"]`. Asked right after logon. */
  addressTypes(): readonly string[];
  /** How many `submitMessage` calls may run at once on this logon; the host never exceeds it. Default 1. */
  readonly maxInFlight?: number;
  /** When set, the host calls `poll` at this interval (MAPI `LOGON_SP_POLL`). */
  readonly pollIntervalMs?: number;

  /** Enables or disables traffic, or reports a flush or a cancelled deferral; see {@link TransportNotifyEvent}. */
  transportNotify(event: TransportNotifyEvent): void | Promise<void>;

  /**
   * Hands one message over for the given recipients (those routed to this logon). Return one outcome per
   * recipient, or `{ defer }` (or throw `SPOOL_E_BUSY` / `SPOOL_E_NETWORK`) when nothing could be sent.
   * Honour `context.signal`: when it aborts, stop and throw.
   */
  submitMessage(
    message: OutboundMessage,
    recipients: readonly OutboundRecipient[],
    context: SubmitContext,
  ): Promise<SubmitMessageResult>;

  /** Called after the host stored the outcomes of a hand-off durably (MAPI `EndMessage`). Optional. */
  endMessage?(info: EndMessageInfo): void | Promise<void>;

  /** Asks whether inbound mail is waiting (MAPI `Poll`). Optional; only for receiving providers. */
  poll?(context: OperationContext): Promise<boolean>;

  /**
   * Receives inbound messages into `sink` (MAPI `StartMessage`): at least one when any is waiting, and as many
   * more as the provider likes — `sink.save()` may be called several times, also concurrently (the host
   * commits concurrent saves together). Acknowledge each source only after its `save()` resolved. Return
   * whether more are waiting.
   */
  startMessage?(sink: InboundSink, context: OperationContext): Promise<StartMessageResult>;

  /** Background work when the queue is quiet (MAPI `Idle`). Optional; must honour the signal. */
  idle?(context: OperationContext): Promise<void>;

  /**
   * Closes the logon (MAPI `TransportLogoff`). Called once; after it returns the support object is
   * invalid. A logon dropped without it is logged off with `{ mode: 'orderly' }` by the host.
   */
  transportLogoff(options: LogoffOptions): Promise<void>;
}

/**
 * A provider object (MAPI `IXPProvider`), returned by `xpProviderInit` once per profile entry.
 * Keep per-entry state on it, never in module globals: one module may serve several entries.
 */
export interface TransportProvider<Options = Record<string, unknown>> {
  /** The runtime meta (stamped by `defineProvider`). */
  readonly meta: ProviderMeta;
  /** Opens a logon for one account (MAPI `TransportLogon`). Throw a coded error to refuse. */
  transportLogon(support: TransportSupport, section: LogonSection<Options>): Promise<TransportLogon>;
  /** Called once, after this provider's last logon closed (MAPI `Shutdown`). Release module-wide resources. */
  shutdown(options: ShutdownOptions): Promise<void>;
}

/**
 * The entry point a provider module exports as `xpProviderInit` (MAPI `XPProviderInit`). The host calls it
 * once per profile entry with the negotiated SPI version; throw `SPOOL_E_VERSION_REFUSED` to refuse it.
 */
export interface XPProviderInit<Options = Record<string, unknown>> {
  /** Creates a new provider object. */
  (context: ProviderInitContext): TransportProvider<Options> | Promise<TransportProvider<Options>>;
  /** The runtime meta, readable before the call. */
  readonly meta?: ProviderMeta;
}
