import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { isAddressType, type Logger, type TransportLogon, type TransportProvider } from '@spool/spi';
import corePackage from '../../package.json' with { type: 'json' };
import { type Attribution, ErrorCode, SpoolError } from '../errors.js';
import type { Profile, ProviderEntryConfig } from '../profile/profile.js';
import { blankRow, type StatusTable } from '../status/status-table.js';
import { createLogger, type LogSink } from '../util/logger.js';
import { Activity, type CallRunner } from './call-runner.js';
import { checkProviderObject, type ImportedProvider } from './load-provider.js';
import { type EntryState, LogonHandle } from './logon-handle.js';
import { checkLogonShape } from './logon-shape.js';
import { LogonSupport } from './support.js';
import { validateOptions } from './validate-options.js';

/** The version of this host, passed to providers in `xpProviderInit`. */
export const HOST_VERSION: string = corePackage.version;

/** What starting an entry needs from the host that owns it. */
export interface EntryStartContext {
  readonly profile: Profile;
  readonly sink: LogSink;
  readonly runner: CallRunner;
  readonly statusTable: StatusTable;
  readonly hostSpiVersions: readonly string[];
  readonly logger: Logger;
  /** A logon was logged on (before it is added to its entry). */
  onLoggedOn(handle: LogonHandle): void;
  /** A logon's support object asked to be polled (`notifyNewMail`). */
  onNewMail(handle: LogonHandle): void;
  /** A logon's support object entered (true) or left (false) a critical section. */
  onCriticalSection(logonId: string, held: boolean): void;
}

/**
 * Starts one imported entry (MAPI XPProviderInit, then TransportLogon per account, in order): initialises
 * the provider, validates each account's options against its schema, and logs each account on. Throws the
 * first error; the caller records it against the entry.
 */
export async function startEntry(
  context: EntryStartContext,
  entry: EntryState,
  imported: ImportedProvider,
): Promise<void> {
  const { config } = entry;
  const { hostSpiVersions } = context;
  entry.imported = imported;
  if (imported.spiOverride) {
    context.logger.warn(
      {
        entry: config.id,
        provider: imported.package.name,
        range: imported.manifest.spi,
        hostSpiVersions,
      },
      `!!! ${imported.package.name}@${imported.version} declares SPI ${imported.manifest.spi}, which this host (SPI ${hostSpiVersions.join(', ')}) does not implement; loading it anyway because ${config.keyPath}.ignoreSpiRange is true. Expect breakage; remove the override once a compatible version exists.`,
    );
  }
  entry.provider = await initProvider(context, config, imported);
  for (const account of config.accounts) {
    const options = await accountOptions(
      context.profile,
      config,
      imported,
      entry.provider,
      account,
      (message) => context.logger.warn({ entry: config.id }, message),
    );
    entry.logons.push(await logOn(context, entry, account.name, options));
  }
}

/** What {@link initProvider} needs: the profile, where provider logs go, and the call runner. */
export type ProviderInitContext = Pick<EntryStartContext, 'profile' | 'sink' | 'hostSpiVersions'> & {
  readonly runner: Pick<CallRunner, 'run'>;
};

/**
 * MAPI XPProviderInit for one entry: calls the imported module's `xpProviderInit` through the call runner
 * (the entry's timeouts) and checks the provider object it returns against the manifest. Logs nothing on.
 */
export async function initProvider(
  context: ProviderInitContext,
  config: ProviderEntryConfig,
  imported: ImportedProvider,
): Promise<TransportProvider> {
  const { profile, hostSpiVersions } = context;
  const providerLogger = createLogger(context.sink, profile.redactor, {
    provider: imported.package.name,
    entry: config.id,
  });
  const attribution = {
    provider: imported.package.name,
    version: imported.version,
    method: 'xpProviderInit',
  };
  const provider = await context.runner.run({ attribution, timeouts: config.timeouts }, () =>
    imported.xpProviderInit({
      spiVersion: imported.spiVersion,
      hostSpiVersions,
      hostVersion: HOST_VERSION,
      entryId: config.id,
      logger: providerLogger,
    }),
  );
  return checkProviderObject(imported, provider);
}

/**
 * One account's options (the entry's merged with the account's), validated against the provider's options
 * schema when it publishes one; throws `SPOOL_E_INVALID_OPTIONS` naming the file and key.
 */
export async function accountOptions(
  profile: Profile,
  config: ProviderEntryConfig,
  imported: ImportedProvider,
  provider: TransportProvider,
  account: ProviderEntryConfig['accounts'][number],
  warn?: (message: string) => void,
): Promise<Record<string, unknown>> {
  const options = { ...config.options, ...account.options };
  const schema = provider.meta.optionsSchema;
  // Most providers publish no schema: then there is nothing to validate, and no validator to load.
  if (schema !== undefined) {
    await validateOptions({
      schema,
      options,
      entry: config,
      account,
      provider: imported.package.name,
      file: profile.file,
      redactor: profile.redactor,
      ...(warn ? { warn } : {}),
    });
  }
  return options;
}

