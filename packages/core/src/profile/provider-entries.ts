import { type CallTimeouts, DEFAULT_TIMEOUTS } from '../host/call-runner.js';
import { DURATION_BOUNDS, readDuration } from './duration.js';
import { type BreakerConfig, normalizeEntryRouting } from './entry-routing.js';
import { type InvalidKey, isObject, type ProblemList, type Raw } from './profile-checks.js';

export type { BreakerConfig } from './entry-routing.js';

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
  /**
   * The `addressTypes:` key, upper-case: what the entry keeps claiming when its provider cannot load (so its
   * mail waits instead of bouncing); undefined when the profile leaves it out.
   */
  readonly addressTypes: readonly string[] | undefined;
  /** `failover: true`: while this entry cannot serve, the next entry claiming the type takes its mail. */
  readonly failover: boolean;
  /** The entry's breaker (on by default); undefined when the profile says `breaker: false`. */
  readonly breaker: BreakerConfig | undefined;
}

/** The keys of a provider entry. */
const ENTRY_KEYS = [
  'provider',
  'id',
  'options',
  'accounts',
  'timeouts',
  'ignoreSpiRange',
  'addressTypes',
  'failover',
  'breaker',
] as const;
const TIMEOUT_KEYS = ['inactivity', 'hardCap'] as const;

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
 * The `providers` section: a list of entries (a bare string is an entry with only `provider`), ids unique.
 * Each entry is checked on its own, so every entry's problems are reported; an entry with a bad value is
 * left out of the result (the profile is refused anyway).
 */
export function normalizeProviders(input: unknown, problems: ProblemList): ProviderEntryConfig[] {
  const { invalid } = problems;
  const providersInput = input ?? [];
  if (!Array.isArray(providersInput)) {
    throw invalid(
      'providers',
      'must be a list of provider entries',
      'Write providers as a list: providers: [{ provider: loopback }]',
    );
  }
  const ids = new Set<string>();
  const entries: ProviderEntryConfig[] = [];
  providersInput.forEach((entry, index) => {
    const normalized = problems.section(undefined, () => normalizeEntry(entry, index, ids, problems));
    if (normalized) entries.push(normalized);
  });
  return entries;
}

/** One entry of `providers`. */
function normalizeEntry(
  entry: unknown,
  index: number,
  ids: Set<string>,
  problems: ProblemList,
): ProviderEntryConfig {
  const { invalid } = problems;
  const keyPath = `providers[${index}]`;
  const spec = typeof entry === 'string' ? entry : isObject(entry) ? entry.provider : undefined;
  const e: Raw = isObject(entry) ? entry : {};
  problems.unknownKeys(e, keyPath, ENTRY_KEYS, 'a provider entry');
  if (typeof spec !== 'string' || spec === '') {
    throw invalid(
      keyPath,
      'needs a "provider" (package name, short name, or path)',
      'Example: - provider: loopback',
    );
  }
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
  // The entry's other keys are independent: each is checked on its own, so every bad one is reported.
  const before = problems.count;
  const options = problems.section({}, () => {
    const value = e.options ?? {};
    if (!isObject(value))
      throw invalid(`${keyPath}.options`, 'must be a mapping', 'Write options as key: value pairs.');
    return value;
  });
  const accounts = problems.section([], () => normalizeAccounts(e.accounts, `${keyPath}.accounts`, invalid));
  const timeouts = problems.section(DEFAULT_TIMEOUTS, () => {
    const timeoutsInput = e.timeouts ?? {};
    if (!isObject(timeoutsInput))
      throw invalid(
        `${keyPath}.timeouts`,
        'must be a mapping',
        'Example: timeouts: { inactivity: 30s, hardCap: 5m }',
      );
    problems.unknownKeys(timeoutsInput, `${keyPath}.timeouts`, TIMEOUT_KEYS, 'timeouts');
    return parseTimeouts(timeoutsInput, `${keyPath}.timeouts`, problems);
  });
  problems.section(undefined, () => {
    if (e.ignoreSpiRange !== undefined && typeof e.ignoreSpiRange !== 'boolean') {
      throw invalid(
        `${keyPath}.ignoreSpiRange`,
        'must be true or false',
        'Remove it unless you must load a provider outside its declared SPI range.',
      );
    }
  });
  const routing = normalizeEntryRouting(e, keyPath, problems);
  // A bad value leaves the entry out (the profile is refused anyway; its problems are recorded).
  if (problems.count > before) problems.fail();
  return {
    id,
    provider: spec,
    options,
    accounts,
    timeouts,
    ignoreSpiRange: e.ignoreSpiRange === true,
    keyPath,
    ...routing,
  };
}

/**
 * The durations of an entry's `timeouts` mapping: each more than 0 and at most a day (they arm timers), the
 * host's default where left out; each is checked on its own.
 */
function parseTimeouts(timeoutsInput: Raw, keyPath: string, problems: ProblemList): CallTimeouts {
  const duration = (key: string, fallback: number) =>
    problems.section(fallback, () => {
      const value = timeoutsInput[key];
      if (value === undefined) return fallback;
      return readDuration(value, `${keyPath}.${key}`, DURATION_BOUNDS.timer, problems.invalid, `${key}: 30s`);
    });
  return {
    inactivityMs: duration('inactivity', DEFAULT_TIMEOUTS.inactivityMs),
    hardCapMs: duration('hardCap', DEFAULT_TIMEOUTS.hardCapMs),
  };
}

/**
 * An entry's `accounts`: a list of `{ name, …options }` or a mapping of name → options, names unique and
 * simple. Left out, the entry has one account, `default`, with no options of its own.
 */
function normalizeAccounts(input: unknown, keyPath: string, invalid: InvalidKey): AccountConfig[] {
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
