import { isAbsolute, resolve } from 'node:path';
import { ErrorCode, spoolError } from '../errors.js';
import { type CallTimeouts, DEFAULT_TIMEOUTS } from '../host/call-runner.js';
import { ADDRESS_TYPE_PATTERN } from '../host/manifest.js';
import { Redactor } from '../util/redact.js';
import { parseDuration } from './duration.js';
import { resolveEnvReferences } from './env.js';

/** One account of a provider entry: its name and its own options (merged over the entry's). */
export interface AccountConfig {
  readonly name: string;
  readonly options: Readonly<Record<string, unknown>>;
}

/** One provider entry of the profile, normalised. Entries keep profile order: it is routing order. */
export interface ProviderEntryConfig {
  /** Unique id of the entry (`loopback`, `smtp-eu`); logon ids are `<id>/<account>`. */
  readonly id: string;
  /** What to load: a package name, a short name (`fax-sim`) or a path relative to the profile. */
  readonly provider: string;
  /** Options shared by every account. */
  readonly options: Readonly<Record<string, unknown>>;
  /** The accounts, at least one (`default` when the profile names none). */
  readonly accounts: readonly AccountConfig[];
  /** Timeouts for calls into this provider. */
  readonly timeouts: CallTimeouts;
  /** Load even when the manifest's SPI range excludes every host version (warns on every start). */
  readonly ignoreSpiRange: boolean;
  /** Where the entry is in the profile, for errors: `providers[1]`. */
  readonly keyPath: string;
}

/** When and how often the host retries a temporary failure. */
export interface RetryPolicy {
  /** Delay before retry n (the last one repeats), in ms. */
  readonly schedule: readonly number[];
  /** Each delay is multiplied by a random factor in `1 ± jitter`. */
  readonly jitter: number;
  /** A recipient still undelivered this long after submit fails with an NDR. */
  readonly maxAgeMs: number;
}

/** The embedded SQLite store, built in: `store: { path }`, `store: { kind: sqlite, path }`, or no `store`. */
export interface EmbeddedStoreConfig {
  readonly kind: 'sqlite';
  /** The store file, absolute. */
  readonly path: string;
}

/** A store package: `store: { kind: postgres, url: … }` (any `kind` but `sqlite`). */
export interface PackagedStoreConfig {
  readonly kind: 'package';
  /**
   * What `store.kind` said: a short name (`postgres` → `@spool/store-postgres`, `spool-store-postgres`,
   * `postgres`), a package name, or a path relative to the profile. Resolved from the profile's directory.
   */
  readonly spec: string;
  /** Every key of `store` but `kind`, `${ENV}` references resolved: the store's own options. */
  readonly options: Readonly<Record<string, unknown>>;
  /** Only the embedded store has a file. */
  readonly path?: undefined;
}

/** The profile's message store. */
export type StoreConfig = EmbeddedStoreConfig | PackagedStoreConfig;

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

// Defaults in milliseconds (30s, 2m, 10m, 30m, 1h, 2h, 4h; 3d; 5s): a profile that leaves them out, as most
// do, needs no duration parsing at start.
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DEFAULT_SCHEDULE_MS = [30_000, 2 * MINUTE, 10 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR, 4 * HOUR];
const DEFAULT_MAX_AGE_MS = 72 * HOUR;
const DEFAULT_POLL_INTERVAL_MS = 5_000;
export const DEFAULT_STORE_FILE = 'spool.db';

type Raw = Record<string, unknown>;
const isObject = (value: unknown): value is Raw =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Entry ids and account names: letters, digits, `.`, `_`, `-`, not starting with punctuation. */
const SIMPLE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * The short name an entry id defaults to: `@spool/provider-fax-sim` → `fax-sim`, `@acme/spool-provider-x` →
 * `x`, `./vendor/my-provider/` → `my-provider`. Plain string operations: this runs for every entry at start.
 */
function shortName(spec: string): string {
  let name = spec;
  while (name.endsWith('/') || name.endsWith('\\')) name = name.slice(0, -1);
  if (name.startsWith('@spool/provider-')) name = name.slice('@spool/provider-'.length);
  name = name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
  return name.startsWith('spool-provider-') ? name.slice('spool-provider-'.length) : name;
}

/**
 * Checks and normalises a raw profile. Every error names the file and the key, and says what was expected.
 * `${ENV}` references are resolved here, and their values registered as secrets.
 */
