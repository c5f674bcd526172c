import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger, LogoffOptions, ShutdownOptions, TransportLogon, TransportProvider } from '@spool/spi';
import corePackage from '../../package.json' with { type: 'json' };
import { type Attribution, ErrorCode, formatError, messageOf, SpoolError } from '../errors.js';
import type { Profile, ProviderEntryConfig } from '../profile/profile.js';
import { blankRow, StatusTable } from '../status/status-table.js';
import { createLogger, type LogSink, stderrSink } from '../util/logger.js';
import { Activity, CallRunner, type CallTimeouts } from './call-runner.js';
import { checkProviderObject, type ImportedProvider, importProvider } from './load-provider.js';
import { ADDRESS_TYPE_PATTERN } from './manifest.js';
import { newResolveCache, type ResolveCache } from './resolve.js';
import { HOST_SPI_VERSIONS } from './spi-versions.js';
import { LogonSupport } from './support.js';
import { validateOptions } from './validate-options.js';

/** The version of this host, passed to providers in `xpProviderInit`. */
export const HOST_VERSION: string = corePackage.version;

/** How the host was asked to build itself. */
export interface ProviderHostOptions {
  readonly profile: Profile;
  /** Providers that ship with the CLI: package name → directory. */
  readonly builtins?: Readonly<Record<string, string>>;
  /** Where logs go (default: warnings and errors as JSON lines on stderr). */
  readonly logSink?: LogSink;
  /** Override the implemented SPI versions (tests only). */
  readonly hostSpiVersions?: readonly string[];
  /** Throw the first load or logon error instead of recording it and carrying on. */
  readonly strict?: boolean;
  /** Called when a logon asks to be polled (support.notifyNewMail). */
  readonly onNewMail?: (logon: LogonHandle) => void;
}

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

/** One logged-on account: the provider's logon object plus everything the host keeps about it. */
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
  readonly #runner: CallRunner;

  constructor(init: {
    id: string;
    entry: EntryState;
    account: string;
    logon: TransportLogon;
    support: LogonSupport;
    activity: Activity;
    logger: Logger;
    addressTypes: readonly string[];
    runner: CallRunner;
  }) {
    this.id = init.id;
    this.entry = init.entry;
    this.account = init.account;
    this.logon = init.logon;
    this.support = init.support;
    this.activity = init.activity;
    this.logger = init.logger;
    this.addressTypes = init.addressTypes;
    this.#runner = init.runner;
  }

  /** The most `submitMessage` calls the host runs at once on this logon. */
  get maxInFlight(): number {
    const value = this.logon.maxInFlight;
    return typeof value === 'number' && Number.isInteger(value) && value >= 1 ? value : 1;
  }

  /** Calls a logon method through the runner: timeout, attribution, containment. */
  call<T>(
    method: string,
    fn: (signal: AbortSignal) => T | Promise<T>,
    extra: { messageId?: string; signal?: AbortSignal } = {},
  ): Promise<T> {
    const imported = this.entry.imported!;
    return this.#runner.run(
      {
        attribution: {
          provider: imported.package.name,
          version: imported.version,
          method,
          logonId: this.id,
          ...(extra.messageId ? { messageId: extra.messageId } : {}),
        },
        timeouts: this.entry.config.timeouts,
        activity: this.activity,
        ...(extra.signal ? { signal: extra.signal } : {}),
      },
      fn,
    );
  }
}

/**
 * The provider host: loads every profile entry (XPProviderInit with two-sided SPI negotiation), logs on each
 * account, keeps the status table, and takes everything down again in MAPI order — end traffic, logoff each
 * logon, shutdown a provider after its last logon, then drop the module. One failing provider is recorded
 * and contained; the others carry on.
 */
export class ProviderHost implements AsyncDisposable {
  /** The profile in force; a reload (adopt) replaces it. */
  profile: Profile;
  readonly statusTable = new StatusTable();
  readonly entries: EntryState[] = [];
  readonly logger: Logger;
  readonly hostSpiVersions: readonly string[];
  readonly #options: ProviderHostOptions;
  readonly #sink: LogSink;
  readonly #runner: CallRunner;
  readonly #byAttribution = new Map<string, LogonHandle>();
  #stopped = false;

