import type { InboundSink, Preprocessor, PreprocessResult, RemovePreprocessContext } from '@spool/spi';
import { type Attribution, ErrorCode, messageOf, SpoolError } from '../errors.js';
import type { StatusTable } from '../status/status-table.js';
import type { CallSpec } from './call-runner.js';
import type { EntryState, LogonHandle } from './logon-handle.js';
import type { HandleView } from './logon-view.js';
import type {
  PreprocessArgs,
  ProviderCallArgs,
  ProviderCallFailure,
  ProviderCallName,
  ProviderCallResult,
  ProviderInfo,
} from './provider-port.js';

// How each provider call of the in-process port reaches a logon's SPI method, and how a failed call becomes
// plain data. Kept apart from the port class (host/in-process-port.ts), which binds logons and keeps state.

/** One logon as the port keeps it: the host's handle, its view, its inbound sink, what calls reuse. */
export interface Binding {
  readonly handle: LogonHandle;
  /** The support object the binding was made for: a relogon gives the handle a new one (new preprocessors). */
  readonly support: LogonHandle['support'];
  readonly view: HandleView;
  readonly sink: InboundSink;
  /** The logon's data directory, the `workDir` of its preprocess runs. */
  readonly workDir: string;
  /** Method names for attribution, per preprocessor: `preprocess(name)`, `removePreprocessInfo(name)`. */
  readonly methods: ReadonlyMap<Preprocessor, { readonly preprocess: string; readonly remove: string }>;
}

/** What one call carries to its invoker through the runner (CallRunner hands the spec back): no closure. */
export interface PortSpec<A> extends CallSpec {
  readonly binding: Binding;
  readonly args: A;
  readonly preprocessor: Preprocessor | undefined;
  /** The preprocess info `submitMessage` gets (kept by the port, never seen by the pipeline). */
  readonly info: unknown;
}

export type Invoke<A, R> = (signal: AbortSignal, spec: PortSpec<A>) => R | Promise<R>;
export type Direct = Exclude<ProviderCallName, 'preprocess' | 'removePreprocessInfo'>;

/** How each direct call reaches the provider's logon; a mapped type, so a call without one does not compile. */
export const INVOKE: { readonly [N in Direct]: Invoke<ProviderCallArgs<N>, ProviderCallResult<N>> } = {
  submitMessage: (signal, { binding, args, info }) =>
    binding.handle.logon.submitMessage(args.message, args.recipients, { signal, preprocessInfo: info }),
  endMessage: (_signal, { binding, args }) => binding.handle.logon.endMessage!(args),
  transportNotify: (_signal, { binding, args }) => binding.handle.logon.transportNotify(args),
  startMessage: (signal, { binding }) => binding.handle.logon.startMessage!(binding.sink, { signal }),
  poll: (signal, { binding }) => binding.handle.logon.poll!({ signal }),
  idle: (signal, { binding }) => binding.handle.logon.idle!({ signal }),
};

/** The SPI methods a logon may leave out; the pipeline calls them only when its LogonView says they exist. */
export const OPTIONAL: ReadonlySet<string> = new Set(['endMessage', 'startMessage', 'poll', 'idle']);

export const invokePreprocess: Invoke<PreprocessArgs, PreprocessResult> = (signal, spec) =>
  spec.preprocessor!.preprocess(spec.args.message, spec.args.recipients, {
    runId: spec.args.runId,
    workDir: spec.binding.workDir,
    signal,
  });

export const invokeRemove: Invoke<RemovePreprocessContext, void> = (_signal, spec) =>
  spec.preprocessor!.removePreprocessInfo(spec.args);

/** A failed call as plain data, with the attribution the runner put on it (else what the port knows). */
export function toFailure(error: unknown, known: Attribution): ProviderCallFailure {
  const details = (error as SpoolError | undefined)?.details;
  const attribution: Attribution =
    details && typeof details.provider === 'string'
      ? {
          provider: details.provider,
          version: String(details.version),
          method: String(details.method),
          ...(typeof details.logonId === 'string' ? { logonId: details.logonId } : {}),
          ...(typeof details.messageId === 'string' ? { messageId: details.messageId } : {}),
        }
      : known;
  const code = (error as { code?: unknown } | null)?.code;
  return {
    code: typeof code === 'string' ? code : ErrorCode.PROVIDER_FAILED,
    message: messageOf(error),
    attribution,
  };
}

export function unknownLogon(logonId: string, method: string): SpoolError {
  return new SpoolError(
    ErrorCode.STOPPED,
    `no logon ${logonId} for ${method}(): it is logged off or unknown`,
    {
      hint: 'The logon was logged off (a stop or a reload); its work is handed to the logons that remain.',
      details: { logonId, method },
    },
  );
}

export function absentMethod(logonId: string, method: string): SpoolError {
  return new SpoolError(ErrorCode.BAD_SHAPE, `logon ${logonId} has no ${method}()`, {
    hint: 'The pipeline asks for an optional method only when the logon has it (see its LogonView); report this.',
    details: { logonId, method },
  });
}

/**
 * One profile entry as `providers()` reports it. An entry one of whose logons is failed — a call on it timed
 * out, or it could not log on again (pipeline/logon-restarts.ts) — reads `failed`, with that logon's coded
 * error from its status row, until the logon serves again: it cannot serve meanwhile, and whatever reads the
 * entries (readiness, `spool status`, `run --once`, a reload's retry of failed entries) sees it.
 */
export function providerInfoOf(entry: EntryState, table: StatusTable): ProviderInfo {
  const failed = entry.status === 'active' ? entry.logons.find((l) => l.state === 'failed') : undefined;
  const error = entry.error ?? (failed ? logonFailure(failed, table) : undefined);
  return {
    id: entry.config.id,
    spec: entry.config.provider,
    ...(entry.imported
      ? { package: { name: entry.imported.package.name, version: entry.imported.version } }
      : {}),
    status: failed ? 'failed' : entry.status,
    ...(error ? { error } : {}),
    logons: entry.logons.filter((logon) => logon.state !== 'closed').map((logon) => logon.id),
  };
}

function logonFailure(handle: LogonHandle, table: StatusTable): SpoolError {
  const last = table.get(handle.id)?.lastError;
  return new SpoolError(
    last?.code ?? ErrorCode.TIMEOUT,
    `logon ${handle.id} cannot serve: ${last?.message ?? 'a call on it timed out'}`,
    {
      hint: 'The host logs it off and on again on the retry schedule (docs/spi.md, "After a timeout"); a reload tries at once.',
      details: { entry: handle.entry.config.id, logonId: handle.id },
    },
  );
}
