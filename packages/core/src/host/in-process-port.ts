import type { InboundMessage, Logger, Preprocessor } from '@spool/spi';
import type { Attribution, SpoolError } from '../errors.js';
import type { Profile } from '../profile/profile.js';
import type { StatusTable } from '../status/status-table.js';
import { stderrSink } from '../util/logger.js';
import { checkEntries } from './check-entry.js';
import type { LogonHandle } from './logon-handle.js';
import { HandleView } from './logon-view.js';
import {
  absentMethod,
  type Binding,
  type Direct,
  INVOKE,
  type Invoke,
  invokePreprocess,
  invokeRemove,
  OPTIONAL,
  type PortSpec,
  providerInfoOf,
  toFailure,
  unknownLogon,
} from './port-calls.js';
import { ProviderHost, type ProviderHostOptions } from './provider-host.js';
import type {
  InboundSave,
  LogonView,
  PreprocessArgs,
  PreprocessOutput,
  ProviderCallArgs,
  ProviderCallName,
  ProviderCallOptions,
  ProviderCallResult,
  ProviderInfo,
  ProviderPort,
  RemoveRunsArgs,
  RemoveRunsOutput,
  RouteTarget,
  UnavailableEntry,
} from './provider-port.js';
import { relogon } from './relogon.js';
import { removePreprocessRuns } from './remove-runs.js';

const NO_PROPERTIES: PreprocessOutput = Object.freeze({});
const NO_REMOVAL_PROBLEMS: RemoveRunsOutput = Object.freeze({ failed: [], unknown: [] });

/**
 * The provider port in this process: every call runs through the host's one CallRunner, so timeouts,
 * attribution and containment are the host's. Providers' preprocess `info` stays here, keyed by run id.
 */
export class InProcessProviderPort implements ProviderPort {
  readonly #host: ProviderHost;
  readonly #save: InboundSave;
  readonly #options: Partial<ProviderHostOptions>;
  readonly #infos = new Map<string, unknown>();
  readonly #newMail = new Set<(logonId: string) => void>();
  readonly #sections = new Set<(logonId: string, held: boolean) => void>();
  #bindings = new Map<string, Binding>();
  #ordered: Binding[] = [];

