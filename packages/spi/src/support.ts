import type { Logger } from './logger.js';
import type { Preprocessor } from './preprocessor.js';
import type { StatusRowPatch } from './status.js';

/**
 * A critical section (MAPI `SpoolerNotify(NOTIFY_CRITSEC)`): while it is held, the host suspends idle and
 * poll for this logon and reports it busy. Hold it only around work that must not be interrupted (a modem
 * handshake). Leave it with `leave()` or with `using`.
 */
export interface CriticalSection extends Disposable {
  /** Leaves the section (MAPI `NOTIFY_NONCRIT`). Safe to call twice. */
  leave(): void;
}

/**
 * The provider's only way back to the host (MAPI's support object), one per logon, passed to
 * `transportLogon`. After `transportLogoff` returns, every method throws `SPOOL_E_SUPPORT_INVALID`.
 */
export interface TransportSupport {
  /** The logon id, `<entry>/<account>`. */
  readonly logonId: string;
  /** The account name from the profile (`default` when the entry names none). */
  readonly account: string;
  /** A logger attributed to this logon; secrets are redacted. */
  readonly logger: Logger;
  /** A directory this logon owns for scratch files (created by the host, kept across restarts). */
  readonly dataDir: string;

  /**
   * Patches this logon's status row (partial update). Call it in `transportLogon` to create the row with an
   * identity; otherwise the host makes a default row. Counts as activity for the inactivity timeout.
   */
  modifyStatusRow(patch: StatusRowPatch): void;

  /**
   * A cancellation point for long work (MAPI `SpoolerYield`): lets the event loop run, resets the
   * inactivity timeout of the current call, and throws `SPOOL_E_CANCELLED` when `signal` was aborted.
   * Call it between pages, chunks or batches.
   */
  spoolerYield(signal?: AbortSignal): Promise<void>;

  /** Enters a critical section; see {@link CriticalSection}. */
  enterCriticalSection(): CriticalSection;

  /**
   * Tells the host that inbound mail is waiting (MAPI `NOTIFY_NEWMAIL`); the host calls `startMessage`
   * soon after. Cheap, and safe to call often.
   */
  notifyNewMail(): void;

  /**
   * Registers a preprocessor for this logon's routes. Call it during `transportLogon`; runs happen in
   * registration order.
   */
  registerPreprocessor(preprocessor: Preprocessor): void;
}
