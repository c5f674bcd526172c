import type {
  EndMessageInfo,
  InboundMessage,
  JsonValue,
  Logger,
  OutboundMessage,
  OutboundRecipient,
  RemovePreprocessReason,
  StartMessageResult,
  SubmitMessageResult,
  TransportNotifyEvent,
} from '@spool/spi';
import type { Attribution, SpoolError } from '../errors.js';
import type { Profile } from '../profile/profile.js';
import type { StatusTable } from '../status/status-table.js';
import type { RouteTarget, UnavailableEntry } from './entry-claims.js';

/**
 * The provider port: the one way the pipeline reaches a provider. Calls are a fixed set of names, each with
 * typed arguments and result (rollup's `FunctionPluginHooks` plus the `inputHookNames` check); arguments and
 * results are plain data that survive `structuredClone`, the `AbortSignal` travels beside them, and the
 * support object and the inbound sink are separate channels. So an implementation that runs a provider in a
 * worker thread or a child process can replace the in-process one (host/in-process-port.ts) without a change
 * to the pipeline.
 */

/** Every call the pipeline may make into a provider, in the order a hand-off meets them. */
export const PROVIDER_CALL_NAMES = [
  'preprocess',
  'removePreprocessInfo',
  'submitMessage',
  'endMessage',
  'transportNotify',
  'startMessage',
  'poll',
  'idle',
] as const;

/** The name of a provider call. */
export type ProviderCallName = (typeof PROVIDER_CALL_NAMES)[number];

/** One preprocess run of a hand-off: which of the logon's preprocessors, and the run id the store recorded. */
export interface PreprocessArgs {
  /** The preprocessor, by registration order. */
  readonly index: number;
  readonly runId: string;
  readonly message: OutboundMessage;
  readonly recipients: readonly OutboundRecipient[];
}

/**
 * What a preprocess run gave the pipeline: properties to add to the message for this hand-off. The run's
 * `info` stays with the port, which hands it to `submitMessage` and `removePreprocessInfo` by run id.
 */
export interface PreprocessOutput {
  readonly properties?: Readonly<Record<string, JsonValue>>;
}

/** The runs of one message to remove (MAPI `RemovePreprocessInfo`), each exactly once, in order. */
export interface RemoveRunsArgs {
  readonly messageId: string;
  readonly reason: RemovePreprocessReason;
  /** Run ids in preprocessor order: `runIds[k]` is the run of preprocessor `firstIndex + k`. */
  readonly runIds: readonly string[];
  /** The preprocessor of the first run (default 0; recovery removes one run at a time). */
  readonly firstIndex?: number;
}

/** A provider call that failed, as plain data: its code, its message and who it belongs to. */
export interface ProviderCallFailure {
  readonly code: string;
  readonly message: string;
  readonly attribution: Attribution;
}

/** What removing runs found: removals that threw (the others still ran), runs of no registered preprocessor. */
export interface RemoveRunsOutput {
  readonly failed: readonly {
    readonly index: number;
    readonly runId: string;
    readonly error: ProviderCallFailure;
  }[];
  readonly unknown: readonly { readonly index: number; readonly runId: string }[];
}

/** A hand-off: the message, the recipients of this logon, and the run whose info `submitMessage` gets. */
export interface SubmitArgs {
  readonly message: OutboundMessage;
  readonly recipients: readonly OutboundRecipient[];
  /** The run of the logon's first preprocessor, if it ran. */
  readonly preprocessRun: string | undefined;
}

/** The result of a call that returns nothing (a provider may return `void` or a promise of it). */
// biome-ignore lint/suspicious/noConfusingVoidType: the SPI methods behind these calls return void.
export type NoResult = void;

/**
 * The argument and result of every call, by name. `PROVIDER_CALL_NAMES` must list exactly these keys (checked
 * below), so a call name, an argument or a result that does not fit is a type error where it is made.
 */