export function normalizeProfile(
  input: unknown,
  where: { file?: string; dir: string; env?: NodeJS.ProcessEnv },
): Profile {
  const file = where.file;
  const label = file ?? 'profile';
  const redactor = new Redactor();
  // Problems quote the offending value, which may have come from a secret: redact the message.
  const invalid = (key: string, problem: string, fix: string) =>
    spoolError(ErrorCode.PROFILE_INVALID, redactor.text(`${label}: ${key} ${problem}`), fix, {
      file: file ?? null,
      key,
    });
  if (!isObject(input))
    throw invalid(
      '(top level)',
      'must be an object',
      'Write the profile as a mapping of keys to values; see `spool init`.',
    );
  const raw = resolveEnvReferences(input, '', {
    env: where.env ?? process.env,
    redactor,
    file: label,
  }) as Raw;

  const providersInput = raw.providers ?? [];
  if (!Array.isArray(providersInput)) {
    throw invalid(
      'providers',
      'must be a list of provider entries',
      'Write providers as a list: providers: [{ provider: loopback }]',
    );
  }
  const ids = new Set<string>();
  const providers = providersInput.map((entry, index): ProviderEntryConfig => {
    const keyPath = `providers[${index}]`;
    const spec = typeof entry === 'string' ? entry : isObject(entry) ? entry.provider : undefined;
    if (typeof spec !== 'string' || spec === '') {
      throw invalid(
        keyPath,
        'needs a "provider" (package name, short name, or path)',
        'Example: - provider: loopback',
      );
    }
    const e: Raw = isObject(entry) ? entry : {};
    const id = e.id ?? shortName(spec);
    if (typeof id !== 'string' || !SIMPLE_NAME.test(id)) {
      throw invalid(
        `${keyPath}.id`,
        `must be a simple name (letters, digits, . _ -), got ${JSON.stringify(id)}`,
        'Give the entry an id like "smtp-eu".',
      );
    }
    if (ids.has(id)) {
      throw invalid(
        `${keyPath}.id`,
        `"${id}" is used by an earlier entry`,
        'Give each entry a distinct "id" when one provider is listed twice.',
      );
    }
    ids.add(id);
    const options = e.options ?? {};
    if (!isObject(options))
      throw invalid(`${keyPath}.options`, 'must be a mapping', 'Write options as key: value pairs.');
    const accounts = normalizeAccounts(e.accounts, `${keyPath}.accounts`, invalid);
    const timeoutsInput = e.timeouts ?? {};
    if (!isObject(timeoutsInput))
      throw invalid(
        `${keyPath}.timeouts`,
        'must be a mapping',
        'Example: timeouts: { inactivity: 30s, hardCap: 5m }',
      );
    const duration = (key: string, fallback: number) => {
      const value = timeoutsInput[key];
      if (value === undefined) return fallback;
      const parsed = parseDuration(value);
      if (parsed === undefined || parsed <= 0) {
        throw invalid(
          `${keyPath}.timeouts.${key}`,
          `must be a positive duration, got ${JSON.stringify(value)}`,
          'Use milliseconds or a string like "30s", "5m".',
        );
      }
      return parsed;
    };
    if (e.ignoreSpiRange !== undefined && typeof e.ignoreSpiRange !== 'boolean') {
      throw invalid(
        `${keyPath}.ignoreSpiRange`,
        'must be true or false',
        'Remove it unless you must load a provider outside its declared SPI range.',
      );
    }
    return {
      id,
      provider: spec,
      options,
      accounts,
      timeouts: {
        inactivityMs: duration('inactivity', DEFAULT_TIMEOUTS.inactivityMs),
        hardCapMs: duration('hardCap', DEFAULT_TIMEOUTS.hardCapMs),
      },
      ignoreSpiRange: e.ignoreSpiRange === true,
      keyPath,
    };
  });

  const defaultAddressType = raw.defaultAddressType ?? 'SMTP';
  if (typeof defaultAddressType !== 'string' || !ADDRESS_TYPE_PATTERN.test(defaultAddressType)) {
    throw invalid(
      'defaultAddressType',
      `must be an address type like "SMTP", got ${JSON.stringify(defaultAddressType)}`,
      'Use letters, digits and dashes, starting with a letter.',
    );
  }

  const store = normalizeStore(raw.store, where.dir, redactor, invalid);

  const retryInput = raw.retry ?? {};
  if (!isObject(retryInput))
    throw invalid(
      'retry',
      'must be a mapping',
      'Example: retry: { schedule: [30s, 5m], jitter: 0.2, maxAge: 3d }',
    );
  const scheduleInput = retryInput.schedule ?? DEFAULT_SCHEDULE_MS;
  if (!Array.isArray(scheduleInput) || scheduleInput.length === 0) {
    throw invalid(
      'retry.schedule',
      'must be a non-empty list of durations',
      'Example: schedule: [30s, 2m, 10m]',
    );
  }
  const schedule = scheduleInput.map((value, index) => {
    const parsed = parseDuration(value);
    if (parsed === undefined)
      throw invalid(
        `retry.schedule[${index}]`,
        `must be a duration, got ${JSON.stringify(value)}`,
        'Use milliseconds or a string like "30s".',
      );
    return parsed;
  });
  const jitter = retryInput.jitter ?? 0.2;
  if (typeof jitter !== 'number' || jitter < 0 || jitter >= 1) {
    throw invalid(
      'retry.jitter',
      `must be a number from 0 to below 1, got ${JSON.stringify(jitter)}`,
      'Example: jitter: 0.2',
    );
  }
  const maxAgeMs = parseDuration(retryInput.maxAge ?? DEFAULT_MAX_AGE_MS);
  if (maxAgeMs === undefined) throw invalid('retry.maxAge', 'must be a duration', 'Example: maxAge: 3d');

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
    retry: { schedule, jitter, maxAgeMs },
    retention,
    pollIntervalMs,
    receiveFolders: foldersInput as Record<string, string>,
    redactor,
  };
}

