/**
 * `@spool/core/store`: what a store package builds against, under semver. A store package declares the range
 * of {@link STORE_PORT_VERSION} it implements in its manifest (`"spool": { "store": "^1.0.0", "entry": … }`);
 * the host checks that range before it imports the package, then calls its `createStore(context)`.
 */
export type { ChangeFeed, Mailbox, MailboxStore, MessageStore, QueueStore, StoreAdmin } from './ports.js';
export {
  afterCancel,
  afterRouting,
  afterUpdate,
  isFinal,
  messageAfter,
  type RecipientFields,
  type RecipientStates,
  recipientStates,
} from './recipient-state.js';
export type { CreateStore, StoreContext } from './store-package.js';
export type * from './types.js';
export { FOLDERS } from './types.js';

/**
 * The version of the store ports this host implements; a store's manifest range must include it. 1.1 added
 * the optional `saveAddressTypes`/`savedAddressTypes` (what a provider entry claimed at its last logon).
 */
export const STORE_PORT_VERSION = '1.1.0';
