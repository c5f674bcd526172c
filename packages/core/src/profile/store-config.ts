import { isAbsolute, resolve } from 'node:path';
import type { Redactor } from '../util/redact.js';
import { isExtensionKey, isObject, type ProblemList } from './profile-checks.js';

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

export const DEFAULT_STORE_FILE = 'spool.db';

/**
 * The `store` section: no `kind` (or `sqlite`) is the embedded store and takes only `path`; any other `kind`
 * names a store package, and every other key is its options (`x-` keys left out: they are notes and YAML
 * anchors, for no store). Passwords in URL-valued options (`postgres://user:password@host/db`) are registered
 * as secrets, so no error, log or description shows them. An unknown key of the embedded store is recorded in
 * `problems`.
 */
export function normalizeStore(
  input: unknown,
  dir: string,
  redactor: Redactor,
  problems: ProblemList,
): StoreConfig {
  const { invalid } = problems;
  const storeInput = input ?? {};
  if (!isObject(storeInput))
    throw invalid('store', 'must be a mapping', 'Example: store: { path: ./spool.db }');
  const { kind = 'sqlite', ...written } = storeInput;
  const options = Object.fromEntries(Object.entries(written).filter(([key]) => !isExtensionKey(key)));
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
  problems.unknownKeys(
    storeInput,
    'store',
    ['kind', 'path'],
    'the embedded store (to use a store package, set store.kind)',
  );
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