/**
 * The `store` section: no `kind` (or `sqlite`) is the embedded store and takes only `path`; any other `kind`
 * names a store package, and every other key is its options. Passwords in URL-valued options
 * (`postgres://user:password@host/db`) are registered as secrets, so no error, log or description shows them.
 */
function normalizeStore(
  input: unknown,
  dir: string,
  redactor: Redactor,
  invalid: (key: string, problem: string, fix: string) => Error,
): StoreConfig {
  const storeInput = input ?? {};
  if (!isObject(storeInput))
    throw invalid('store', 'must be a mapping', 'Example: store: { path: ./spool.db }');
  const { kind = 'sqlite', ...options } = storeInput;
  if (typeof kind !== 'string' || kind.trim() === '') {
    throw invalid(
      'store.kind',
      `must name a store (sqlite, a store package's short name, package name or path), got ${JSON.stringify(kind)}`,
      'Leave it out for the embedded store, or write e.g. store: { kind: postgres, url: ${DATABASE_URL} }',
    );
  }
  if (kind !== 'sqlite') {
    registerUrlPasswords(options, redactor);
    return { kind: 'package', spec: kind, options };
  }
  const extra = Object.keys(options).find((key) => key !== 'path');
  if (extra !== undefined) {
    throw invalid(
      `store.${extra}`,
      'is not an option of the embedded store, which takes only "path"',
      'To use a store package, name it: store: { kind: <name>, … }; otherwise remove the key.',
    );
  }
  const path = options.path ?? DEFAULT_STORE_FILE;
  if (typeof path !== 'string')
    throw invalid('store.path', 'must be a file path', 'Example: store: { path: ./spool.db }');
  return { kind: 'sqlite', path: isAbsolute(path) ? path : resolve(dir, path) };
}

/** `scheme://userinfo@`: the user info of a URL, up to its last `@` before the path. */
const URL_USER_INFO = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)@/;

/** Registers the password of every URL-valued string in `value` (deeply), raw and decoded, as a secret. */
function registerUrlPasswords(value: unknown, redactor: Redactor): void {
  if (typeof value === 'string') {
    const userInfo = URL_USER_INFO.exec(value)?.[1];
    const colon = userInfo?.indexOf(':') ?? -1;
    if (userInfo === undefined || colon < 0 || colon === userInfo.length - 1) return;
    const password = userInfo.slice(colon + 1);
    redactor.add(password);
    try {
      redactor.add(decodeURIComponent(password));
    } catch {
      // Not percent-encoded validly: the raw form is the one that appears.
    }
    // A password too short to mask alone is masked with the user info around it.
    redactor.add(`${userInfo}@`);
  } else if (Array.isArray(value)) {
    for (const item of value) registerUrlPasswords(item, redactor);
  } else if (isObject(value)) {
    for (const item of Object.values(value)) registerUrlPasswords(item, redactor);
  }
}

function normalizeAccounts(
  input: unknown,
  keyPath: string,
  invalid: (key: string, problem: string, fix: string) => Error,
): AccountConfig[] {
  if (input === undefined) return [{ name: 'default', options: {} }];
  const named = Array.isArray(input)
    ? input.map((item, index) => {
        if (!isObject(item) || typeof item.name !== 'string') {
          throw invalid(
            `${keyPath}[${index}]`,
            'needs a "name"',
            'Example: accounts: [{ name: alice, user: alice }]',
          );
        }
        const { name, ...options } = item;
        return [name, options] as const;
      })
    : isObject(input)
      ? Object.entries(input).map(([name, options]) => {
          if (options !== null && !isObject(options))
            throw invalid(
              `${keyPath}.${name}`,
              'must be a mapping of options',
              'Example: accounts: { alice: { user: alice } }',
            );
          return [name, options ?? {}] as const;
        })
      : undefined;
  if (!named || named.length === 0) {
    throw invalid(
      keyPath,
      'must name at least one account',
      'Leave "accounts" out for a single default account.',
    );
  }
  const seen = new Set<string>();
  return named.map(([name, options]) => {
    if (!SIMPLE_NAME.test(name) || seen.has(name)) {
      throw invalid(
        `${keyPath}.${name}`,
        'must be a unique simple name',
        'Use letters, digits, . _ - for account names.',
      );
    }
    seen.add(name);
    return { name, options: options as Record<string, unknown> };
  });
}