  private constructor(options: ProviderHostOptions) {
    this.#options = options;
    this.profile = options.profile;
    this.hostSpiVersions = options.hostSpiVersions ?? HOST_SPI_VERSIONS;
    this.#sink = options.logSink ?? stderrSink();
    this.logger = createLogger(this.#sink, this.profile.redactor, { component: 'host' });
    this.#runner = new CallRunner({
      onFailure: (attribution, error) => this.#contain(attribution, error),
      onLateResult: (attribution, outcome) =>
        this.logger.warn(
          { ...attribution, outcome },
          'discarded a provider result that arrived after its call timed out',
        ),
    });
  }

  /** Loads every entry and logs on every account, in profile order. */
  static async start(options: ProviderHostOptions): Promise<ProviderHost> {
    const host = new ProviderHost(options);
    // Phase 1, concurrently: resolve, check and import every entry's package. No provider code runs here but
    // module top levels, and overlapping the module loader's file reads is most of a fast start.
    const cache = newResolveCache();
    const imports = options.profile.providers.map((config) =>
      host.#import(config, cache).then(
        (imported) => ({ imported }),
        (error: unknown) => ({ error }),
      ),
    );
    // Phase 2, in profile order: xpProviderInit and the logons (the lifecycle order the SPI promises).
    for (const [index, config] of options.profile.providers.entries()) {
      const entry: EntryState = { config, status: 'active', logons: [] };
      host.entries.push(entry);
      try {
        const result = await imports[index]!;
        if ('error' in result) throw result.error;
        await host.#startEntry(entry, result.imported);
      } catch (error) {
        const spool = host.#failEntry(entry, error);
        if (options.strict) {
          await Promise.all(imports); // let the other imports settle before the host goes away
          await host.stop();
          throw spool;
        }
      }
    }
    return host;
  }

  /** An entry that could not start: its row shows the coded error; the host and the other entries carry on. */
  #failEntry(entry: EntryState, error: unknown): SpoolError {
    const spool =
      error instanceof SpoolError
        ? error
        : new SpoolError(ErrorCode.PROVIDER_FAILED, messageOf(error), { cause: error });
    entry.status = 'failed';
    entry.error = spool;
    this.logger.error(
      { entry: entry.config.id, code: spool.code },
      this.profile.redactor.text(formatError(spool)),
    );
    this.statusTable.put({
      ...blankRow(entry.config.id, 'logon', entry.config.id),
      failure: true,
      text: 'failed to load',
      lastError: {
        code: spool.code,
        message: this.profile.redactor.text(spool.message),
        at: new Date().toISOString(),
      },
    });
    return spool;
  }

  /**
   * Reload, first half: logs off every logon of an entry (end traffic, logoff, shutdown with reason `reload`)
   * and forgets the entry. The caller lets the entry's in-flight work finish first.
   */
  async retire(entryId: string, options: LogoffOptions = { mode: 'orderly' }): Promise<void> {
    const index = this.entries.findIndex((entry) => entry.config.id === entryId);
    if (index < 0) return;
    const entry = this.entries[index]!;
    for (const handle of entry.logons) await this.logoff(handle, options, 'reload');
    if (entry.status === 'active') await this.#shutdown(entry, 'reload');
    this.statusTable.remove(entryId); // the row of an entry that had failed to load
    this.entries.splice(index, 1);
  }

  /**
   * Reload, second half: adopts the new profile (its settings and its entry order) and starts the entries
   * `start` names that are not running: imported, initialised and logged on like at start. An entry that fails
   * shows it in its row; the others carry on. Traffic is not begun here (see beginTraffic).
   */
  async adopt(profile: Profile, start: readonly string[]): Promise<void> {
    this.profile = profile;
    for (const config of profile.providers) {
      if (!start.includes(config.id) || this.entries.some((entry) => entry.config.id === config.id)) continue;
      const entry: EntryState = { config, status: 'active', logons: [] };
      this.entries.push(entry);
      try {
        await this.#startEntry(entry, await this.#import(config));
      } catch (error) {
        this.#failEntry(entry, error);
      }
    }
    // Routing follows profile order: keep the entries in the new profile's order.
    const order = new Map(profile.providers.map((config, index) => [config.id, index]));
    this.entries.sort((a, b) => (order.get(a.config.id) ?? 0) - (order.get(b.config.id) ?? 0));
  }

  #import(config: ProviderEntryConfig, cache?: ResolveCache): Promise<ImportedProvider> {
    return importProvider(config.provider, {
      profileDir: this.profile.dir,
      ...(cache ? { cache } : {}),
      ...(this.#options.builtins ? { builtins: this.#options.builtins } : {}),
      hostSpiVersions: this.hostSpiVersions,
      ignoreSpiRange: config.ignoreSpiRange,
      where: `${this.profile.file ?? 'profile'}: ${config.keyPath}`,
    });
  }

  async #startEntry(entry: EntryState, imported: ImportedProvider): Promise<void> {
    const { config } = entry;
    entry.imported = imported;
    if (imported.spiOverride) {
      this.logger.warn(
        {
          entry: config.id,
          provider: imported.package.name,
          range: imported.manifest.spi,
          hostSpiVersions: this.hostSpiVersions,
        },
        `!!! ${imported.package.name}@${imported.version} declares SPI ${imported.manifest.spi}, which this host (SPI ${this.hostSpiVersions.join(', ')}) does not implement; loading it anyway because ${config.keyPath}.ignoreSpiRange is true. Expect breakage; remove the override once a compatible version exists.`,
      );
    }
    const providerLogger = createLogger(this.#sink, this.profile.redactor, {
      provider: imported.package.name,
      entry: config.id,
    });
    const attribution = {
      provider: imported.package.name,
      version: imported.version,
      method: 'xpProviderInit',
    };
    const provider = await this.#runner.run({ attribution, timeouts: config.timeouts }, () =>
      imported.xpProviderInit({
        spiVersion: imported.spiVersion,
        hostSpiVersions: this.hostSpiVersions,
        hostVersion: HOST_VERSION,
        entryId: config.id,
        logger: providerLogger,
      }),
    );
    entry.provider = checkProviderObject(imported, provider);
    const schema = entry.provider.meta.optionsSchema;
    for (const account of config.accounts) {
      const options = { ...config.options, ...account.options };
      // Most providers publish no schema: then there is nothing to validate, and no validator to load.
      if (schema !== undefined) {
        await validateOptions({
          schema,
          options,
          entry: config,
          account,
          provider: imported.package.name,
          file: this.profile.file,
          redactor: this.profile.redactor,
        });
      }
      entry.logons.push(await this.#logon(entry, account.name, options));
    }
  }

  async #logon(entry: EntryState, account: string, options: Record<string, unknown>): Promise<LogonHandle> {
    const { config, imported, provider } = entry as Required<Pick<EntryState, 'imported' | 'provider'>> &
      EntryState;
    const id = `${config.id}/${account}`;
    const dataDir = join(this.profile.dir, '.spool', 'data', config.id, account);
    mkdirSync(dataDir, { recursive: true });
    const activity = new Activity();
    const logger = createLogger(this.#sink, this.profile.redactor, {
      provider: imported.package.name,
      logon: id,
    });
    let handle: LogonHandle | undefined;
    const support = new LogonSupport({
      logonId: id,
      account,
      logger,
      dataDir,
      host: {
        statusTable: this.statusTable,
        redactor: this.profile.redactor,
        activity,
        onNewMail: () => {
          if (handle && handle.state === 'active') this.#options.onNewMail?.(handle);
        },
        onCriticalSection: (held) =>
          this.statusTable.update(id, { text: held ? 'busy (critical section)' : 'ready' }),
      },
    });
    // The row exists before the provider runs, so its modifyStatusRow() in transportLogon patches it.
    this.statusTable.put({
      ...blankRow(id, 'logon', imported.manifest ? (provider.meta.displayName ?? config.id) : config.id),
      provider: { name: imported.package.name, version: imported.version },
      spiVersion: imported.spiVersion,
      text: 'logging on',
    });
    const attribution: Attribution = {
      provider: imported.package.name,
      version: imported.version,
      method: 'transportLogon',
      logonId: id,
    };
    let logon: TransportLogon;
    try {
      logon = await this.#runner.run({ attribution, timeouts: config.timeouts, activity }, () =>
        provider.transportLogon(support, {
          account,
          options: Object.freeze({ ...options }),
          profileDir: this.profile.dir,
        }),
      );
      if (
        typeof logon?.addressTypes !== 'function' ||
        typeof logon.submitMessage !== 'function' ||
        typeof logon.transportLogoff !== 'function' ||
        typeof logon.transportNotify !== 'function'
      ) {
        throw notALogon(imported, id);
      }
    } catch (error) {
      support.invalidate();
      this.statusTable.remove(id);
      throw error;
    }
    support.closeRegistration();
    const types = await this.#runner.run(
      { attribution: { ...attribution, method: 'addressTypes' }, timeouts: config.timeouts, activity },
      () => logon.addressTypes(),
    );
    const addressTypes = checkAddressTypes(types, id, imported.package.name);
    handle = new LogonHandle({
      id,
      entry,
      account,
      logon,
      support,
      activity,
      logger,
      addressTypes,
      runner: this.#runner,
    });
    this.#byAttribution.set(id, handle);
    const row = this.statusTable.get(id);
    this.statusTable.update(id, {
      available: true,
      text: row?.text === 'logging on' ? 'ready' : (row?.text ?? 'ready'),
    });
    return handle;
  }

  /** Every active logon, in profile order (routing order). */
  logons(): LogonHandle[] {
    return this.entries.flatMap((entry) => entry.logons.filter((logon) => logon.state !== 'closed'));
  }

  /** The logons that claim an address type, in profile order; failed logons are left out. */
  claimants(addressType: string): LogonHandle[] {
    const type = addressType.toUpperCase();
    return this.logons().filter((logon) => logon.state === 'active' && logon.addressTypes.includes(type));
  }

  /** Enables traffic on every logon that has none yet: `transportNotify(begin-outbound)` then `(begin-inbound)`. */
  async beginTraffic(): Promise<void> {
    for (const handle of this.logons()) {
      if (handle.outboundEnabled) continue; // running already (a reload started only the new entries)
      try {
        await handle.call('transportNotify', () => handle.logon.transportNotify({ type: 'begin-outbound' }));
        handle.outboundEnabled = true;
        this.statusTable.update(handle.id, { outbound: { enabled: true, active: false, flushing: false } });
        await handle.call('transportNotify', () => handle.logon.transportNotify({ type: 'begin-inbound' }));
        handle.inboundEnabled = true;
        this.statusTable.update(handle.id, { inbound: { enabled: true, active: false, flushing: false } });
      } catch (error) {
        handle.logger.error(
          { code: (error as SpoolError).code },
          `could not enable traffic: ${messageOf(error)}`,
        );
      }
    }
  }

  /** Logs a logon off (MAPI order: end traffic, then logoff, then invalidate support); shuts its provider down after the last one. */
  async logoff(
    handle: LogonHandle,
    options: LogoffOptions = { mode: 'orderly' },
    reason: ShutdownOptions['reason'] = 'stop',
  ): Promise<void> {
    if (handle.state === 'closed') return;
    const failedBefore = handle.state === 'failed';
    handle.state = 'closed';
    for (const [enabled, type] of [
      [handle.outboundEnabled, 'end-outbound'],
      [handle.inboundEnabled, 'end-inbound'],
    ] as const) {
      if (!enabled || failedBefore) continue;
      await handle
        .call('transportNotify', () => handle.logon.transportNotify({ type }))
        .catch((error: unknown) =>
          handle.logger.warn(`transportNotify(${type}) failed: ${messageOf(error)}`),
        );
    }
    handle.outboundEnabled = handle.inboundEnabled = false;
    await handle
      .call('transportLogoff', () => handle.logon.transportLogoff(options))
      .catch((error: unknown) => handle.logger.warn(`transportLogoff failed: ${messageOf(error)}`));
    handle.support.invalidate();
    this.statusTable.remove(handle.id);
    this.#byAttribution.delete(handle.id);
    const entry = handle.entry;
    if (entry.logons.every((logon) => logon.state === 'closed')) await this.#shutdown(entry, reason);
  }

  async #shutdown(entry: EntryState, reason: ShutdownOptions['reason']): Promise<void> {
    if (entry.status === 'stopped' || !entry.provider || !entry.imported) return;
    entry.status = 'stopped';
    const provider = entry.provider;
    await this.#runner
      .run(
        {
          attribution: {
            provider: entry.imported.package.name,
            version: entry.imported.version,
            method: 'shutdown',
          },
          timeouts: entry.config.timeouts,
        },
        () => provider.shutdown({ reason }),
      )
      .catch((error: unknown) =>
        this.logger.warn({ entry: entry.config.id }, `shutdown failed: ${messageOf(error)}`),
      );
    // Release the provider object; the module itself stays in Node's cache (ESM cannot be unloaded).
    delete entry.provider;
  }

  /** Takes everything down: every logon logged off, every provider shut down. Idempotent. */
  async stop(options: LogoffOptions = { mode: 'orderly' }): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const entry of this.entries) {
      for (const handle of entry.logons) await this.logoff(handle, options, 'stop');
      if (entry.logons.length === 0 && entry.status === 'active') await this.#shutdown(entry, 'stop');
    }
  }

  /** `await using host = await ProviderHost.start(…)`: dropping the host logs off and shuts down as `stop()`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /** Containment: a provider call threw or hung; mark its row failed and keep everything else running. */
  #contain(attribution: Attribution, error: SpoolError): void {
    const handle = attribution.logonId ? this.#byAttribution.get(attribution.logonId) : undefined;
    const rowId = handle?.id ?? attribution.logonId;
    this.logger.error({ ...attribution, code: error.code }, this.profile.redactor.text(error.message));
    if (!rowId) return;
    if (handle && error.code === ErrorCode.TIMEOUT) handle.state = 'failed';
    this.statusTable.update(rowId, {
      failure: true,
      lastError: {
        code: error.code,
        message: this.profile.redactor.text(error.message),
        at: new Date().toISOString(),
      },
    });
  }
}

