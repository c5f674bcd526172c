export { ADDRESS_TYPE_PATTERN, isAddressType } from './address-type.js';
export { defineProvider, type ProviderDefinition, type ProviderImplementation } from './define-provider.js';
export { isSpoolError, SpiErrorCode, SpoolError, type SpoolErrorOptions } from './errors.js';
export type { Logger } from './logger.js';
export { MANIFEST_KEY, PROVIDER_INIT_EXPORT, PROVIDER_KEYWORD, type ProviderManifest } from './manifest.js';
export type {
  Attachment,
  InboundMessage,
  JsonValue,
  OutboundMessage,
  OutboundRecipient,
  RecipientType,
} from './message.js';
export {
  type LogoffOptions,
  type ShutdownOptions,
  TRANSPORT_NOTIFY_TYPES,
  type TransportNotifyEvent,
} from './notify.js';
export type {
  PreprocessContext,
  Preprocessor,
  PreprocessResult,
  RemovePreprocessContext,
  RemovePreprocessReason,
} from './preprocessor.js';
export type {
  JsonSchema,
  LogonSection,
  OperationContext,
  ProviderInitContext,
  ProviderMeta,
  SubmitContext,
  TransportLogon,
  TransportProvider,
  XPProviderInit,
} from './provider.js';
export type {
  DeferResult,
  EndMessageInfo,
  InboundSink,
  RecipientOutcome,
  StartMessageResult,
  SubmitMessageResult,
  SubmitResult,
} from './results.js';
export type {
  DirectionState,
  StatusCounters,
  StatusError,
  StatusProgress,
  StatusRow,
  StatusRowPatch,
} from './status.js';
export type { CriticalSection, TransportSupport } from './support.js';
export { SPI_VERSION } from './version.js';
