/**
 * `@spool/core/internal`: what the CLI and the testkit need beyond the public API — the provider host and
 * loader, the shared provider rules (logon shape, outcome set, removal loop, options schema), the status
 * table, and helpers of the pipeline.
 *
 * NO SEMVER PROMISE: anything here may change or disappear in any release of `@spool/core`, a patch
 * included. That is why `@spool/cli` and `@spool/testkit` depend on `@spool/core` at an exact version. An
 * application or a provider imports `@spool/core` (or `@spool/spi`) instead.
 */

export { type Attribution, describeAttribution, messageOf } from './errors.js';
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
export {
  checkLogonShape,
  type InvalidLogonMember,
  type LogonShapeProblems,
  REQUIRED_LOGON_METHODS,
} from './host/logon-shape.js';
export { parseManifest, readManifest } from './host/manifest.js';
export { negotiateSpiVersion } from './host/negotiate.js';
export { checkSchema, type SchemaError, validateAgainstSchema } from './host/options-schema.js';
export { isRecipientOutcome, RECIPIENT_OUTCOME_STATUSES } from './host/outcome-set.js';
export {
  type EntryState,
  LogonHandle,
  ProviderHost,
  type ProviderHostOptions,
} from './host/provider-host.js';
export { type FailedRemoval, type RunToRemove, removePreprocessRuns } from './host/remove-runs.js';
export {
  candidateNames,
  isPathSpec,
  managedNodeModules,
  type ProviderSource,
  type ResolvedPackage,
  resolveProviderPackage,
  searchDirs,
} from './host/resolve.js';
export { LogonSupport, type SupportHost } from './host/support.js';
export { type ParsedAddress, parseAddress } from './pipeline/address.js';
export { newMessageId, rfcMessageId } from './pipeline/ids.js';
export { reloadLogonFailed } from './pipeline/reload.js';
export { buildReports, ORIGINAL_MESSAGE_TYPE } from './pipeline/reports.js';
export { isExpired, nextAttemptAt } from './pipeline/retry.js';
export { diffProfiles, type ProfileDiff } from './profile/diff.js';
export { parseDuration } from './profile/duration.js';
export { type HostRowPatch, type StatusEvent, StatusTable } from './status/status-table.js';
export { createLogger } from './util/logger.js';
export { Redactor } from './util/redact.js';
