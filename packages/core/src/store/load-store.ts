import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { ErrorCode, isSpoolError, messageOf, SpoolError, spoolError } from '../errors.js';
import { entryFileOf } from '../host/load-provider.js';
import {
  candidateNames,
  type PackageFamily,
  type ResolvedPackage,
  resolveProviderPackage,
} from '../host/resolve.js';
import { greaterThan, maxSatisfying, minVersion } from '../host/spi-range.js';
import { createLogger, type LogSink, stderrSink } from '../util/logger.js';
import type { Redactor } from '../util/redact.js';
import { STORE_PORT_VERSION } from './index.js';
import type { MessageStore } from './ports.js';
import { recipientStates } from './recipient-state.js';
import {
  type CreateStore,
  readStoreManifest,
  STORE_INIT_EXPORT,
  type StoreContext,
} from './store-package.js';

/**
 * Loading a store package, in the order that keeps its code from running too early (the provider loader's
 * order): resolve it from the profile's directory, read its manifest, check that its `spool.store` range
 * accepts {@link STORE_PORT_VERSION} (refusing before any import), import the entry (ESM or CommonJS), call
 * its `createStore(context)` and check that what it returned is a {@link MessageStore}.
 */

/** Store packages: `postgres` → `@spool/store-postgres`, `spool-store-postgres`, then `postgres` itself. */
export const STORE_PACKAGES: PackageFamily = {
  noun: 'store',
  scopedPrefix: '@spool/store-',
  prefix: 'spool-store-',
  installHint: (spec) =>
    `Install it where the profile resolves packages (e.g. npm install ${candidateNames(spec, STORE_PACKAGES)[0]} in the profile's directory), or correct store.kind.`,
  pathHint:
    "Point store.kind at the folder that holds the store package's package.json, relative to the profile file.",
};

/**
 * The methods every store implements: the required members of {@link MessageStore} that are functions, in one
 * place. The type below fails to compile when a port gains a required method that is not listed here.
 */
export const REQUIRED_STORE_METHODS = [
  // QueueStore
  'now',
  'insert',
  'unrouted',
  'route',
  'claim',
  'settle',
  'finish',
  'unfinished',
  'cancel',
  'unroute',
  'renewLeases',
  'releaseExpiredLeases',
  'recoverAbandoned',
  'markRunsRemoved',
  'nextDueInMs',
  'countDue',
  'pending',
  'makeDue',
  'applyRetention',
  // MailboxStore
  'get',
  'list',
  'search',
  'move',
  'delete',
  // ChangeFeed
  'subscribe',
  // MessageStore
  'close',
] as const satisfies readonly (keyof MessageStore)[];

type RequiredMethod = {
  [K in keyof MessageStore]-?: undefined extends MessageStore[K]
    ? never
    : MessageStore[K] extends (...args: never[]) => unknown
      ? K
      : never;
}[keyof MessageStore];
const listsEveryMethod: [Exclude<RequiredMethod, (typeof REQUIRED_STORE_METHODS)[number]>] extends [never]
  ? true
  : never = true;
void listsEveryMethod;

/** What loading a store package takes. */
export interface LoadStoreOptions {
  /** What the profile's `store.kind` said. */
  readonly spec: string;
  /** The store's options (the profile's `store` section without `kind`). */
  readonly options: Readonly<Record<string, unknown>>;
  /** The profile's directory: the package resolves from here, never from core's own location. */
  readonly profileDir: string;
  /** Where in the profile the store is named, for errors (`/srv/spool.config.yaml: store.kind`). */
  readonly where: string;
  /** The profile's secrets: masked in every error, log record and the store's description. */
  readonly redactor: Redactor;
  readonly clock?: { now(): number };
  /** Where the store's log records go (default: stderr, `warn` and above). */
  readonly logSink?: LogSink;
  /** The store-port version the host implements (default {@link STORE_PORT_VERSION}). */
  readonly storePortVersion?: string;
}

/** Finds, checks, imports and opens a store package. Every error it throws has the profile's secrets masked. */
export async function loadStorePackage(options: LoadStoreOptions): Promise<MessageStore> {
  try {
    return await load(options);
  } catch (error) {
    throw redactError(error, options.redactor);
  }
}

