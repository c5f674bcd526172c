import type { Logger, LogoffOptions, ShutdownOptions } from '@spool/spi';
import { type Attribution, ErrorCode, formatError, messageOf, SpoolError } from '../errors.js';
import type { Profile, ProviderEntryConfig } from '../profile/profile.js';
import { blankRow, StatusTable } from '../status/status-table.js';
import { createLogger, type LogSink, stderrSink } from '../util/logger.js';
import { CallRunner, type CallSpec, type CallTimeouts } from './call-runner.js';
import { type RouteTarget, routeTargets, type UnavailableEntry, unavailableEntries } from './entry-claims.js';
import { type ImportedProvider, importProvider } from './load-provider.js';
import { logCallFailure } from './log-call-failure.js';
import { type EntryState, type EntryStatus, LogonHandle } from './logon-handle.js';
import { newResolveCache, type ResolveCache } from './resolve.js';
import { HOST_SPI_VERSIONS } from './spi-versions.js';
import { type EntryStartContext, HOST_VERSION, startEntry } from './start-entry.js';

export { type EntryState, type EntryStatus, HOST_VERSION, LogonHandle };

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
}

/** What a host tells its listeners about its logons (see {@link ProviderHost.subscribe}). */
export interface HostListener {
  /** A logon asked to be polled (support.notifyNewMail). */
  newMail?(logon: LogonHandle): void;
  /** A logon entered (true) or left (false) a critical section. */
  criticalSection?(logonId: string, held: boolean): void;
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
  /** Entry id → the address types the store recorded at its last logon (entry-claims.ts; set at start). */
  recordedClaims: ReadonlyMap<string, readonly string[]> = new Map();
  readonly logger: Logger;
  readonly hostSpiVersions: readonly string[];
  readonly #options: ProviderHostOptions;
  readonly #sink: LogSink;
  readonly #runner: CallRunner;
  readonly #byAttribution = new Map<string, LogonHandle>();
  readonly #listeners = new Set<HostListener>();
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
    const manifestTypes: (readonly string[] | undefined)[] = [];
    const imports = options.profile.providers.map((config, index) =>
      host
        .#import(config, cache, (types) => {
          manifestTypes[index] = types;
        })
        .then(
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
        await startEntry(host.#startContext(), entry, result.imported);
      } catch (error) {
        const types = manifestTypes[index];
        if (types) entry.manifestTypes = types;
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
      await this.#startOne(entry);
    }
    // Routing follows profile order: keep the entries in the new profile's order.
    const order = new Map(profile.providers.map((config, index) => [config.id, index]));
    this.entries.sort((a, b) => (order.get(a.config.id) ?? 0) - (order.get(b.config.id) ?? 0));
  }

  /** Imports, initialises and logs on one entry; a failure is recorded on the entry (see #failEntry). */
  async #startOne(entry: EntryState): Promise<boolean> {
    try {
      const imported = await this.#import(entry.config, undefined, (types) => {
        entry.manifestTypes = types;
      });
      await startEntry(this.#startContext(), entry, imported);
      return true;
    } catch (error) {
      this.#failEntry(entry, error);
      return false;
    }
  }

  /** Starts a failed entry again (the logon retry): true when it now serves, else failed with the new error. */
  async restartEntry(entryId: string): Promise<boolean> {
    const entry = this.entries.find((e) => e.config.id === entryId);
    if (!entry || entry.status !== 'failed' || this.#stopped) return false;
    for (const handle of entry.logons) await this.logoff(handle, { mode: 'abort' }, 'reload');
    entry.logons.length = 0;
    entry.status = 'active';
    delete entry.error;
    delete entry.imported;
    delete entry.provider;
    this.statusTable.remove(entryId);
    return this.#startOne(entry);
  }

  /** The failed entries, in profile order, with what they claim (see entry-claims.ts). */
  unavailable(): UnavailableEntry[] {
    return unavailableEntries(this.entries, this.recordedClaims);
  }

  /** Where routing may send a recipient of an address type, in profile order (see entry-claims.ts). */
  routeTargets(addressType: string): RouteTarget[] {
    return routeTargets(this.entries, this.unavailable(), addressType);
  }

  #import(
    config: ProviderEntryConfig,
    cache?: ResolveCache,
    onManifestTypes?: (types: readonly string[]) => void,
  ): Promise<ImportedProvider> {
    return importProvider(config.provider, {
      ...(onManifestTypes ? { onManifest: (manifest) => onManifestTypes(manifest.addressTypes) } : {}),
      profileDir: this.profile.dir,
      ...(cache ? { cache } : {}),
      ...(this.#options.builtins ? { builtins: this.#options.builtins } : {}),
      hostSpiVersions: this.hostSpiVersions,
      ignoreSpiRange: config.ignoreSpiRange,
      where: `${this.profile.file ?? 'profile'}: ${config.keyPath}`,
    });
  }

  #startContext(): EntryStartContext {
    return {
      profile: this.profile,
      sink: this.#sink,
      runner: this.#runner,
      statusTable: this.statusTable,
      hostSpiVersions: this.hostSpiVersions,
      logger: this.logger,
      onLoggedOn: (handle) => this.#byAttribution.set(handle.id, handle),
      onNewMail: (handle) => {
        for (const listener of this.#listeners) listener.newMail?.(handle);
      },
      onCriticalSection: (logonId, held) => {
        for (const listener of this.#listeners) listener.criticalSection?.(logonId, held);
      },
    };
  }

  /** Listens to the host's logon events; returns the function that stops listening. */
  subscribe(listener: HostListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Runs a call into a provider through the host's one call runner (timeouts, attribution, containment).
   * The provider port uses it; `call` gets `spec` back, so a caller can pass what the call needs without a
   * closure per call.
   */
  run<T, S extends CallSpec>(spec: S, call: (signal: AbortSignal, spec: S) => T | Promise<T>): Promise<T> {
    return this.#runner.run(spec, call);
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
        await this.#callLogon(handle, 'transportNotify', () =>
          handle.logon.transportNotify({ type: 'begin-outbound' }),
        );
        handle.outboundEnabled = true;
        this.statusTable.update(handle.id, { outbound: { enabled: true, active: false, flushing: false } });
        await this.#callLogon(handle, 'transportNotify', () =>
          handle.logon.transportNotify({ type: 'begin-inbound' }),
        );
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
      await this.#callLogon(handle, 'transportNotify', () => handle.logon.transportNotify({ type })).catch(
        (error: unknown) => logCallFailure(handle, error, `transportNotify(${type}) failed`),
      );
    }
    handle.outboundEnabled = handle.inboundEnabled = false;
    await this.#callLogon(handle, 'transportLogoff', () => handle.logon.transportLogoff(options)).catch(
      (error: unknown) => logCallFailure(handle, error, 'transportLogoff failed'),
    );
    handle.support.invalidate();
    this.statusTable.remove(handle.id);
    this.#byAttribution.delete(handle.id);
    const entry = handle.entry;
    if (entry.logons.every((logon) => logon.state === 'closed')) await this.#shutdown(entry, reason);
  }

  /** A lifecycle call on a logon (traffic on and off, logoff): the runner, attributed to the logon. */
  #callLogon<T>(
    handle: LogonHandle,
    method: 'transportNotify' | 'transportLogoff',
    call: () => T | Promise<T>,
  ): Promise<T> {
    const imported = handle.entry.imported!;
    const attribution = {
      provider: imported.package.name,
      version: imported.version,
      method,
      logonId: handle.id,
    };
    return this.#runner.run(
      { attribution, timeouts: handle.entry.config.timeouts, activity: handle.activity },
      call,
    );
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

export type { CallTimeouts };
