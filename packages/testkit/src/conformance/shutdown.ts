import { conformanceError } from '../errors.js';
import { logOn, logoff, notify, withSession } from './session.js';
import type { Rule } from './suite.js';

/** `shutdown` (and `Symbol.asyncDispose`) while a logon is still open, more than once. */
export const shutdownRule: Rule = {
  title: 'shutdown: idempotent, and safe with a logon still open (dispose without logoff)',
  async check(suite) {
    await withSession(suite, async (session) => {
      const support = await session.newSupport();
      const logon = await logOn(session, support);
      await notify(session, logon, { type: 'begin-outbound' });
      await notify(session, logon, { type: 'begin-inbound' });
      const dispose = (session.provider as Partial<AsyncDisposable>)[Symbol.asyncDispose];
      try {
        if (typeof dispose === 'function') await dispose.call(session.provider);
        await session.provider.shutdown({ reason: 'dispose' });
        await session.provider.shutdown({ reason: 'stop' });
      } catch (error) {
        throw conformanceError(
          session.name,
          'provider.shutdown(options)',
          `shutdown with an open logon threw: ${(error as Error)?.message}`,
          'shutdown must be idempotent and must not assume every logon was logged off (defineProvider makes it idempotent).',
          {},
          error,
        );
      }
      // The host logs a dropped logon off after all (robustness rule): that must still work.
      await logoff(session, logon, support);
    });
  },
};
