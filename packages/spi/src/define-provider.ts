import { SpiErrorCode, SpoolError } from './errors.js';
import type { ShutdownOptions } from './notify.js';
import type {
  LogonSection,
  ProviderInitContext,
  ProviderMeta,
  TransportLogon,
  TransportProvider,
  XPProviderInit,
} from './provider.js';
import type { TransportSupport } from './support.js';

/** What an author implements inside `defineProvider({ create })`: one per profile entry. */
export interface ProviderImplementation<Options> {
  /** Opens a logon for one account; see {@link TransportProvider.transportLogon}. */
  transportLogon(support: TransportSupport, section: LogonSection<Options>): Promise<TransportLogon>;
  /** Releases what `create` acquired; see {@link TransportProvider.shutdown}. Optional. */
  shutdown?(options: ShutdownOptions): Promise<void>;
}

/** The argument of {@link defineProvider}: the runtime meta plus the factory. */
export interface ProviderDefinition<Options> extends ProviderMeta {
  /**
   * Runtime refusal (MAPI's provider-side version check): return false to refuse the SPI version the host
   * negotiated. The host already checked the manifest range, so most providers leave this out.
   */
  acceptsSpiVersion?(spiVersion: string): boolean;
  /** Called by `xpProviderInit`, once per profile entry; return a fresh implementation each time. */
  create(
    context: ProviderInitContext,
  ): ProviderImplementation<Options> | Promise<ProviderImplementation<Options>>;
}

/**
 * Declares a provider: gives the author type inference for options, stamps the runtime meta on the entry
 * point and on every provider object, makes `shutdown` idempotent and `await using` safe. Export the result
 * as `xpProviderInit`. Bundle this function into the provider (it has no dependencies), so the provider
 * needs `@spool/spi` only at build time.
 *
 * @example
 * ```ts
 * export const xpProviderInit = defineProvider<{ greeting: string }>({
 *   name: 'spool-provider-hello', version: '1.0.0', spi: '^1.0.0', addressTypes: ['HELLO'],
 *   create: () => ({ transportLogon: async (support, section) => makeLogon(support, section.options) }),
 * });
 * ```
 */
export function defineProvider<Options = Record<string, unknown>>(
  definition: ProviderDefinition<Options>,
): XPProviderInit<Options> & { readonly meta: ProviderMeta } {
  const meta: ProviderMeta = Object.freeze({
    name: definition.name,
    version: definition.version,
    spi: definition.spi,
    addressTypes: Object.freeze([...definition.addressTypes]),
    ...(definition.displayName === undefined ? {} : { displayName: definition.displayName }),
    ...(definition.optionsSchema === undefined ? {} : { optionsSchema: definition.optionsSchema }),
  });

  const xpProviderInit = async (context: ProviderInitContext): Promise<TransportProvider<Options>> => {
    if (definition.acceptsSpiVersion && !definition.acceptsSpiVersion(context.spiVersion)) {
      throw new SpoolError(
        SpiErrorCode.VERSION_REFUSED,
        `${meta.name}@${meta.version} refused SPI ${context.spiVersion} offered by the host`,
        {
          hint: `Use a version of ${meta.name} that works with SPI ${context.spiVersion}, or a host that offers another SPI version.`,
          details: { provider: meta.name, version: meta.version, offered: context.spiVersion },
        },
      );
    }
    const implementation = await definition.create(context);
    let shutdownDone: Promise<void> | undefined;
    const shutdown = (options: ShutdownOptions): Promise<void> => {
      shutdownDone ??= Promise.resolve(implementation.shutdown?.(options));
      return shutdownDone;
    };
    return {
      meta,
      transportLogon: (support, section) => implementation.transportLogon(support, section),
      shutdown,
      [Symbol.asyncDispose]: () => shutdown({ reason: 'dispose' }),
    } as TransportProvider<Options>;
  };
  return Object.assign(xpProviderInit, { meta });
}
