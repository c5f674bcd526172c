/**
 * The state of one traffic direction of a logon, as kept in its status row. The host sets these bits
 * (MAPI `STATUS_INBOUND_ENABLED`, `…_ACTIVE`, `…_FLUSH`); a provider reads them but never writes them.
 */
export interface DirectionState {
  /** Traffic in this direction was enabled with `transportNotify(begin-…)` and not yet ended. */
  readonly enabled: boolean;
  /** A hand-off (outbound) or a receive (inbound) is in progress right now. */
  readonly active: boolean;
  /** A flush of this direction is in progress. */
  readonly flushing: boolean;
}

/** Progress of a long operation, shown in `spool status` (e.g. "page 2 of 5"). */
export interface StatusProgress {
  /** Units done. */
  readonly done: number;
  /** Units in all. */
  readonly total: number;
  /** What is in progress, in words. */
  readonly text?: string;
}

/** The last error seen on a row: its stable code, a message (secrets redacted), and when. */
export interface StatusError {
  /** Stable error code, e.g. `SPOOL_E_TIMEOUT` or a provider's own. */
  readonly code: string;
  /** What happened, secrets redacted. */
  readonly message: string;
  /** ISO 8601 time it happened. */
  readonly at: string;
}

/** Counters the host keeps per row. */
export interface StatusCounters {
  /** Recipients delivered. */
  readonly sent: number;
  /** Recipients failed permanently. */
  readonly failed: number;
  /** Hand-offs or recipients deferred for a retry. */
  readonly deferred: number;
  /** Inbound messages stored. */
  readonly received: number;
}

/**
 * One row of the status table: one per logon, plus one for the spooler itself (MAPI's status table).
 *
 * Who writes it: the host keeps the traffic bits and counters; the provider patches its own row through
 * `support.modifyStatusRow()` (identity, text, progress, available/offline/failure, last error). Who reads it:
 * `spool status`, the daemon's `/status`, and applications through the spooler's status events.
 */
export interface StatusRow {
  /** The row id: `spooler`, or the logon id (`<entry>/<account>`). */
  readonly id: string;
  /** `spooler` for the host's own row, `logon` for a provider logon. */
  readonly kind: 'spooler' | 'logon';
  /** Name shown to people. */
  readonly displayName: string;
  /** The provider package and version (logon rows only). */
  readonly provider?: { readonly name: string; readonly version: string };
  /** The negotiated SPI version (logon rows only). */
  readonly spiVersion?: string;
  /** Who the logon is (e.g. `smtp://user@mail.example.com:587`), secrets redacted. */
  readonly identity?: string;
  /** The logon can take traffic (MAPI `STATUS_AVAILABLE`). */
  readonly available: boolean;
  /** The logon works offline (MAPI `STATUS_OFFLINE`). */
  readonly offline: boolean;
  /** The logon failed and needs attention (MAPI `STATUS_FAILURE`). */
  readonly failure: boolean;
  /** Inbound traffic state. */
  readonly inbound: DirectionState;
  /** Outbound traffic state. */
  readonly outbound: DirectionState;
  /** Status text in words. */
  readonly text: string;
  /** Progress of a long operation, if one is running. */
  readonly progress?: StatusProgress;
  /** Counters kept by the host. */
  readonly counters: StatusCounters;
  /** The last error, if any. */
  readonly lastError?: StatusError;
  /** ISO 8601 time of the last change. */
  readonly updatedAt: string;
}

/**
 * The part of a status row a provider may change with `support.modifyStatusRow()` (partial: unnamed fields
 * keep their values; `progress: null` and `lastError: null` clear them). Every call also counts as activity
 * for the host's inactivity timeout.
 */
export interface StatusRowPatch {
  /** New display name. */
  readonly displayName?: string;
  /** Who the logon is; never include a password. */
  readonly identity?: string;
  /** Status text. */
  readonly text?: string;
  /** Set or clear progress. */
  readonly progress?: StatusProgress | null;
  /** The logon can take traffic. */
  readonly available?: boolean;
  /** The logon works offline. */
  readonly offline?: boolean;
  /** The logon failed; set `lastError` too so people see why. */
  readonly failure?: boolean;
  /** Set or clear the last error (the host stamps `at` when omitted). */
  readonly lastError?: { readonly code: string; readonly message: string; readonly at?: string } | null;
}
