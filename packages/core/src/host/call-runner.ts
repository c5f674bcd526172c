import { isSpoolError, SpiErrorCode } from '@spool/spi';
import { type Attribution, describeAttribution, ErrorCode, messageOf, SpoolError } from '../errors.js';

/** Timeouts for provider calls, configurable per profile entry. */
export interface CallTimeouts {
  /** A call fails after this long without activity (a yield, a status update, progress). */
  readonly inactivityMs: number;
  /** A call fails after this long whatever its activity. */
  readonly hardCapMs: number;
}

/** Defaults generous enough for a slow SMTP server, short enough that a hung provider is noticed. */
export const DEFAULT_TIMEOUTS: CallTimeouts = { inactivityMs: 60_000, hardCapMs: 10 * 60_000 };

/** Codes a provider may raise on purpose; they pass through attributed but keep their meaning. */
const PASS_THROUGH = new Set<string>([
  SpiErrorCode.BUSY,
  SpiErrorCode.NETWORK,
  SpiErrorCode.CANCELLED,
  SpiErrorCode.VERSION_REFUSED,
  SpiErrorCode.SUPPORT_INVALID,
  SpiErrorCode.INVALID_OPTIONS,
]);

/**
 * Activity of one logon (or provider): support calls touch it, and every running call on that logon uses it
 * to reset its inactivity timer. Shared because a provider yields through its support object, not through
 * the call. Starting a call is not activity: a call is idle since the later of its start and the last touch.
 */
export class Activity {
  #last = performance.now();
  /** Records activity now. */
  touch(): void {
    this.#last = performance.now();
  }
  /** Milliseconds since the last activity. */
  idleFor(): number {
    return performance.now() - this.#last;
  }
}

/** Where the runner reports what it contained. */
export interface CallRunnerHooks {
  /** A call failed (threw, or timed out): the host marks the provider's row failed. */
  onFailure?(attribution: Attribution, error: SpoolError): void;
  /** A call settled after it had already timed out: its result is discarded. */
  onLateResult?(attribution: Attribution, outcome: 'resolved' | 'rejected', value: unknown): void;
}

/** One call to run: who it belongs to, its timeouts, the activity that keeps it alive, an outer signal. */
export interface CallSpec {
  readonly attribution: Attribution;
  readonly timeouts: CallTimeouts;
  readonly activity?: Activity;
  /** Aborting this (a cancel, a hurried stop) aborts the call's own signal. */
  readonly signal?: AbortSignal;
}

/**
 * Turns anything a provider threw into a SpoolError attributed to `{provider, version, method, …}`.
 * Deliberate SPI codes (busy, network, cancelled, …) keep their code; anything else becomes
 * `SPOOL_E_PROVIDER_FAILED` with the provider's own code kept as `details.providerCode` (rollup's pattern).
 */
export function attributeError(error: unknown, attribution: Attribution): SpoolError {
  const prefix = describeAttribution(attribution);
  if (error instanceof SpoolError && error.details.attributed === true) return error;
  const providerCode = isSpoolError(error) ? error.code : (error as { code?: unknown } | null)?.code;
  const keep = typeof providerCode === 'string' && PASS_THROUGH.has(providerCode);
  const code = keep ? providerCode : ErrorCode.PROVIDER_FAILED;
  const hint =
    (isSpoolError(error) && error.hint) ||
    (keep
      ? 'The provider reported this condition; the host retries or cancels as the code says.'
      : `This is a defect or an unhandled condition in ${attribution.provider}; report it to its author with this message.`);
  return new SpoolError(code, `${prefix} ${messageOf(error)}`, {
    hint,
    cause: error,
    details: {
      ...attribution,
      attributed: true,
      ...(typeof providerCode === 'string' && !keep ? { providerCode } : {}),
    },
  });
}

