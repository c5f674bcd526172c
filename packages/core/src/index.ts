/**
 * `@spool/core`: the public API, under semver. An application opens a profile and runs a spooler
 * (`loadProfile`, `createSpooler`, the `Spooler` facade and its typed events), reads or writes the message
 * store through its ports (`openStore`, `openMailbox`, `openEmbeddedStore`), and reads coded errors.
 *
 * The SPI types a provider implements (`TransportLogon`, `SpoolError`, `StatusRow`, …) come from
 * `@spool/spi`, not from here. What the CLI and the testkit need beyond this (the provider host, the
 * loader, the shared provider rules) is `@spool/core/internal`, which carries no semver promise.
 * Re-exports only: this file holds no code.
 */

export { ErrorCode, formatError } from './errors.js';
export { HOST_VERSION } from './host/provider-host.js';
export { HOST_SPI_VERSIONS } from './host/spi-versions.js';
export type { BreakerState, BreakerTransition } from './pipeline/breaker.js';
export { type CreateSpoolerOptions, createSpooler } from './pipeline/create-spooler.js';
export type {
  HandOffReason,
  HandOffSettled,
  HandOffStarted,
  ReceivedEvent,
  RecipientOutcomeEvent,
  SpoolerEventMap,
  SpoolerEventName,
} from './pipeline/events.js';
export { normalizeFolder } from './pipeline/folders.js';
export type { AttachmentInput, SubmitInput } from './pipeline/message-input.js';
export { Spooler } from './pipeline/spooler.js';
export type {
  Clock,
  FlushProgress,
  PassReport,
  ProviderInfo,
  SentMailDecision,
  SentMailHook,
  SpoolerOptions,
  WatchItem,
} from './pipeline/types.js';
// The payloads of reload() and of the 'status-row' event: types only, the functions behind them are internal.
export type { ProfileDiff } from './profile/diff.js';
export { type LoadProfileOptions, loadProfile, PROFILE_FILES } from './profile/load-profile.js';
export {
  type AccountConfig,
  normalizeProfile,
  type Profile,
  type ProfileInput,
  type ProviderEntryConfig,
  type RetryPolicy,
} from './profile/profile.js';
export type { StatusEvent } from './status/status-table.js';
export {
  type EmbeddedStore,
  type OpenStoreOptions,
  openEmbeddedStore,
  openMailbox,
  openStore,
  SCHEMA_VERSION,
} from './store/open-store.js';
export type {
  ChangeFeed,
  Mailbox,
  MailboxStore,
  MessageStore,
  QueueStore,
  StoreAdmin,
} from './store/ports.js';
export type {
  Claim,
  ClaimOptions,
  Cursor,
  Disposition,
  FinishIfDone,
  FolderName,
  InsertResult,
  MessageState,
  NewMessage,
  OpenPreprocessRun,
  PendingRecipient,
  RecipientState,
  RecipientUpdate,
  RetentionRule,
  RouteDecision,
  SearchQuery,
  Settlement,
  SettleResult,
  StoredMessage,
  StoredRecipient,
  UnroutedRecipient,
} from './store/types.js';
export { FOLDERS } from './store/types.js';
export { createLogger, type LogLevel, type LogSink, stderrSink } from './util/logger.js';
