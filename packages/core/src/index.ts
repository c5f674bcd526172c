export * from '@spool/spi';
export {
  type Attribution,
  describeAttribution,
  ErrorCode,
  formatError,
} from './errors.js';
export {
  Activity,
  attributeError,
  CallRunner,
  type CallTimeouts,
  DEFAULT_TIMEOUTS,
} from './host/call-runner.js';
export {
  checkProviderObject,
  entryFileOf,
  type ImportedProvider,
  importProvider,
} from './host/load-provider.js';
export { readManifest } from './host/manifest.js';
export { negotiateSpiVersion } from './host/negotiate.js';
export {
  type EntryState,
  HOST_VERSION,
  LogonHandle,
  ProviderHost,
  type ProviderHostOptions,
} from './host/provider-host.js';
export {
  candidateNames,
  isPathSpec,
  managedNodeModules,
  type ProviderSource,
  type ResolvedPackage,
  resolveProviderPackage,
  searchDirs,
} from './host/resolve.js';
export { HOST_SPI_VERSIONS } from './host/spi-versions.js';
export { LogonSupport, type SupportHost } from './host/support.js';
export { type ParsedAddress, parseAddress } from './pipeline/address.js';
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
export { newMessageId, rfcMessageId } from './pipeline/ids.js';
export type { AttachmentInput, SubmitInput } from './pipeline/message-input.js';
export { buildReports, ORIGINAL_MESSAGE_TYPE } from './pipeline/reports.js';
export { isExpired, nextAttemptAt } from './pipeline/retry.js';
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
export { diffProfiles, type ProfileDiff } from './profile/diff.js';
export { parseDuration } from './profile/duration.js';
export { type LoadProfileOptions, loadProfile, PROFILE_FILES } from './profile/load-profile.js';
export {
  type AccountConfig,
  normalizeProfile,
  type Profile,
  type ProfileInput,
  type ProviderEntryConfig,
  type RetryPolicy,
} from './profile/profile.js';
export { type HostRowPatch, type StatusEvent, StatusTable } from './status/status-table.js';
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
export {
  type Claim,
  type ClaimOptions,
  type Cursor,
  type Disposition,
  type FinishIfDone,
  FOLDERS,
  type FolderName,
  type InsertResult,
  type MessageState,
  type NewMessage,
  type OpenPreprocessRun,
  type PendingRecipient,
  type RecipientState,
  type RecipientUpdate,
  type RetentionRule,
  type RouteDecision,
  type SearchQuery,
  type Settlement,
  type SettleResult,
  type StoredMessage,
  type StoredRecipient,
  type UnroutedRecipient,
} from './store/types.js';
export { createLogger, type LogLevel, type LogSink, stderrSink } from './util/logger.js';
export { Redactor } from './util/redact.js';
