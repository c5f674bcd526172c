import { isAddressType } from '@spool/spi';
import { Redactor } from '../util/redact.js';
import { parseDuration } from './duration.js';
import { resolveEnvReferences } from './env.js';
import { invalidKeyOf, isObject, type Raw } from './profile-checks.js';
import { normalizeProviders, type ProviderEntryConfig } from './provider-entries.js';
import { normalizeRetry, type RetryPolicy } from './retry-policy.js';
import { normalizeStore, type StoreConfig } from './store-config.js';

// The profile's types are imported from here across the core; each section's types live beside its checks.
export type { AccountConfig, ProviderEntryConfig } from './provider-entries.js';
export type { RetryPolicy } from './retry-policy.js';
export {
  DEFAULT_STORE_FILE,
  type EmbeddedStoreConfig,
  type PackagedStoreConfig,
  type StoreConfig,
} from './store-config.js';

/** The normalised profile every other part of the host reads. */
export interface Profile {
  /** The profile file, or undefined for a profile given as an object. */
  readonly file: string | undefined;
  /** The directory providers resolve from and relative paths are relative to. */
  readonly dir: string;
  readonly providers: readonly ProviderEntryConfig[];
  /** Address type given to a bare email address. */
  readonly defaultAddressType: string;
  /** The message store: the embedded one (with its file) or a store package (with its options). */
  readonly store: StoreConfig;
  readonly retry: RetryPolicy;
  /** How long finished messages stay in Sent and Deleted (undefined: forever). */
  readonly retention: { readonly sentMs?: number; readonly deletedMs?: number };
  /** How often logons that poll are polled when they do not set their own interval. */
  readonly pollIntervalMs: number;
  /** Message class prefix → folder, for inbound messages (longest prefix wins). */
  readonly receiveFolders: Readonly<Record<string, string>>;
  /** The secrets seen while loading, masked in every log and error. */
  readonly redactor: Redactor;
}

/** The raw profile as written by people (every field optional). */
export interface ProfileInput {
  providers?: unknown;
  defaultAddressType?: unknown;
  store?: unknown;
  retry?: unknown;
  retention?: unknown;
  pollInterval?: unknown;
  receiveFolders?: unknown;
}

// In milliseconds (5s): a profile that leaves it out, as most do, needs no duration parsing at start.
const DEFAULT_POLL_INTERVAL_MS = 5_000;

/**
 * Checks and normalises a raw profile. Every error names the file and the key, and says what was expected.
 * `${ENV}` references are resolved here, and their values registered as secrets. Sections are checked in a
 * fixed order, so a profile with several mistakes always reports the same one first.
 */
export function normalizeProfile(
  input: unknown,
  where: { file?: string; dir: string; env?: NodeJS.ProcessEnv },
): Profile {
  const file = where.file;
  const redactor = new Redactor();
  const invalid = invalidKeyOf(file, redactor);
  if (!isObject(input))
    throw invalid(
      '(top level)',
      'must be an object',
      'Write the profile as a mapping of keys to values; see `spool init`.',
    );
  const raw = resolveEnvReferences(input, '', {
    env: where.env ?? process.env,
    redactor,
    file: file ?? 'profile',
  }) as Raw;

  const providers = normalizeProviders(raw.providers, invalid);

  const defaultAddressType = raw.defaultAddressType ?? 'SMTP';
  if (!isAddressType(defaultAddressType)) {
    throw invalid(
      'defaultAddressType',
      `must be an address type like "SMTP", got ${JSON.stringify(defaultAddressType)}`,
      'Use letters, digits and dashes, starting with a letter.',
    );
  }

  const store = normalizeStore(raw.store, where.dir, redactor, invalid);
  const retry = normalizeRetry(raw.retry, invalid);

  const retentionInput = raw.retention ?? {};
  if (!isObject(retentionInput))
    throw invalid('retention', 'must be a mapping', 'Example: retention: { sent: 30d, deleted: 7d }');
  const retention: { sentMs?: number; deletedMs?: number } = {};
  for (const [key, field] of [
    ['sent', 'sentMs'],
    ['deleted', 'deletedMs'],
  ] as const) {
    if (retentionInput[key] === undefined) continue;
    const parsed = parseDuration(retentionInput[key]);
    if (parsed === undefined) throw invalid(`retention.${key}`, 'must be a duration', 'Example: sent: 30d');
    retention[field] = parsed;
  }

  const pollIntervalMs = parseDuration(raw.pollInterval ?? DEFAULT_POLL_INTERVAL_MS);
  if (pollIntervalMs === undefined || pollIntervalMs <= 0)
    throw invalid('pollInterval', 'must be a positive duration', 'Example: pollInterval: 5s');

  const foldersInput = raw.receiveFolders ?? {};
  if (!isObject(foldersInput) || !Object.values(foldersInput).every((v) => typeof v === 'string')) {
    throw invalid(
      'receiveFolders',
      'must map message-class prefixes to folder names',
      'Example: receiveFolders: { REPORT: Inbox }',
    );
  }

  return {
    file,
    dir: where.dir,
    providers,
    defaultAddressType: defaultAddressType.toUpperCase(),
    store,
    retry,
    retention,
    pollIntervalMs,
    receiveFolders: foldersInput as Record<string, string>,
    redactor,
  };
}
