import type { SpoolError } from '../errors.js';
import { messageOf } from '../errors.js';
import type { LogonHandle } from './logon-handle.js';

/** Logs a failed lifecycle call with its attribution (the runner's error carries it in `details`). */
export function logCallFailure(handle: LogonHandle, error: unknown, what: string): void {
  const details = (error as SpoolError).details ?? {};
  handle.logger.warn(
    {
      provider: details.provider,
      version: details.version,
      method: details.method,
      logonId: details.logonId ?? handle.id,
      code: (error as SpoolError).code,
    },
    `${what}: ${messageOf(error)}`,
  );
}
