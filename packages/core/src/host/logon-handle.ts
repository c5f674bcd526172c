import type { Logger, TransportLogon, TransportProvider } from '@spool/spi';
import { ErrorCode, SpoolError } from '../errors.js';
import type { ProviderEntryConfig } from '../profile/profile.js';
import type { Activity } from './call-runner.js';
import type { ImportedProvider } from './load-provider.js';
import type { LogonSupport } from './support.js';

/**
 * What a handle holds while its provider's logon is logged off for a relogon, or after a relogon failed: a
 * logon that does nothing and refuses hand-offs, so no call reaches the provider's old logon again (a stop
 * does not log it off twice) and the handle keeps its place, its id and its routes.
 */
export const LOGGED_OFF: TransportLogon = Object.freeze({
  addressTypes: () => [],
  async transportNotify() {},
  submitMessage() {
    throw new SpoolError(ErrorCode.STOPPED, 'the logon is logged off while the host logs it on again', {
      hint: 'Its mail waits; it is handed off once the logon serves again.',
    });
  },
  async transportLogoff() {},
});

/** Where a provider entry stands. */
export type EntryStatus = 'active' | 'failed' | 'stopped';

/** What the host knows about one profile entry: its provider object and its logons, or why it failed. */
export interface EntryState {
  readonly config: ProviderEntryConfig;
  status: EntryStatus;
  error?: SpoolError;
  imported?: ImportedProvider;
  /** The address types its manifest declares, once read (also when loading failed after that). */
  manifestTypes?: readonly string[];
  provider?: TransportProvider;
  readonly logons: LogonHandle[];
}

/**
 * One logged-on account: the provider's logon object plus everything the host keeps about it. Host use only
 * (scripts/check-architecture.mjs rule `logon-types-in-host`): the pipeline reaches a logon through the
 * provider port and sees it as a LogonView.
 */
export class LogonHandle {
  readonly id: string;
  readonly entry: EntryState;
  readonly account: string;
  readonly logger: Logger;
  addressTypes: readonly string[];
  /**
   * `active`: serving. `failed`: a call on it timed out, or logging it on again failed; it keeps its id, its
   * address types and the mail routed to it, and the pipeline logs it on again (host/relogon.ts). `closed`:
   * logged off for good (a stop, a reload).
   */
  state: 'active' | 'failed' | 'closed' = 'active';
  inboundEnabled = false;
  outboundEnabled = false;
  #logon: TransportLogon;
  #support: LogonSupport;
  #activity: Activity;

  constructor(init: {
    id: string;
    entry: EntryState;
    account: string;
    logon: TransportLogon;
    support: LogonSupport;
    activity: Activity;
    logger: Logger;
    addressTypes: readonly string[];
  }) {
    this.id = init.id;
    this.entry = init.entry;
    this.account = init.account;
    this.#logon = init.logon;
    this.#support = init.support;
    this.#activity = init.activity;
    this.logger = init.logger;
    this.addressTypes = init.addressTypes;
  }

  /** The provider's logon object; {@link LOGGED_OFF} between a relogon's logoff and its logon. */
  get logon(): TransportLogon {
    return this.#logon;
  }
  /** The support object the provider's logon holds. */
  get support(): LogonSupport {
    return this.#support;
  }
  /** Activity of this logon: its support calls touch it, its running calls' inactivity timers read it. */
  get activity(): Activity {
    return this.#activity;
  }

  /**
   * A relogon logged the provider's logon off: nothing may reach it again (a stop's logoff included), so it is
   * replaced by {@link LOGGED_OFF} until {@link reattach}.
   */
  detach(): void {
    this.#logon = LOGGED_OFF;
  }

  /**
   * A relogon logged the account on again: this handle takes the new logon's object, support, activity and
   * address types, so its id, its views, its routes and its status row stay the same. `fresh` is dropped.
   */
  reattach(fresh: LogonHandle): void {
    this.#logon = fresh.logon;
    this.#support = fresh.support;
    this.#activity = fresh.activity;
    this.addressTypes = fresh.addressTypes;
  }

  /**
   * The most `submitMessage` calls the host runs at once on this logon: the logon's `maxInFlight` when it is
   * an integer ≥ 1, else 1 (an invalid value was reported once, at logon).
   */
  get maxInFlight(): number {
    const value = this.logon.maxInFlight;
    return typeof value === 'number' && Number.isInteger(value) && value >= 1 ? value : 1;
  }

  /** The logon's own poll interval when it is a positive number (an invalid one was reported at logon). */
  get pollIntervalMs(): number | undefined {
    const value = this.logon.pollIntervalMs;
    return typeof value === 'number' && value > 0 ? value : undefined;
  }
}
