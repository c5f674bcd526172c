import { isAddressType } from '@spool/spi';
import { Redactor } from '../util/redact.js';
import { DURATION_BOUNDS, readDuration } from './duration.js';
import { resolveEnvReferences } from './env.js';
import { checkExpansion } from './expansion.js';
import { isObject, ProblemList, type Raw } from './profile-checks.js';
import { normalizeProviders, type ProviderEntryConfig } from './provider-entries.js';
import { normalizeRetry, type RetryPolicy } from './retry-policy.js';
import { normalizeStore, type StoreConfig } from './store-config.js';

// The profile's types are imported from here across the core; each section's types live beside its checks.
export type { AccountConfig, BreakerConfig, ProviderEntryConfig } from './provider-entries.js';
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

/** The keys of a profile; any other is refused, but for `x-` keys (notes, YAML anchors). */
const PROFILE_KEYS = [
  'providers',
  'defaultAddressType',
  'store',
  'retry',
  'retention',
  'pollInterval',
  'receiveFolders',
] as const satisfies readonly (keyof ProfileInput)[];
const RETENTION_KEYS = ['sent', 'deleted'] as const;

/**
 * Checks and normalises a raw profile. Every error names the file and the key, and says what was expected;
 * every bad key is reported, not only the first (one `SPOOL_E_PROFILE_INVALID` listing them in
 * `details.problems`). Unknown keys are refused with the closest known key as a suggestion; keys starting
 * with `x-` are allowed at every level of the profile's own sections (they hold notes and YAML anchors).
 * `${ENV}` references are resolved here, and their values registered as secrets. Sections are checked in a
 * fixed order, so a profile with several mistakes always lists them in the same order.
 */
export function normalizeProfile(
  input: unknown,
  where: { file?: string; dir: string; env?: NodeJS.ProcessEnv },
): Profile {
  const file = where.file;
  const redactor = new Redactor();
  const problems = new ProblemList(file, redactor);
  const { invalid } = problems;
  if (!isObject(input)) {
    problems.add(
      '(top level)',
      'must be an object',
      'Write the profile as a mapping of keys to values; see `spool init`.',
    );
    problems.throwIfAny();
  }
  checkExpansion(input, file);
  const raw = resolveEnvReferences(input, '', {
    env: where.env ?? process.env,
    redactor,
    file: file ?? 'profile',
  }) as Raw;
  problems.unknownKeys(raw, '', PROFILE_KEYS, 'the profile');

  const providers = problems.section([], () => normalizeProviders(raw.providers, problems));

  const defaultAddressType = problems.section('SMTP', () => {
    const value = raw.defaultAddressType ?? 'SMTP';
    if (!isAddressType(value)) {
      throw invalid(
        'defaultAddressType',
        `must be an address type like "SMTP", got ${JSON.stringify(value)}`,
        'Use letters, digits and dashes, starting with a letter.',
      );
    }
    return value;
  });

  const store = problems.section(undefined, () => normalizeStore(raw.store, where.dir, redactor, problems));
  const retry = problems.section(undefined, () => normalizeRetry(raw.retry, problems));
  const retention = problems.section({}, () => normalizeRetention(raw.retention, problems));

  const pollIntervalMs = problems.section(DEFAULT_POLL_INTERVAL_MS, () =>
    raw.pollInterval === undefined
      ? DEFAULT_POLL_INTERVAL_MS
      : readDuration(raw.pollInterval, 'pollInterval', DURATION_BOUNDS.timer, invalid, 'pollInterval: 5s'),
  );

  const receiveFolders = problems.section({}, () => {
    const foldersInput = raw.receiveFolders ?? {};
    if (!isObject(foldersInput) || !Object.values(foldersInput).every((v) => typeof v === 'string')) {
      throw invalid(
        'receiveFolders',
        'must map message-class prefixes to folder names',
        'Example: receiveFolders: { REPORT: Inbox }',
      );
    }
    return foldersInput as Record<string, string>;
  });

  problems.throwIfAny();
  return {
    file,
    dir: where.dir,
    providers,
    defaultAddressType: defaultAddressType.toUpperCase(),
    // Both are set: a section that failed recorded a problem, and throwIfAny threw it.
    store: store!,
    retry: retry!,
    retention,
    pollIntervalMs,
    receiveFolders,
    redactor,
  };
}

/** The `retention` section: how long Sent and Deleted keep messages (each 0 to 3650 days). */
function normalizeRetention(input: unknown, problems: ProblemList): Profile['retention'] {
  const retentionInput = input ?? {};
  if (!isObject(retentionInput))
    throw problems.invalid(
      'retention',
      'must be a mapping',
      'Example: retention: { sent: 30d, deleted: 7d }',
    );
  problems.unknownKeys(retentionInput, 'retention', RETENTION_KEYS, 'the retention section');
  const retention: { sentMs?: number; deletedMs?: number } = {};
  for (const [key, field] of [
    ['sent', 'sentMs'],
    ['deleted', 'deletedMs'],
  ] as const) {
    if (retentionInput[key] === undefined) continue;
    retention[field] = problems.section(undefined, () =>
      readDuration(
        retentionInput[key],
        `retention.${key}`,
        DURATION_BOUNDS.retention,
        problems.invalid,
        `${key}: 30d`,
      ),
    );
    if (retention[field] === undefined) delete retention[field];
  }
  return retention;
}
