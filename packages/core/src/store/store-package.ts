import { type Logger, MANIFEST_KEY } from '@spool/spi';
import { ErrorCode, spoolError } from '../errors.js';
import type { ResolvedPackage } from '../host/resolve.js';
import { isValidRange } from '../host/spi-range.js';
import type { MessageStore } from './ports.js';
import type { RecipientStates } from './recipient-state.js';

/**
 * What a store package is, as the host sees it before and after importing it: the `"spool"` manifest in its
 * package.json (`{ "store": "^1.0.0", "entry": "./dist/index.js" }`) and the `createStore(context)` its entry
 * exports. As MAPI loads message store providers the way it loads transports, a store package is found,
 * checked and imported like a provider package (docs/stores.md).
 */

/** The `"spool"` manifest of a store package. */
export interface StoreManifest {
  /** The semver range of store-port versions (`STORE_PORT_VERSION`) the package implements, e.g. `^1.0.0`. */
  readonly store: string;
  /** The module that exports `createStore`, relative to the package; defaults to the package's main export. */
  readonly entry?: string;
}

/** The name of the export of a store package's entry module that the host calls. */
export const STORE_INIT_EXPORT = 'createStore';

/** What the host hands a store package's `createStore`: everything it needs, so it never imports core. */
export interface StoreContext {
  /** The store-port version this host implements (`STORE_PORT_VERSION`); the manifest's range accepts it. */
  readonly storePortVersion: string;
  /** The profile's `store` section without `kind`, `${ENV}` references resolved (secrets included). */
  readonly options: Readonly<Record<string, unknown>>;
  /** The profile's directory: relative paths in the options are relative to it. */
  readonly profileDir: string;
  /** The spooler's clock (epoch ms). A store on a database server reads instants off the server instead. */
  readonly clock: { now(): number };
  /** A logger bound to the store; profile secrets are masked in everything it writes. */
  readonly logger: Logger;
  /** The recipient state machine every store persists through (`@spool/core/store`'s `recipientStates`). */
  readonly states: RecipientStates;
}

/** The `createStore` export of a store package: opens the store (connects, migrates) and returns it. */
export type CreateStore = (context: StoreContext) => MessageStore | Promise<MessageStore>;

/** Checks a raw `"spool"` manifest value of a store package: the manifest, or what is wrong with it. */
export function parseStoreManifest(raw: unknown): StoreManifest | { readonly problem: string } {
  if (raw === undefined) return { problem: 'the "spool" key is missing (is this a spool store package?)' };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return { problem: '"spool" must be an object' };
  const { store, entry } = raw as Record<string, unknown>;
  if (typeof store !== 'string' || !isValidRange(store)) {
    return { problem: `"spool.store" must be a semver range, got ${JSON.stringify(store)}` };
  }
  if (entry !== undefined && typeof entry !== 'string') {
    return { problem: `"spool.entry" must be a path string, got ${JSON.stringify(entry)}` };
  }
  return { store, ...(entry === undefined ? {} : { entry }) };
}

/** Reads and checks the manifest of a resolved store package. Runs none of its code. */
export function readStoreManifest(pkg: ResolvedPackage): StoreManifest {
  const version = String(pkg.packageJson.version ?? '0.0.0');
  const manifest = parseStoreManifest(pkg.packageJson[MANIFEST_KEY]);
  if (!('problem' in manifest)) return manifest;
  throw spoolError(
    ErrorCode.BAD_MANIFEST,
    `${pkg.name}@${version} (${pkg.dir}) has an invalid "spool" manifest in package.json: ${manifest.problem}`,
    'A store package\'s package.json needs "spool": { "store": "^1.0.0" } (and optionally "entry"). If it is not a spool store, name another store in the profile\'s store.kind.',
    { store: pkg.name, version, path: pkg.dir },
  );
}
