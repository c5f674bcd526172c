import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode, isSpoolError, messageOf } from '../errors.js';
import type { PipelineContext } from './context.js';

/** The waits before each retry of a refused store write: about 3 s in all. */
const RETRY_DELAYS_MS = [100, 200, 400, 800, 1600];

/**
 * Runs a store write the pipeline must not drop — a hand-off's settle commit, which records what a provider
 * already did — again after a short back-off when the store refused it: `SQLITE_BUSY` past the busy timeout
 * while another process holds the write lock, say. A refused transaction applied nothing, so running it again
 * is safe. Only the store's own failures are retried (a driver's error, `SPOOL_E_STORE_FAILED`); after five
 * retries the last error is thrown, and the recipients wait for their lease to expire (handed off again: at
 * least once, never lost).
 */
export async function withStoreRetry<T>(
  ctx: PipelineContext,
  what: string,
  write: () => Promise<T>,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      const delay = RETRY_DELAYS_MS[attempt];
      if (delay === undefined || !retryable(error)) throw error;
      const code = (error as { code?: unknown }).code;
      ctx.port.logger.warn(
        { code: isSpoolError(error) ? code : ErrorCode.STORE_FAILED, driverCode: code, retryInMs: delay },
        `${what} failed; trying again: ${messageOf(error)}`,
      );
      await sleep(delay);
    }
  }
}

function retryable(error: unknown): boolean {
  return !isSpoolError(error) || error.code === ErrorCode.STORE_FAILED;
}