export interface ProviderCalls {
  preprocess: { args: PreprocessArgs; result: PreprocessOutput };
  removePreprocessInfo: { args: RemoveRunsArgs; result: RemoveRunsOutput };
  submitMessage: { args: SubmitArgs; result: SubmitMessageResult };
  endMessage: { args: EndMessageInfo; result: NoResult };
  transportNotify: { args: TransportNotifyEvent; result: NoResult };
  startMessage: { args: undefined; result: StartMessageResult };
  poll: { args: undefined; result: boolean };
  idle: { args: undefined; result: NoResult };
}

/** The argument of a call. */
export type ProviderCallArgs<N extends ProviderCallName> = ProviderCalls[N]['args'];
/** The result of a call. */
export type ProviderCallResult<N extends ProviderCallName> = ProviderCalls[N]['result'];

// The tuple and the map name the same calls: a name missing from either side fails to compile here.
type SameKeys<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const namesMatchCalls: SameKeys<ProviderCallName, keyof ProviderCalls> = true;
void namesMatchCalls;

/** Who a call is for and how it may be cut short; pass one object per hand-off, not one per call. */
export interface ProviderCallOptions {
  /** The message the call is about (attribution). */
  readonly messageId?: string;
  /** Aborting it (a cancel, a hurried stop) aborts the call's own signal. */
  readonly signal?: AbortSignal;
}

/**
 * A logon as the pipeline sees it: plain facts read live (getters over the host's state), no provider
 * object. `structuredClone(view)` is not the point; what a view returns is data.
 */
export interface LogonView {
  /** `entry/account`. */
  readonly id: string;
  /** The profile entry it belongs to. */
  readonly entryId: string;
  /** The package that provides it. */
  readonly provider: { readonly name: string; readonly version: string };
  /** The address types it claims, upper-case. */
  readonly addressTypes: readonly string[];
  /** The most `submitMessage` calls the host runs at once on it (1 when it names none or an invalid one). */
  readonly maxInFlight: number;
  /** How many preprocessors it registered (one preprocess run each per hand-off). */
  readonly preprocessors: number;
  /** It has `startMessage`: it can hand received messages to the host. */
  readonly receives: boolean;
  /** It has `poll`. */
  readonly polls: boolean;
  readonly hasEndMessage: boolean;
  readonly hasIdle: boolean;
  /** Its own poll interval, when it names a valid one (else the profile's applies). */
  readonly pollIntervalMs: number | undefined;
  /** `failed`: a call timed out, or logging it on again failed (it is logged on again); `closed`: logged off. */
  readonly state: 'active' | 'failed' | 'closed';
  readonly outboundEnabled: boolean;
  readonly inboundEnabled: boolean;
  /** True while it holds a critical section: no poll, idle or receive starts then. */
  readonly inCriticalSection: boolean;
}

/** One provider entry of the profile, as `spooler.providers()` reports it (plain data). */
export interface ProviderInfo {
  /** The entry id (`providers[].id`). */
  readonly id: string;
  /** The provider spec the profile names (`loopback`, `@acme/spool-provider-x@^2`, `./local`). */
  readonly spec: string;
  /** The package it loaded, when it got that far. */
  readonly package?: { readonly name: string; readonly version: string };
  /**
   * `active`: initialised and logged on; `failed`: could not load or log on, or one of its logons is failed
   * (a call timed out, or it could not log on again) until it serves again (see `error`); `stopped`: shut down.
   */
  readonly status: 'active' | 'failed' | 'stopped';
  /** Why the entry failed, with its stable code. */
  readonly error?: SpoolError;
  /** Its logons (`entry/account`), in profile order, that are not logged off. */
  readonly logons: readonly string[];
  /** Its logons whose breaker is open, and until when (epoch ms); set by the spooler, absent when none. */
  readonly suspended?: readonly { readonly logonId: string; readonly until: number }[];
}

export type { RouteTarget, UnavailableEntry };

