import { isSpoolError, type TransportLogon, type TransportProvider, type XPProviderInit } from '@spool/spi';
import { conformanceError } from '../errors.js';
import { withHost } from './real-host.js';
import type { Rule } from './suite.js';

const SUPPORT_MEMBERS = ['logonId', 'account', 'logger', 'dataDir'] as const;
const SUPPORT_METHODS: readonly [string, (s: Record<string, (...args: unknown[]) => unknown>) => unknown][] =
  [
    ['modifyStatusRow', (s) => s.modifyStatusRow!({ text: 'late' })],
    ['spoolerYield', (s) => s.spoolerYield!()],
    ['enterCriticalSection', (s) => s.enterCriticalSection!()],
    ['notifyNewMail', (s) => s.notifyNewMail!()],
    [
      'registerPreprocessor',
      (s) =>
        s.registerPreprocessor!({
          name: 'late',
          preprocess: async () => ({}),
          removePreprocessInfo: async () => {},
        }),
    ],
  ];

/**
 * A stand-in for `target` that answers `overrides` itself and passes every other member through, methods
 * bound to `target` (so class logons with private fields still work). The proxy's own target is an empty
 * object, so a frozen provider object does not trip the proxy invariants.
 */
function delegate<T extends object>(target: T, overrides: Partial<T>): T {
  return new Proxy({} as T, {
    get(_, key) {
      if (Object.hasOwn(overrides, key)) return overrides[key as keyof T];
      const value = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
    has: (_, key) => Object.hasOwn(overrides, key) || key in target,
  });
}

/** The provider, wrapped so each `transportLogoff` the host makes on its logons is recorded (its mode). */
function recordingLogoffs(init: XPProviderInit, calls: string[]): XPProviderInit {
  return async (context) => {
    const provider = await init(context);
    return delegate<TransportProvider>(provider, {
      transportLogon: async (support, section) => {
        const logon = await provider.transportLogon(support, section);
        return delegate<TransportLogon>(logon, {
          transportLogoff: (options) => {
            calls.push(options.mode);
            return logon.transportLogoff(options);
          },
        });
      },
    });
  };
}

/** The host's side of logoff: once per logon, and the support object dead afterwards. */
export const hostLogoffRule: Rule = {
  title:
    'logoff under the real host: idempotent, dispose without logoff logs off once, support invalid afterwards',
  async check(suite) {
    const calls: string[] = [];
    await withHost(
      suite,
      async (host, handle, pkg) => {
        await host.beginTraffic();
        await host.logoff(handle);
        await host.logoff(handle);
        await host[Symbol.asyncDispose](); // dispose after logoff: nothing more to do
        if (calls.join() !== 'orderly') {
          throw conformanceError(
            pkg.name,
            'logon.transportLogoff(options)',
            `the host called transportLogoff ${calls.length} time(s) (${calls.join(', ')})`,
            'This is a host bug; report it.',
          );
        }
        const support = handle.support as unknown as Record<string, (...args: unknown[]) => unknown>;
        const stillValid: string[] = [];
        for (const member of SUPPORT_MEMBERS) {
          try {
            void support[member];
            stillValid.push(member);
          } catch (error) {
            if (!isSpoolError(error, 'SPOOL_E_SUPPORT_INVALID')) stillValid.push(member);
          }
        }
        for (const [member, call] of SUPPORT_METHODS) {
          try {
            await call(support);
            stillValid.push(member);
          } catch (error) {
            if (!isSpoolError(error, 'SPOOL_E_SUPPORT_INVALID')) stillValid.push(member);
          }
        }
        if (stillValid.length > 0) {
          throw conformanceError(
            pkg.name,
            'Support calls (provider → host)',
            `after logoff support.${stillValid.join(', ')} did not fail with SPOOL_E_SUPPORT_INVALID`,
            'This is a host bug; report it.',
          );
        }
      },
      { wrap: (init) => recordingLogoffs(init, calls) },
    );
    // Dropped without any logoff: `await using` on the host logs the provider off once, orderly.
    const disposeCalls: string[] = [];
    await withHost(
      suite,
      async (host, _handle, pkg) => {
        await host[Symbol.asyncDispose]();
        if (disposeCalls.join() !== 'orderly') {
          throw conformanceError(
            pkg.name,
            'Lifecycle',
            `disposing the host called transportLogoff ${disposeCalls.length} time(s)`,
            'This is a host bug; report it.',
          );
        }
      },
      { wrap: (init) => recordingLogoffs(init, disposeCalls) },
    );
  },
};
