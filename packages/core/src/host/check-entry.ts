import type { Logger } from '@spool/spi';
import { ErrorCode, messageOf, SpoolError } from '../errors.js';
import type { Profile, ProviderEntryConfig } from '../profile/profile.js';
import type { LogSink } from '../util/logger.js';
import type { CallRunner } from './call-runner.js';
import { importProvider } from './load-provider.js';
import { accountOptions, initProvider } from './start-entry.js';

/** What checking entries needs from the host that will start them. */
export interface EntryCheckContext {
  /** The new profile, whose entries are checked. */
  readonly profile: Profile;
  /** Where the providers' own log records go (the `logger` of `xpProviderInit`). */
  readonly sink: LogSink;
  /** The host's call runner: timeouts, attribution and containment as at start. */
  readonly runner: Pick<CallRunner, 'run'>;
  readonly hostSpiVersions: readonly string[];
  /** Providers that ship with the CLI: package name → directory. */
  readonly builtins?: Readonly<Record<string, string>> | undefined;
  /** The host's logger, for what the check itself reports. */
  readonly logger: Logger;
}

/**
 * A reload's check of one entry, before anything is switched: everything a start does to an entry but the
 * logon, by the host's own functions — resolve the package from the profile's directory, read its manifest,
 * negotiate the SPI version and import it (load-provider.ts), call `xpProviderInit` and check the provider
 * object, validate every account's options against its schema (start-entry.ts). No logon: a trial logon
 * would bind what the running logon holds (a listening port, a lock). The provider object made for the check
 * has no logon and is shut down at once (reason `reload`); the switch initialises the entry again. So a
 * file the provider only opens at logon (a TLS `ca`) is found missing after the switch, as a logon failure.
 * Throws the entry's coded error.
 */
export async function checkEntry(context: EntryCheckContext, config: ProviderEntryConfig): Promise<void> {
  const { profile } = context;
  const imported = await importProvider(config.provider, {
    profileDir: profile.dir,
    ...(context.builtins ? { builtins: context.builtins } : {}),
    hostSpiVersions: context.hostSpiVersions,
    ignoreSpiRange: config.ignoreSpiRange,
    where: `${profile.file ?? 'profile'}: ${config.keyPath}`,
  });
  const provider = await initProvider(context, config, imported);
  try {
    for (const account of config.accounts) await accountOptions(profile, config, imported, provider, account);
  } finally {
    const attribution = { provider: imported.package.name, version: imported.version, method: 'shutdown' };
    await context.runner
      .run({ attribution, timeouts: config.timeouts }, () => provider.shutdown({ reason: 'reload' }))
      .catch((error: unknown) =>
        context.logger.warn(
          { entry: config.id },
          `shutdown after the reload check failed: ${messageOf(error)}`,
        ),
      );
  }
}

/**
 * Checks the entries `entryIds` of the context's profile (see {@link checkEntry}), in profile order, every
 * one of them. Resolves to the refusals, each the entry's coded error with the entry named in its message and
 * `details.entry` (the caller reports them); an empty list means the profile may be switched to.
 */
export async function checkEntries(
  context: EntryCheckContext,
  entryIds: readonly string[],
): Promise<SpoolError[]> {
  const refusals: SpoolError[] = [];
  for (const config of context.profile.providers) {
    if (!entryIds.includes(config.id)) continue;
    try {
      await checkEntry(context, config);
    } catch (error) {
      refusals.push(refusalOf(config, error));
    }
  }
  return refusals;
}

/** The entry's error as a reload refusal: the same code and hint, the entry named. */
function refusalOf(config: ProviderEntryConfig, error: unknown): SpoolError {
  const code = (error as { code?: unknown } | null)?.code;
  const spool =
    error instanceof SpoolError || (typeof code === 'string' && code.startsWith('SPOOL_E_'))
      ? (error as SpoolError)
      : new SpoolError(ErrorCode.PROVIDER_FAILED, messageOf(error), { cause: error });
  const named = spool.message.includes(`entry "${config.id}"`);
  return new SpoolError(spool.code, named ? spool.message : `entry "${config.id}": ${spool.message}`, {
    ...(spool.hint === undefined ? {} : { hint: spool.hint }),
    details: { ...spool.details, entry: config.id },
    cause: spool,
  });
}