/** Where a port delivers what providers send on their own: received messages (the inbound sink channel). */
export type InboundSave = (
  logonId: string,
  message: InboundMessage,
) => Promise<{ readonly id: string; readonly duplicate: boolean }>;

/** The provider port; see the module comment. */
export interface ProviderPort {
  /** The profile in force (a reload replaces it). */
  readonly profile: Profile;
  /** The status table: one row per logon plus the spooler's. */
  readonly statusTable: StatusTable;
  /** The host's logger, for the pipeline's own records. */
  readonly logger: Logger;

  /**
   * Runs one call on a logon through the call runner: inactivity timeout and hard cap, attribution
   * (provider, version, method, logon, message), containment. Rejects with the attributed SpoolError.
   */
  call<N extends ProviderCallName>(
    name: N,
    logonId: string,
    args: ProviderCallArgs<N>,
    options?: ProviderCallOptions,
  ): Promise<ProviderCallResult<N>>;
  /** Like `call`, but a failure is logged (warn, with its attribution) and resolves undefined. */
  tryCall<N extends ProviderCallName>(
    name: N,
    logonId: string,
    args: ProviderCallArgs<N>,
    options?: ProviderCallOptions,
  ): Promise<ProviderCallResult<N> | undefined>;

  /** Every logon that is not logged off, in profile order (routing order). */
  logons(): LogonView[];
  /** One logon by id, while its entry is loaded (a logged-off logon reads `closed`). */
  logon(logonId: string): LogonView | undefined;
  /** The logons that claim an address type, in profile order; a failed logon still claims (its mail waits). */
  claimants(addressType: string): LogonView[];
  /**
   * Where a recipient of an address type may go, in profile order: serving logons that claim it, and the
   * waiting route of each entry that cannot serve but still claims it (host/entry-claims.ts).
   */
  routes(addressType: string): RouteTarget[];
  /** The profile entries that cannot serve, in profile order: their waiting route, types and coded error. */
  unavailable(): UnavailableEntry[];
  /** Starts a failed entry again (the logon retry); true when it now serves. Traffic is begun by beginTraffic. */
  restartEntry(entryId: string): Promise<boolean>;
  /** Tells the port the address types the store recorded per entry at its last logon. */
  setRecordedClaims(recorded: ReadonlyMap<string, readonly string[]>): void;
  /** The logger of one logon (its records carry provider and logon). */
  loggerOf(logonId: string): Logger;
  /** The profile's provider entries, in profile order: what loaded, what failed and why, their logons. */
  providers(): ProviderInfo[];

  /** Enables traffic on every logon that has none yet (begin-outbound, then begin-inbound). */
  beginTraffic(): Promise<void>;
  /**
   * Reload, before anything changes: checks the entries `entryIds` of `profile` as a start would, without a
   * logon (host/check-entry.ts). Resolves to the refusals, each the entry's coded error; none: switch.
   */
  check(profile: Profile, entryIds: readonly string[]): Promise<SpoolError[]>;
  /**
   * Logs a logon off and on again in place (MAPI TransportLogoff, then TransportLogon), after a call on it
   * timed out: same id, so what is routed to it stays routed. Rejects with the coded error when it cannot
   * log on (it stays `failed`). Traffic is begun by beginTraffic.
   */
  restartLogon(logonId: string): Promise<void>;
  /** Reload, first half: logs off an entry's logons and forgets the entry. */
  retire(entryId: string): Promise<void>;
  /** Reload, second half: adopts the new profile and starts the entries `start` names that are not running. */
  adopt(profile: Profile, start: readonly string[]): Promise<void>;
  /** Logs every logon off and shuts every provider down. */
  stop(mode: 'orderly' | 'abort'): Promise<void>;

  /** A logon asked to be polled (`support.notifyNewMail`); returns the unsubscribe function. */
  onNewMail(listener: (logonId: string) => void): () => void;
  /** A logon entered (true) or left (false) a critical section; returns the unsubscribe function. */
  onCriticalSection(listener: (logonId: string, held: boolean) => void): () => void;
}