/** The error of a call that timed out. Kept out of `run()`, which every provider call compiles and runs. */
function timeoutError(attribution: Attribution, timeouts: CallTimeouts, hardCap: boolean): SpoolError {
  const which = hardCap
    ? `hard cap of ${timeouts.hardCapMs} ms`
    : `${timeouts.inactivityMs} ms without activity`;
  return new SpoolError(ErrorCode.TIMEOUT, `${describeAttribution(attribution)} timed out after ${which}`, {
    hint: `The provider neither finished nor reported activity (spoolerYield, modifyStatusRow). Raise "timeouts" for this provider in the profile if the work is legitimately slow, or report a hang to its author.`,
    details: { ...attribution, attributed: true, timeouts },
  });
}

/**
 * The one runner every call into a provider goes through (rollup's `runHook`): an inactivity timeout reset
 * by activity, a hard cap, error attribution, and containment. A call that times out gets its signal
 * aborted and its eventual result discarded (and reported), so a hung provider can never hang the host.
 */
export class CallRunner {
  readonly #hooks: CallRunnerHooks;

  constructor(hooks: CallRunnerHooks = {}) {
    this.#hooks = hooks;
  }

  /**
   * Runs `call(signal, spec)` under `spec`; rejects with an attributed SpoolError on failure or timeout.
   * `spec` is handed back to `call`, so a caller that puts what the call needs on it (the provider port does)
   * needs no closure per call.
   */
  run<T, S extends CallSpec = CallSpec>(
    spec: S,
    call: (signal: AbortSignal, spec: S) => T | Promise<T>,
  ): Promise<T> {
    const { attribution, timeouts } = spec;
    const activity = spec.activity ?? new Activity();
    const controller = new AbortController();
    const onOuterAbort = () => controller.abort(spec.signal?.reason);
    if (spec.signal?.aborted) controller.abort(spec.signal.reason);
    else spec.signal?.addEventListener('abort', onOuterAbort, { once: true });
    // Idle time is counted per call from its own start: another call starting on the logon is no activity
    // for this one (a poll every few seconds must not keep a hung submitMessage alive until the hard cap).
    const started = performance.now();

    return new Promise<T>((resolve, reject) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = () => {
        settled = true;
        if (timer) clearTimeout(timer);
        spec.signal?.removeEventListener('abort', onOuterAbort);
      };
      const fail = (error: SpoolError) => {
        finish();
        this.#hooks.onFailure?.(attribution, error);
        reject(error);
      };
      const check = () => {
        const elapsed = performance.now() - started;
        const idle = Math.min(activity.idleFor(), elapsed);
        if (elapsed >= timeouts.hardCapMs || idle >= timeouts.inactivityMs) {
          const error = timeoutError(attribution, timeouts, elapsed >= timeouts.hardCapMs);
          controller.abort(error);
          fail(error);
          return;
        }
        const wait = Math.min(timeouts.inactivityMs - idle, timeouts.hardCapMs - elapsed);
        timer = setTimeout(check, Math.max(1, Math.ceil(wait)));
      };
      timer = setTimeout(check, Math.min(timeouts.inactivityMs, timeouts.hardCapMs));

      let pending: Promise<T>;
      try {
        pending = Promise.resolve(call(controller.signal, spec));
      } catch (error) {
        pending = Promise.reject(error);
      }
      pending.then(
        (value) => {
          if (settled) return this.#hooks.onLateResult?.(attribution, 'resolved', value);
          finish();
          resolve(value);
        },
        (error: unknown) => {
          if (settled) return this.#hooks.onLateResult?.(attribution, 'rejected', error);
          const attributed = attributeError(error, attribution);
          // A cancellation the host asked for, or a condition the provider reports on purpose (busy,
          // network), is not a failure of the provider: only defects and hangs mark its row failed.
          if (controller.signal.aborted || attributed.code !== ErrorCode.PROVIDER_FAILED) {
            finish();
            reject(attributed);
            return;
          }
          fail(attributed);
        },
      );
    });
  }
}
