import { setTimeout as sleep } from 'node:timers/promises';
import { SpiErrorCode, SpoolError } from '@spool/spi';

/** The coded error every cancellation ends in, so the host sees `SPOOL_E_CANCELLED` whatever stopped us. */
export function cancelledError(signal: AbortSignal, what: string): SpoolError {
  return new SpoolError(SpiErrorCode.CANCELLED, `fax-sim: ${what} cancelled`, {
    cause: signal.reason,
    hint: 'The message was cancelled or the spooler is stopping; nothing more was sent.',
  });
}

/** Throws {@link cancelledError} when `signal` is aborted (instead of the DOMException `throwIfAborted` gives). */
export function throwIfCancelled(signal: AbortSignal, what: string): void {
  if (signal.aborted) throw cancelledError(signal, what);
}

/**
 * Waits `ms` (skipped entirely at 0, so `timeFactor: 0` costs no timers) and wakes up at once when
 * `signal` aborts, so a cancel in the middle of a long simulated page takes effect promptly.
 */
export async function pause(ms: number, signal: AbortSignal, what: string): Promise<void> {
  throwIfCancelled(signal, what);
  if (ms <= 0) return;
  try {
    await sleep(ms, undefined, { signal });
  } catch (error) {
    if (signal.aborted) throw cancelledError(signal, what);
    throw error;
  }
}