async function load(options: LoadStoreOptions): Promise<MessageStore> {
  const hostVersion = options.storePortVersion ?? STORE_PORT_VERSION;
  const pkg = resolveProviderPackage(options.spec, {
    profileDir: options.profileDir,
    where: options.where,
    family: STORE_PACKAGES,
  });
  const manifest = readStoreManifest(pkg);
  const version = String(pkg.packageJson.version ?? '0.0.0');
  if (maxSatisfying([hostVersion], manifest.store) === null) {
    throw storeMismatch(pkg, version, manifest.store, hostVersion);
  }

  // entryFileOf reads only `entry` of the manifest it is given.
  const entryFile = entryFileOf(pkg, { spi: manifest.store, addressTypes: [], ...pick(manifest) });
  const facts = { store: pkg.name, version, path: pkg.dir, entry: entryFile };
  const entryHint = `The store package must export "${STORE_INIT_EXPORT}" from ${manifest.entry ? '"spool.entry"' : 'its main export'}; build it if dist/ is missing, or fix "spool.entry" in its package.json.`;
  if (!existsSync(entryFile)) {
    throw spoolError(
      ErrorCode.NO_ENTRY,
      `${pkg.name}@${version} (${pkg.dir}) has no entry module: ${entryFile} does not exist`,
      entryHint,
      facts,
    );
  }
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(entryFile).href)) as Record<string, unknown>;
  } catch (error) {
    throw importFailed(pkg, version, entryFile, error);
  }

  // CommonJS packages may arrive as { default: { createStore } } when named exports were not detected.
  const fromDefault = (module.default as Record<string, unknown> | undefined)?.[STORE_INIT_EXPORT];
  const create = module[STORE_INIT_EXPORT] ?? fromDefault;
  if (typeof create !== 'function') {
    throw spoolError(
      ErrorCode.BAD_SHAPE,
      `${pkg.name}@${version} (${pkg.dir}): ${entryFile} ${create === undefined ? `does not export "${STORE_INIT_EXPORT}"` : `exports "${STORE_INIT_EXPORT}" as a ${typeof create}, not a function`}`,
      entryHint,
      facts,
    );
  }

  const logger = createLogger(options.logSink ?? stderrSink(), options.redactor, {
    component: 'store',
    store: pkg.name,
  });
  const context: StoreContext = {
    storePortVersion: hostVersion,
    options: options.options,
    profileDir: options.profileDir,
    clock: options.clock ?? { now: () => Date.now() },
    logger,
    states: recipientStates,
  };
  let store: unknown;
  try {
    store = await (create as CreateStore)(context);
  } catch (error) {
    if (isSpoolError(error)) throw error;
    throw spoolError(
      ErrorCode.STORE_FAILED,
      `${pkg.name}@${version} (${pkg.dir}) could not open the store: ${messageOf(error)}`,
      "Check the store's options in the profile (store: …) and that what it connects to is reachable; the cause is attached.",
      { store: pkg.name, version, path: pkg.dir },
      error,
    );
  }
  const checked = await checkStoreObject(pkg, version, store);
  const description = options.redactor.text(checked.description);
  logger.info({ description, storePortVersion: hostVersion }, 'store opened');
  return description === checked.description ? checked : withDescription(checked, description);
}

function pick(manifest: { readonly entry?: string }): { entry?: string } {
  return manifest.entry === undefined ? {} : { entry: manifest.entry };
}

/** Refuses a store package whose range excludes the host's store-port version, before importing it. */
function storeMismatch(pkg: ResolvedPackage, version: string, range: string, hostVersion: string) {
  const wanted = minVersion(range) ?? range;
  const packageIsNewer = greaterThan(wanted, hostVersion);
  return spoolError(
    ErrorCode.STORE_MISMATCH,
    `${pkg.name}@${version} (${pkg.dir}) implements store ports ${range}, but this host implements store port ${hostVersion}`,
    packageIsNewer
      ? `Upgrade @spool/core / @spool/cli to a release that implements store port ${wanted}, or install a version of ${pkg.name} whose "spool.store" accepts ${hostVersion}.`
      : `Install a newer version of ${pkg.name} whose "spool.store" accepts ${hostVersion}, or use a host release that still implements store port ${wanted}.`,
    { store: pkg.name, version, path: pkg.dir, range, storePortVersion: hostVersion, needs: wanted },
  );
}