/**
 * Logs one account on (MAPI TransportLogon): support object, status row, shape check, address types. Also
 * used to log a logon on again in place (relogon.ts).
 */
export async function logOn(
  context: EntryStartContext,
  entry: EntryState,
  account: string,
  options: Record<string, unknown>,
): Promise<LogonHandle> {
  const { profile, runner, statusTable } = context;
  const { config, imported, provider } = entry as Required<Pick<EntryState, 'imported' | 'provider'>> &
    EntryState;
  const id = `${config.id}/${account}`;
  const dataDir = join(profile.dir, '.spool', 'data', config.id, account);
  mkdirSync(dataDir, { recursive: true });
  const activity = new Activity();
  const logger = createLogger(context.sink, profile.redactor, {
    provider: imported.package.name,
    logon: id,
  });
  let handle: LogonHandle | undefined;
  const support = new LogonSupport({
    logonId: id,
    account,
    logger,
    dataDir,
    host: {
      statusTable,
      redactor: profile.redactor,
      activity,
      onNewMail: () => {
        if (handle && handle.state === 'active') context.onNewMail(handle);
      },
      onCriticalSection: (held) => {
        statusTable.update(id, { text: held ? 'busy (critical section)' : 'ready' });
        context.onCriticalSection(id, held);
      },
    },
  });
  // The row exists before the provider runs, so its modifyStatusRow() in transportLogon patches it.
  statusTable.put({
    ...blankRow(id, 'logon', imported.manifest ? (provider.meta.displayName ?? config.id) : config.id),
    provider: { name: imported.package.name, version: imported.version },
    spiVersion: imported.spiVersion,
    text: 'logging on',
  });
  const attribution: Attribution = {
    provider: imported.package.name,
    version: imported.version,
    method: 'transportLogon',
    logonId: id,
  };
  let logon: TransportLogon;
  try {
    logon = await runner.run({ attribution, timeouts: config.timeouts, activity }, () =>
      provider.transportLogon(support, {
        account,
        options: Object.freeze({ ...options }),
        profileDir: profile.dir,
      }),
    );
    const shape = checkLogonShape(logon);
    if (shape.missing.length > 0) throw notALogon(imported, id);
    // A bad optional member is the provider's defect, not a reason to refuse the logon: say so, use the default.
    for (const { member, value, rule } of shape.invalid)
      logger.warn(
        { member, value },
        `${imported.package.name}@${imported.version}: logon ${id} has ${member} ${JSON.stringify(value)}; it must be ${rule}. Using the default.`,
      );
  } catch (error) {
    support.invalidate();
    statusTable.remove(id);
    throw error;
  }
  support.closeRegistration();
  const types = await runner.run(
    { attribution: { ...attribution, method: 'addressTypes' }, timeouts: config.timeouts, activity },
    () => logon.addressTypes(),
  );
  const addressTypes = checkAddressTypes(types, id, imported.package.name);
  handle = new LogonHandle({ id, entry, account, logon, support, activity, logger, addressTypes });
  context.onLoggedOn(handle);
  const row = statusTable.get(id);
  statusTable.update(id, {
    available: true,
    text: row?.text === 'logging on' ? 'ready' : (row?.text ?? 'ready'),
  });
  return handle;
}

// Error builders live outside the functions that use them: V8 compiles a function on its first call, and the
// start path should not pay for compiling messages it only needs when a provider misbehaves.

function notALogon(imported: ImportedProvider, id: string): SpoolError {
  return new SpoolError(
    ErrorCode.BAD_SHAPE,
    `${imported.package.name}@${imported.version}: transportLogon() for ${id} returned an object without addressTypes(), transportNotify(), submitMessage() and transportLogoff()`,
    {
      hint: 'Return a TransportLogon from transportLogon (see @spool/spi).',
      details: { provider: imported.package.name, logonId: id },
    },
  );
}

function checkAddressTypes(types: unknown, logonId: string, provider: string): string[] {
  if (!Array.isArray(types) || !types.every(isAddressType)) {
    throw new SpoolError(
      ErrorCode.BAD_SHAPE,
      `${provider}: addressTypes() of ${logonId} returned ${JSON.stringify(types)}, not a list of address types`,
      {
        hint: 'Return address types like ["SMTP"] (letters, digits, dashes; starting with a letter).',
        details: { provider, logonId },
      },
    );
  }
  return types.map((t) => t.toUpperCase());
}
