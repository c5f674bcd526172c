import type { Logger, TransportLogon, TransportProvider } from '@spool/spi';
import type { SpoolError } from '../errors.js';
import type { ProviderEntryConfig } from '../profile/profile.js';
import type { Activity } from './call-runner.js';
import type { ImportedProvider } from './load-provider.js';
import type { LogonSupport } from './support.js';

/** Where a provider entry stands. */
export type EntryStatus = 'active' | 'failed' | 'stopped';

/** What the host knows about one profile entry: its provider object and its logons, or why it failed. */
export interface EntryState {
  readonly config: ProviderEntryConfig;
  status: EntryStatus;
  error?: SpoolError;
  imported?: ImportedProvider;
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
  readonly logon: TransportLogon;
  readonly support: LogonSupport;
  readonly activity: Activity;
  readonly logger: Logger;
  addressTypes: readonly string[];
  state: 'active' | 'failed' | 'closed' = 'active';
  inboundEnabled = false;
  outboundEnabled = false;

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
    this.logon = init.logon;
    this.support = init.support;
    this.activity = init.activity;
    this.logger = init.logger;
    this.addressTypes = init.addressTypes;
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
