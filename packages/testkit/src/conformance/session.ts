import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkLogonShape } from '@spool/core/internal';
import type { TransportLogon, TransportNotifyEvent, TransportProvider } from '@spool/spi';
import { conformanceError } from '../errors.js';
import { RecordingSupport } from '../recording-support.js';
import {
  importThroughLoader,
  initProvider,
  memoryLogger,
  type PreparedPackage,
  preparePackage,
} from '../target.js';
import { type Receiver, receiveLikeTheHost } from './receiver.js';
import type { Suite } from './suite.js';

const LOGON_RULE = 'provider.transportLogon(support, section)';

/** One provider, loaded and initialised the way the host does it, in a temporary folder. */
export interface Session {
  readonly pkg: PreparedPackage;
  readonly work: string;
  readonly provider: TransportProvider;
  readonly options: Readonly<Record<string, unknown>>;
  readonly manifestTypes: readonly string[];
  /** `name@version`, for messages. */
  readonly name: string;
  /** The host's inbound side of each logon made with {@link logOn}. */
  readonly receivers: Map<TransportLogon, Receiver>;
  newSupport(account?: string): Promise<RecordingSupport>;
}

/** Runs `body` with a fresh session, and always cleans up (shutdown, temp folder, generated package). */
export async function withSession<T>(suite: Suite, body: (session: Session) => Promise<T>): Promise<T> {
  const pkg = await preparePackage(suite.config, 'runConformance');
  const work = await mkdtemp(join(tmpdir(), 'spool-conformance-'));
  let provider: TransportProvider | undefined;
  try {
    const imported = await importThroughLoader(pkg.dir, work);
    const logger = memoryLogger();
    provider = await initProvider(imported, logger);
    let accounts = 0;
    const session: Session = {
      pkg,
      work,
      provider,
      options: Object.freeze({ ...(await suite.sampleOptions()) }),
      manifestTypes: imported.manifest.addressTypes,
      name: `${imported.package.name}@${imported.version}`,
      receivers: new Map(),
      async newSupport(account = `account${accounts++}`) {
        const dataDir = join(work, 'data', account);
        await mkdir(dataDir, { recursive: true });
        return new RecordingSupport({ logonId: `conformance/${account}`, account, logger, dataDir });
      },
    };
    return await body(session);
  } finally {
    await provider?.shutdown({ reason: 'dispose' }).catch(() => {});
    await rm(work, { recursive: true, force: true });
    await pkg.cleanup();
  }
}

/**
 * A fresh session with one account logged on (and, with `traffic`, outbound and inbound begun), given to
 * `body`; the logon is logged off whatever `body` does.
 */
export async function withLogon(
  suite: Suite,
  options: { traffic: boolean },
  body: (session: Session, logon: TransportLogon, support: RecordingSupport) => Promise<void>,
): Promise<void> {
  await withSession(suite, async (session) => {
    const support = await session.newSupport();
    const logon = await logOn(session, support);
    try {
      if (options.traffic) {
        await notify(session, logon, { type: 'begin-outbound' });
        await notify(session, logon, { type: 'begin-inbound' });
      }
      await body(session, logon, support);
    } finally {
      await logoff(session, logon, support);
    }
  });
}

/** `transportLogon`, checked with the host's own logon-shape rule (the suite fails on bad optional members too). */
export async function logOn(session: Session, support: RecordingSupport): Promise<TransportLogon> {
  let logon: TransportLogon;
  try {
    logon = await session.provider.transportLogon(support, {
      account: support.account,
      options: session.options,
      profileDir: session.work,
    });
  } catch (error) {
    throw conformanceError(
      session.name,
      LOGON_RULE,
      `transportLogon with the sample options threw: ${(error as Error)?.message ?? String(error)}`,
      'Check the sample options given to runConformance; transportLogon should succeed with them.',
      {},
      error,
    );
  } finally {
    support.logonDone();
  }
  const { missing, invalid } = checkLogonShape(logon);
  if (missing.length > 0) {
    throw conformanceError(
      session.name,
      LOGON_RULE,
      `transportLogon returned a logon without ${missing.join(', ')}`,
      'Return a TransportLogon object (see @spool/spi).',
    );
  }
  const [bad] = invalid;
  if (bad) {
    throw conformanceError(
      session.name,
      LOGON_RULE,
      `${bad.member} is ${String(bad.value)}`,
      `${bad.member} must be ${bad.rule}.`,
    );
  }
  session.receivers.set(logon, receiveLikeTheHost(session.name, support, logon));
  if (support.newMailCalls > 0) support.onNewMail?.(); // asked during logon: received once inbound begins
  return logon;
}

/** `transportNotify(event)`, which must not throw; tells the logon's receiver when inbound begins or ends. */
export async function notify(
  session: Session,
  logon: TransportLogon,
  event: TransportNotifyEvent,
): Promise<void> {
  try {
    await logon.transportNotify(event);
    if (event.type === 'begin-inbound' || event.type === 'end-inbound') {
      session.receivers.get(logon)?.setInbound(event.type === 'begin-inbound');
    }
  } catch (error) {
    throw conformanceError(
      session.name,
      'logon.transportNotify(event)',
      `transportNotify(${event.type}) threw: ${(error as Error)?.message}`,
      'Every event must be accepted; ignore the ones the provider has no use for.',
      { event: event.type },
      error,
    );
  }
}

/** `transportLogoff`, which must not throw; the support object is invalid afterwards, as under the host. */
export async function logoff(
  session: Session,
  logon: TransportLogon,
  support: RecordingSupport,
  mode: 'orderly' | 'abort' = 'orderly',
): Promise<void> {
  try {
    await logon.transportLogoff({ mode });
  } catch (error) {
    throw conformanceError(
      session.name,
      'logon.transportLogoff(options)',
      `transportLogoff({ mode: '${mode}' }) threw: ${(error as Error)?.message}`,
      'Logoff must close quietly; log problems instead of throwing.',
      {},
      error,
    );
  } finally {
    support.invalidate();
  }
}
