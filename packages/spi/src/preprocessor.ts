import type { JsonValue, OutboundMessage, OutboundRecipient } from './message.js';

/** What the host gives a preprocessor run. */
export interface PreprocessContext {
  /** Unique id of this run, recorded in the store before the run starts; name scratch files after it. */
  readonly runId: string;
  /** A directory this logon owns; keep the run's artifacts under it (e.g. `<workDir>/<runId>`). */
  readonly workDir: string;
  /** Aborted when the message is cancelled or the host hurries to stop. */
  readonly signal: AbortSignal;
}

/** What a preprocessor run returns. */
export interface PreprocessResult<Info = unknown> {
  /**
   * Anything the provider needs at hand-off (a built MIME message, rendered pages). The host passes it to
   * `submitMessage` as `context.preprocessInfo`, and to `removePreprocessInfo`. It is kept in memory only.
   */
  readonly info?: Info;
  /** Properties to add to the message for this hand-off (e.g. a trace stamp); the stored message is untouched. */
  readonly properties?: Readonly<Record<string, JsonValue>>;
}

/** Why `removePreprocessInfo` is being called. */
export type RemovePreprocessReason = 'delivered' | 'failed' | 'deferred' | 'cancelled' | 'recovered';

/** What the host gives `removePreprocessInfo`. */
export interface RemovePreprocessContext<Info = unknown> {
  /** The run whose artifacts to remove. */
  readonly runId: string;
  /** The spooler's id of the message. */
  readonly messageId: string;
  /** The same directory the run was given. */
  readonly workDir: string;
  /**
   * The run's `info`, or `undefined` when the run was recorded by a spooler that crashed: then clean up from
   * `runId` and `workDir` alone.
   */
  readonly info: Info | undefined;
  /** Why the run ends: the hand-off's outcome, a cancel, or recovery after a crash. */
  readonly reason: RemovePreprocessReason;
}

/**
 * A preprocessor pair (MAPI `PreprocessMessage` + `RemovePreprocessInfo`), registered by a logon with
 * `support.registerPreprocessor()` during `transportLogon`.
 *
 * The host runs `preprocess` before each hand-off of a message to the registering logon (only for its own
 * routes, in registration order), and `removePreprocessInfo` exactly once for every run it recorded: after
 * the hand-off succeeded, failed or was deferred, after a cancel, or — for a run recorded by a crashed
 * spooler — when the message is reclaimed. Both must be idempotent on their own artifacts.
 */
export interface Preprocessor<Info = unknown> {
  /** Name used in logs and errors. */
  readonly name: string;
  /** Prepares the message for hand-off (build MIME, render pages). Throwing defers the hand-off. */
  preprocess(
    message: OutboundMessage,
    recipients: readonly OutboundRecipient[],
    context: PreprocessContext,
  ): Promise<PreprocessResult<Info>>;
  /** Removes what `preprocess` made. Must not throw for artifacts that are already gone. */
  removePreprocessInfo(context: RemovePreprocessContext<Info>): Promise<void>;
}