  /**
   * A port over a started host; `save` takes what logons receive (the inbound sink channel); `options` are
   * those the host was started with (a reload's check loads providers as it does).
   */
  constructor(host: ProviderHost, save: InboundSave, options: Partial<ProviderHostOptions> = {}) {
    this.#host = host;
    this.#save = save;
    this.#options = options;
    host.subscribe({
      newMail: (handle) => {
        for (const listener of this.#newMail) listener(handle.id);
      },
      criticalSection: (logonId, held) => {
        for (const listener of this.#sections) listener(logonId, held);
      },
    });
    this.#bind();
  }

  get profile(): Profile {
    return this.#host.profile;
  }
  get statusTable(): StatusTable {
    return this.#host.statusTable;
  }
  get logger(): Logger {
    return this.#host.logger;
  }

  call<N extends ProviderCallName>(
    name: N,
    logonId: string,
    args: ProviderCallArgs<N>,
    options?: ProviderCallOptions,
  ): Promise<ProviderCallResult<N>> {
    const binding = this.#bindings.get(logonId);
    if (!binding) return Promise.reject(unknownLogon(logonId, name));
    if (name === 'preprocess')
      return this.#preprocess(binding, args as PreprocessArgs, options) as Promise<ProviderCallResult<N>>;
    if (name === 'removePreprocessInfo')
      return this.#removeRuns(binding, args as RemoveRunsArgs, options) as Promise<ProviderCallResult<N>>;
    if (
      OPTIONAL.has(name) &&
      typeof (binding.handle.logon as unknown as Record<string, unknown>)[name] !== 'function'
    )
      return Promise.reject(absentMethod(logonId, name));
    const run =
      name === 'submitMessage' ? (args as ProviderCallArgs<'submitMessage'>).preprocessRun : undefined;
    const info = run === undefined ? undefined : this.#infos.get(run);
    return this.#run(
      binding,
      name,
      INVOKE[name as Direct] as Invoke<unknown, ProviderCallResult<N>>,
      args,
      undefined,
      info,
      options,
    );
  }

  async tryCall<N extends ProviderCallName>(
    name: N,
    logonId: string,
    args: ProviderCallArgs<N>,
    options?: ProviderCallOptions,
  ): Promise<ProviderCallResult<N> | undefined> {
    try {
      return await this.call(name, logonId, args, options);
    } catch (error) {
      const failure = toFailure(error, this.#attribution(logonId, name, options?.messageId));
      this.loggerOf(logonId).warn(
        { ...failure.attribution, code: failure.code },
        `${name} failed: ${failure.message}`,
      );
      return undefined;
    }
  }

  logons(): LogonView[] {
    const views: LogonView[] = [];
    for (const binding of this.#ordered) if (binding.handle.state !== 'closed') views.push(binding.view);
    return views;
  }

  logon(logonId: string): LogonView | undefined {
    return this.#bindings.get(logonId)?.view;
  }

  claimants(addressType: string): LogonView[] {
    const type = addressType.toUpperCase();
    const views: LogonView[] = [];
    // A failed logon still claims its types: its mail waits for it (it is logged on again), never bounced.
    for (const { handle, view } of this.#ordered)
      if (handle.state !== 'closed' && handle.addressTypes.includes(type)) views.push(view);
    return views;
  }

  routes(addressType: string): RouteTarget[] {
    return this.#host.routeTargets(addressType);
  }

  unavailable(): UnavailableEntry[] {
    return this.#host.unavailable();
  }

  async restartEntry(entryId: string): Promise<boolean> {
    const serving = await this.#host.restartEntry(entryId);
    this.#bind();
    return serving;
  }

  setRecordedClaims(recorded: ReadonlyMap<string, readonly string[]>): void {
    this.#host.recordedClaims = recorded;
  }

  loggerOf(logonId: string): Logger {
    return this.#bindings.get(logonId)?.handle.logger ?? this.#host.logger;
  }

  providers(): ProviderInfo[] {
    return this.#host.entries.map((entry) => providerInfoOf(entry, this.#host.statusTable));
  }

  beginTraffic(): Promise<void> {
    return this.#host.beginTraffic();
  }

  check(profile: Profile, entryIds: readonly string[]): Promise<SpoolError[]> {
    const host = this.#host;
    const runner = { run: host.run.bind(host) };
    const { builtins, logSink = stderrSink() } = this.#options;
    const context = { profile, sink: logSink, runner, builtins, logger: host.logger };
    return checkEntries({ ...context, hostSpiVersions: host.hostSpiVersions }, entryIds);
  }

  async restartLogon(logonId: string): Promise<void> {
    const binding = this.#bindings.get(logonId);
    if (!binding) throw unknownLogon(logonId, 'restartLogon');
    await relogon(this.#host, binding.handle, {
      sink: this.#options.logSink ?? stderrSink(),
      newMail: (id) => {
        for (const listener of this.#newMail) listener(id);
      },
      criticalSection: (id, held) => {
        for (const listener of this.#sections) listener(id, held);
      },
    });
    this.#bind();
  }

  async retire(entryId: string): Promise<void> {
    await this.#host.retire(entryId);
    this.#bind();
  }

  async adopt(profile: Profile, start: readonly string[]): Promise<void> {
    await this.#host.adopt(profile, start);
    this.#bind();
  }

  stop(mode: 'orderly' | 'abort'): Promise<void> {
    return this.#host.stop({ mode });
  }

  onNewMail(listener: (logonId: string) => void): () => void {
    this.#newMail.add(listener);
    return () => this.#newMail.delete(listener);
  }

  onCriticalSection(listener: (logonId: string, held: boolean) => void): () => void {
    this.#sections.add(listener);
    return () => this.#sections.delete(listener);
  }

  /** Runs one call through the host's runner, attributed to the logon (and the message, when given). */
  #run<A, R>(
    binding: Binding,
    method: string,
    invoke: Invoke<A, R>,
    args: A,
    preprocessor: Preprocessor | undefined,
    info: unknown,
    options: ProviderCallOptions | undefined,
  ): Promise<R> {
    const { handle, view } = binding;
    const messageId = options?.messageId;
    const attribution: Attribution =
      messageId === undefined
        ? { provider: view.provider.name, version: view.provider.version, method, logonId: handle.id }
        : {
            provider: view.provider.name,
            version: view.provider.version,
            method,
            logonId: handle.id,
            messageId,
          };
    const spec: PortSpec<A> = {
      attribution,
      timeouts: handle.entry.config.timeouts,
      activity: handle.activity,
      signal: options?.signal,
      binding,
      args,
      preprocessor,
      info,
    };
    return this.#host.run(spec, invoke);
  }

  async #preprocess(
    binding: Binding,
    args: PreprocessArgs,
    options: ProviderCallOptions | undefined,
  ): Promise<PreprocessOutput> {
    const preprocessor = binding.handle.support.preprocessors[args.index];
    if (!preprocessor) throw absentMethod(binding.handle.id, `preprocess #${args.index}`);
    const method = binding.methods.get(preprocessor)!.preprocess;
    const result = await this.#run(binding, method, invokePreprocess, args, preprocessor, undefined, options);
    if (result?.info !== undefined) this.#infos.set(args.runId, result.info);
    return result?.properties === undefined ? NO_PROPERTIES : { properties: result.properties };
  }

  async #removeRuns(
    binding: Binding,
    args: RemoveRunsArgs,
    options: ProviderCallOptions | undefined,
  ): Promise<RemoveRunsOutput> {
    const first = args.firstIndex ?? 0;
    const runs = args.runIds.map((runId, k) => ({ index: first + k, runId, info: this.#takeInfo(runId) }));
    const { failed, unknown } = await removePreprocessRuns(
      binding.handle.support.preprocessors,
      runs,
      { messageId: args.messageId, workDir: binding.workDir, reason: args.reason },
      (preprocessor, context) =>
        this.#run(
          binding,
          binding.methods.get(preprocessor)!.remove,
          invokeRemove,
          context,
          preprocessor,
          undefined,
          options,
        ),
    );
    if (failed.length === 0 && unknown.length === 0) return NO_REMOVAL_PROBLEMS;
    return {
      failed: failed.map(({ run, preprocessor, error }) => ({
        index: run.index,
        runId: run.runId,
        error: toFailure(
          error,
          this.#attribution(binding.handle.id, binding.methods.get(preprocessor)!.remove, args.messageId),
        ),
      })),
      unknown: unknown.map(({ index, runId }) => ({ index, runId })),
    };
  }

  /** Who a call belongs to, as far as the port knows without the runner. */
  #attribution(logonId: string, method: string, messageId: string | undefined): Attribution {
    const provider = this.#bindings.get(logonId)?.view.provider ?? { name: 'unknown', version: 'unknown' };
    return {
      provider: provider.name,
      version: provider.version,
      method,
      logonId,
      ...(messageId === undefined ? {} : { messageId }),
    };
  }

  #takeInfo(runId: string): unknown {
    const info = this.#infos.get(runId);
    if (info !== undefined) this.#infos.delete(runId);
    return info;
  }

  /** Binds the host's logons (after start, and after a reload changed them), reusing bindings it has. */
  #bind(): void {
    const bindings = new Map<string, Binding>();
    const ordered: Binding[] = [];
    for (const entry of this.#host.entries) {
      for (const handle of entry.logons) {
        const known = this.#bindings.get(handle.id);
        const same = known?.handle === handle;
        // A relogon keeps the handle and its view but brings a new support object (new preprocessors).
        const binding =
          same && known.support === handle.support
            ? known
            : this.#newBinding(handle, same ? known.view : undefined);
        bindings.set(handle.id, binding);
        ordered.push(binding);
      }
    }
    this.#bindings = bindings;
    this.#ordered = ordered;
  }

  #newBinding(handle: LogonHandle, view = new HandleView(handle)): Binding {
    const methods = new Map(
      handle.support.preprocessors.map((p) => [
        p,
        { preprocess: `preprocess(${p.name})`, remove: `removePreprocessInfo(${p.name})` },
      ]),
    );
    const logonId = handle.id;
    return {
      handle,
      support: handle.support,
      view,
      sink: { save: (message) => this.#saveInbound(handle, logonId, message) },
      workDir: handle.support.dataDir,
      methods,
    };
  }

  async #saveInbound(handle: LogonHandle, logonId: string, message: InboundMessage): Promise<{ id: string }> {
    const saved = await this.#save(logonId, message);
    // A stored message is activity: a long receive loop is not timed out while it makes progress.
    if (!saved.duplicate) handle.activity.touch();
    return { id: saved.id };
  }
}

/** Starts a host for the profile and the in-process port over it (what `createSpooler` runs today). */
export async function startProviderPort(
  options: ProviderHostOptions & { readonly save: InboundSave },
): Promise<ProviderPort> {
  const { save, ...hostOptions } = options;
  return new InProcessProviderPort(await ProviderHost.start(hostOptions), save, hostOptions);
}