function importFailed(pkg: ResolvedPackage, version: string, entryFile: string, error: unknown) {
  const code = (error as { code?: unknown } | null)?.code;
  const kind =
    error instanceof SyntaxError
      ? 'a syntax error'
      : code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND'
        ? 'a missing dependency'
        : 'an error thrown while the module loaded';
  return spoolError(
    ErrorCode.IMPORT_FAILED,
    `${pkg.name}@${version} is installed at ${pkg.dir} but failed to import (${kind}): ${messageOf(error)}`,
    kind === 'a missing dependency'
      ? `Reinstall the store package so its dependencies are present, or report the missing dependency to its author.`
      : `Fix ${entryFile} or report it to the store package's author; the cause is attached.`,
    { store: pkg.name, version, path: pkg.dir, entry: entryFile, kind },
    error,
  );
}

/** Checks that `createStore` returned a store: a description and every method of the ports. */
async function checkStoreObject(
  pkg: ResolvedPackage,
  version: string,
  store: unknown,
): Promise<MessageStore> {
  const problem =
    typeof store !== 'object' || store === null
      ? `returned ${store === null ? 'null' : typeof store}, not a store object`
      : missingMembers(store as Record<string, unknown>);
  if (problem === undefined) return store as MessageStore;
  // Release what it may have opened (a connection pool) before refusing it.
  const close = (store as { close?: unknown } | null)?.close;
  if (typeof close === 'function') await Promise.resolve(close.call(store)).catch(() => undefined);
  throw spoolError(
    ErrorCode.BAD_SHAPE,
    `${pkg.name}@${version} (${pkg.dir}): ${STORE_INIT_EXPORT}() ${problem}`,
    `${STORE_INIT_EXPORT} must return a MessageStore (@spool/core/store): a description and every method of the store ports. Run runStoreContract from @spool/core/store-contract in the package's tests.`,
    { store: pkg.name, version, path: pkg.dir },
  );
}

function missingMembers(store: Record<string, unknown>): string | undefined {
  const missing: string[] = REQUIRED_STORE_METHODS.filter((name) => typeof store[name] !== 'function').map(
    (name) => `${name}()`,
  );
  if (typeof store.description !== 'string') missing.unshift('description (a string)');
  return missing.length === 0 ? undefined : `returned a store without ${missing.join(', ')}`;
}

/**
 * The store with `description` masked (it named a secret, e.g. a URL's password). The methods are bound to
 * the store itself, so a class with private fields keeps working.
 */
function withDescription(store: MessageStore, description: string): MessageStore {
  return new Proxy(store, {
    get(target, key) {
      if (key === 'description') return description;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** The error with the profile's secrets masked in its message, hint, details and cause. */
function redactError(error: unknown, redactor: Redactor): unknown {
  if (redactor.empty || !(error instanceof Error)) return error;
  const message = redactor.text(error.message);
  const cause = error.cause === undefined ? undefined : redactError(error.cause, redactor);
  const hint = (error as { hint?: unknown }).hint;
  const clean =
    message === error.message &&
    cause === error.cause &&
    (typeof hint !== 'string' || redactor.text(hint) === hint) &&
    JSON.stringify(redactor.value((error as { details?: unknown }).details)) ===
      JSON.stringify((error as { details?: unknown }).details);
  if (clean) return error;
  const copy = isSpoolError(error)
    ? new SpoolError(error.code, message, {
        ...(error.hint === undefined ? {} : { hint: redactor.text(error.hint) }),
        details: redactor.value({ ...error.details }),
        ...(cause === undefined ? {} : { cause }),
      })
    : new Error(message, cause === undefined ? undefined : { cause });
  if (error.stack) copy.stack = redactor.text(error.stack);
  return copy;
}