// Error builders live outside the methods that use them: V8 compiles a function on its first call, and the
// start path should not pay for compiling messages it only needs when a provider misbehaves.

function notALogon(imported: ImportedProvider, id: string): SpoolError {
  return new SpoolError(
    ErrorCode.BAD_SHAPE,
    `${imported.package.name}@${imported.version}: transportLogon() for ${id} returned an object without addressTypes(), transportNotify(), submitMessage() and transportLogoff()`,
    {
      hint: 'Return a TransportLogon from transportLogon (see @spool/spi).',
      details: { provider: imported.package.name, logonId: id },
    },
  );
}

function checkAddressTypes(types: unknown, logonId: string, provider: string): string[] {
  if (
    !Array.isArray(types) ||
    !types.every((t): t is string => typeof t === 'string' && ADDRESS_TYPE_PATTERN.test(t))
  ) {
    throw new SpoolError(
      ErrorCode.BAD_SHAPE,
      `${provider}: addressTypes() of ${logonId} returned ${JSON.stringify(types)}, not a list of address types`,
      {
        hint: 'Return address types like ["SMTP"] (letters, digits, dashes; starting with a letter).',
        details: { provider, logonId },
      },
    );
  }
  return types.map((t) => t.toUpperCase());
}

export type { CallTimeouts };
