import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type InboundMessage,
  isSpoolError,
  type LogonHandle,
  normalizeProfile,
  type OutboundMessage,
  type OutboundRecipient,
  PROVIDER_KEYWORD,
  ProviderHost,
  parseAddress,
  readManifest,
  type SubmitMessageResult,
  type TransportLogon,
  type TransportNotifyEvent,
  type TransportProvider,
} from '@spool/core';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { conformanceError, usageError } from './errors.js';
import { createHarness } from './harness.js';
import { RecordingSupport } from './recording-support.js';
import {
  importThroughLoader,
  initProvider,
  memoryLogger,
  type PreparedPackage,
  type ProviderTarget,
  preparePackage,
} from './target.js';
import { resolveTestApi, type TestApi } from './test-api.js';

/** The provider's options for the suite: a value, or a function called per check (e.g. to read a server port). */
export type OptionsSource =
  | Readonly<Record<string, unknown>>
  | (() => Readonly<Record<string, unknown>> | Promise<Readonly<Record<string, unknown>>>);

/** Options of {@link runConformance}. */
export type ConformanceOptions = ProviderTarget &
  Partial<TestApi> & {
    /**
     * Sample recipients for the provider's address type(s), as `TYPE:rest` (`['FAX:+15550100']`). The suite
     * hands them to `submitMessage` directly and through a real spooler, and expects each to be delivered.
     */
    readonly addresses: readonly string[];
    /** Sample options (what an operator writes under `options:`), under which the sample addresses deliver. */
    readonly options?: OptionsSource;
    /** The sender of the sample message (`TYPE:rest`); none by default. */
    readonly from?: string;
    /** Accepted for symmetry with other kits; the suite throws coded errors instead of using `expect`. */
    readonly expect?: unknown;
    /** Timeout of each check in ms, passed to `it` (default 60 000). */
    readonly timeoutMs?: number;
    /** How long to watch for support calls after logoff, in ms (default 100). */
    readonly settleMs?: number;
    /** Title of the `describe` block (default: `<package name> conformance`). */
    readonly title?: string;
  };

/** Every `transportNotify` event, in the order a full session sees them. */
const SESSION_EVENTS: readonly TransportNotifyEvent[] = [
  { type: 'begin-outbound' },
  { type: 'begin-inbound' },
  { type: 'begin-outbound-flush' },
  { type: 'end-outbound-flush' },
  { type: 'begin-inbound-flush' },
  { type: 'end-inbound-flush' },
  { type: 'abort-deferred', messageId: 'conformance-not-queued', reason: 'user' },
  { type: 'end-outbound' },
  { type: 'end-inbound' },
];
const STATUS_PATCH_KEYS = new Set([
  'displayName',
  'identity',
  'text',
  'progress',
  'available',
  'offline',
  'failure',
  'lastError',
]);
const OUTCOMES = new Set(['delivered', 'failed', 'retry', 'not-mine']);
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

/** One provider, loaded and initialised the way the host does it, in a temporary folder. */
interface Session {
  readonly pkg: PreparedPackage;
  readonly work: string;
  readonly provider: TransportProvider;
  readonly options: Readonly<Record<string, unknown>>;
  readonly manifestTypes: readonly string[];
  readonly name: string;
  newSupport(account?: string): Promise<RecordingSupport>;
}

const sortedTypes = (types: readonly string[]) => [...types].map((t) => t.toUpperCase()).sort();

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

/** The provider's package name for titles, read synchronously (checks are registered synchronously). */
function targetName(target: ProviderTarget): string {
  if (target.packageDir === undefined) return target.provider?.meta?.name ?? 'provider';
  try {
    const json = JSON.parse(readFileSync(join(target.packageDir, 'package.json'), 'utf8')) as {
      name?: unknown;
    };
    return typeof json.name === 'string' ? json.name : target.packageDir;
  } catch {
    return target.packageDir;
  }
}

/**
 * Registers the SPI conformance checks for one provider with the test runner — one `it` per rule, inside one
 * `describe`. Test functions are injectable like ESLint's RuleTester: pass `describe` and `it` from vitest (or
 * jest, mocha, node:test); without them the runner's globals are used, and without those this throws
 * `SPOOL_E_TESTKIT_NO_TEST_API` saying how to pass them. A failing check throws `SPOOL_E_CONFORMANCE` naming
 * the rule, what the provider did, and how to fix it.
 *
 * @example
 * ```ts
 * import { describe, it } from 'vitest';
 * import { runConformance } from '@spool/testkit';
 * runConformance({ packageDir: new URL('..', import.meta.url).pathname, addresses: ['FILE:alice'], describe, it });
 * ```
 */
export function runConformance(config: ConformanceOptions): void {
  const api = resolveTestApi(config, 'runConformance');
  if (!Array.isArray(config.addresses) || config.addresses.length === 0) {
    throw usageError(
      'runConformance: no sample addresses',
      "Pass addresses: one or more TYPE:rest recipients the provider delivers to under the sample options, e.g. ['FAX:+15550100'].",
    );
  }
  if (config.packageDir === undefined && config.provider === undefined) {
    throw usageError(
      'runConformance: neither packageDir nor provider was given',
      'Pass packageDir: the provider package folder (holding package.json and the built entry).',
    );
  }
  const timeoutMs = config.timeoutMs ?? 60_000;
  const settleMs = config.settleMs ?? 100;
  const title = config.title ?? `${targetName(config)} conformance (SPI)`;
  const resolveOptions = async () =>
    typeof config.options === 'function' ? await config.options() : (config.options ?? {});

  const receivers = new WeakMap<TransportLogon, ReturnType<typeof receiveLikeTheHost>>();

  /** Runs `body` with a fresh session, and always cleans up (shutdown, temp folder, generated package). */
  async function withSession<T>(body: (session: Session) => Promise<T>): Promise<T> {
    const pkg = await preparePackage(config, 'runConformance');
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
        options: Object.freeze({ ...(await resolveOptions()) }),
        manifestTypes: imported.manifest.addressTypes,
        name: `${imported.package.name}@${imported.version}`,
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
  async function withLogon(
    options: { traffic: boolean },
    body: (session: Session, logon: TransportLogon, support: RecordingSupport) => Promise<void>,
  ): Promise<void> {
    await withSession(async (session) => {
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

  /** `transportLogon` with the shape checks the host makes, plus the ones only the suite makes. */
  async function logOn(session: Session, support: RecordingSupport): Promise<TransportLogon> {
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
        'provider.transportLogon(support, section)',
        `transportLogon with the sample options threw: ${(error as Error)?.message ?? String(error)}`,
        'Check the sample options given to runConformance; transportLogon should succeed with them.',
        {},
        error,
      );
    } finally {
      support.logonDone();
    }
    const missing = ['addressTypes', 'transportNotify', 'submitMessage', 'transportLogoff'].filter(
      (m) => typeof (logon as unknown as Record<string, unknown> | undefined)?.[m] !== 'function',
    );
    if (missing.length > 0) {
      throw conformanceError(
        session.name,
        'provider.transportLogon(support, section)',
        `transportLogon returned a logon without ${missing.join(', ')}`,
        'Return a TransportLogon object (see @spool/spi).',
      );
    }
    if (logon.maxInFlight !== undefined && !(Number.isInteger(logon.maxInFlight) && logon.maxInFlight >= 1)) {
      throw conformanceError(
        session.name,
        'provider.transportLogon(support, section)',
        `maxInFlight is ${String(logon.maxInFlight)}`,
        'maxInFlight must be an integer ≥ 1, or left out (1).',
      );
    }
    if (
      logon.pollIntervalMs !== undefined &&
      !(typeof logon.pollIntervalMs === 'number' && logon.pollIntervalMs > 0)
    ) {
      throw conformanceError(
        session.name,
        'provider.transportLogon(support, section)',
        `pollIntervalMs is ${String(logon.pollIntervalMs)}`,
        'pollIntervalMs must be a positive number of milliseconds, or left out.',
      );
    }
    const receiver = receiveLikeTheHost(session, support, logon);
    receivers.set(logon, receiver);
    if (support.newMailCalls > 0) support.onNewMail?.(); // asked during logon: received once inbound begins
    return logon;
  }

  async function notify(session: Session, logon: TransportLogon, event: TransportNotifyEvent): Promise<void> {
    try {
      await logon.transportNotify(event);
      if (event.type === 'begin-inbound' || event.type === 'end-inbound') {
        receivers.get(logon)?.setInbound(event.type === 'begin-inbound');
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

  /** The host's inbound sink as the checks play it: keeps each message in `saved`, refusing one without a subject. */
  function savingSink(session: Session, saved: InboundMessage[]) {
    return {
      save: async (message: InboundMessage) => {
        if (typeof message?.subject !== 'string') {
          throw conformanceError(
            session.name,
            'logon.poll(context) and logon.startMessage(sink, context)',
            `sink.save got a message without a subject string: ${JSON.stringify(message)}`,
            'An inbound message needs at least subject.',
          );
        }
        saved.push(message);
        return { id: `in-${saved.length}` };
      },
    };
  }

  /**
   * Plays the host's inbound side for a logon driven directly: `notifyNewMail()` makes it call
   * `startMessage(sink)` soon after, until the provider says no more are waiting (a provider may report a
   * recipient delivered only once the host stored its copy, as loopback does).
   */
  function receiveLikeTheHost(session: Session, support: RecordingSupport, logon: TransportLogon) {
    const saved: InboundMessage[] = [];
    const errors: unknown[] = [];
    let running: Promise<void> = Promise.resolve();
    let wanted = false;
    const sink = savingSink(session, saved);
    const signal = new AbortController().signal;
    const pump = async () => {
      for (let round = 0; round < 100 && wanted; round++) {
        wanted = false;
        const result = await logon.startMessage!(sink, { signal });
        if (typeof result?.more !== 'boolean') {
          throw conformanceError(
            session.name,
            'logon.poll(context) and logon.startMessage(sink, context)',
            `startMessage() returned ${JSON.stringify(result)}`,
            'Return { more: boolean }.',
          );
        }
        if (result.more) wanted = true;
      }
    };
    // Like the host: receiving happens only while inbound traffic is enabled (begin-inbound … end-inbound).
    let inbound = false;
    const schedule = () => {
      if (!inbound || !wanted || typeof logon.startMessage !== 'function') return;
      running = running
        .then(() => new Promise((resolve) => setImmediate(resolve)))
        .then(pump)
        .catch((error: unknown) => {
          errors.push(error);
        });
    };
    support.onNewMail = () => {
      wanted = true;
      schedule();
    };
    return {
      saved,
      sink,
      /** begin-inbound / end-inbound reached the provider. */
      setInbound(enabled: boolean) {
        inbound = enabled;
        schedule();
      },
      /** Waits for the receiving in progress and throws what it ran into. */
      async settle() {
        await running;
        if (errors.length > 0) throw errors[0];
      },
    };
  }

  /** The sample message: the sample addresses as routed recipients, plus a blind one of a foreign type. */
  function sampleMessage(id: string): { message: OutboundMessage; routed: OutboundRecipient[] } {
    const routed = config.addresses.map((address, index): OutboundRecipient => {
      const parsed = parseAddress(address, 'SMTP', `addresses[${index}]`);
      return { id: String(index), ...parsed, type: 'to', attempts: 0 };
    });
    const foreign: OutboundRecipient = {
      id: String(routed.length),
      address: 'CONFORMANCE-OTHER:nobody',
      addressType: 'CONFORMANCE-OTHER',
      value: 'nobody',
      type: 'bcc',
      attempts: 0,
    };
    const message: OutboundMessage = {
      id,
      messageId: `<${id}@conformance.spool>`,
      ...(config.from === undefined ? {} : { from: parseAddress(config.from, 'SMTP', 'from').address }),
      recipients: [...routed, foreign],
      subject: 'spool conformance',
      text: 'A sample message sent by the @spool/testkit conformance suite.',
      attachments: [
        {
          filename: 'note.txt',
          contentType: 'text/plain',
          content: new TextEncoder().encode('attached text\n'),
        },
      ],
      messageClass: 'IPM.Note',
      properties: {},
      submittedAt: new Date(),
    };
    return { message, routed };
  }

  /** Runs the logon's preprocessors like the host: in registration order, each paired with one removal. */
  async function preprocessAll(
    session: Session,
    support: RecordingSupport,
    message: OutboundMessage,
    routed: OutboundRecipient[],
    signal: AbortSignal,
  ) {
    const runs: { runId: string; info: unknown; index: number }[] = [];
    for (const [index, preprocessor] of support.preprocessorsRegistered.entries()) {
      const runId = `${message.id}-run${index}`;
      try {
        const result = await preprocessor.preprocess(message, routed, {
          runId,
          workDir: support.dataDir,
          signal,
        });
        runs.push({ runId, info: result?.info, index });
      } catch (error) {
        await removeAll(session, support, message, runs, 'deferred');
        throw conformanceError(
          session.name,
          'Preprocessors',
          `preprocessor "${preprocessor.name}" threw on the sample message: ${(error as Error)?.message}`,
          'The sample message should preprocess; check the sample options.',
          {},
          error,
        );
      }
    }
    return runs;
  }

  async function removeAll(
    session: Session,
    support: RecordingSupport,
    message: OutboundMessage,
    runs: { runId: string; info: unknown; index: number }[],
    reason: 'delivered' | 'failed' | 'deferred' | 'cancelled' | 'recovered',
  ) {
    for (const run of runs) {
      const preprocessor = support.preprocessorsRegistered[run.index]!;
      try {
        await preprocessor.removePreprocessInfo({
          runId: run.runId,
          messageId: message.id,
          workDir: support.dataDir,
          info: reason === 'recovered' ? undefined : run.info,
          reason,
        });
      } catch (error) {
        throw conformanceError(
          session.name,
          'Preprocessors',
          `removePreprocessInfo of "${preprocessor.name}" threw (reason ${reason}): ${(error as Error)?.message}`,
          'removePreprocessInfo must clean up without throwing, also when its artifacts are already gone or info is undefined (a recovered run).',
          { reason },
          error,
        );
      }
    }
  }

  async function logoff(
    session: Session,
    logon: TransportLogon,
    support: RecordingSupport,
    mode: 'orderly' | 'abort' = 'orderly',
  ) {
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

  /** A real host (ProviderHost from @spool/core) with this provider as its one entry. */
  async function withHost<T>(
    body: (host: ProviderHost, handle: LogonHandle, pkg: PreparedPackage) => Promise<T>,
  ): Promise<T> {
    const pkg = await preparePackage(config, 'runConformance');
    const dir = await mkdtemp(join(tmpdir(), 'spool-conformance-host-'));
    let host: ProviderHost | undefined;
    try {
      const profile = normalizeProfile(
        { providers: [{ id: 'conformance', provider: pkg.dir, options: { ...(await resolveOptions()) } }] },
        { dir },
      );
      host = await ProviderHost.start({ profile, strict: true, logSink: () => {} });
      const handle = host.logons()[0];
      if (!handle)
        throw conformanceError(
          pkg.name,
          'Loading (XPProviderInit), in order',
          'the real host logged on no account',
          'See the host log: the provider should load and log on with the sample options.',
        );
      return await body(host, handle, pkg);
    } finally {
      await host?.stop({ mode: 'abort' }).catch(() => {});
      await rm(dir, { recursive: true, force: true });
      await pkg.cleanup();
    }
  }

  const check = (name: string, body: () => Promise<void>) => api.it(name, body, timeoutMs);

  api.describe(title, () => {
    check('manifest: package.json has a valid "spool" manifest and the spool-provider keyword', async () => {
      const pkg = await preparePackage(config, 'runConformance');
      try {
        // The loader's own reader: the same rule and the same coded error (SPOOL_E_BAD_MANIFEST) as the host.
        const manifest = readManifest({
          spec: pkg.dir,
          name: pkg.name,
          dir: pkg.dir,
          source: 'path',
          packageJson: pkg.packageJson,
          shadowed: [],
        });
        const keywords = pkg.packageJson.keywords;
        if (!Array.isArray(keywords) || !keywords.includes(PROVIDER_KEYWORD)) {
          throw conformanceError(
            pkg.name,
            'Versions: the manifest is the contract',
            `package.json keywords ${JSON.stringify(keywords ?? [])} lack "${PROVIDER_KEYWORD}"`,
            `Add "${PROVIDER_KEYWORD}" to "keywords" so registries and \`spool provider add\` find the package.`,
          );
        }
        const deps = (pkg.packageJson.dependencies ?? {}) as Record<string, unknown>;
        if ('@spool/spi' in deps) {
          throw conformanceError(
            pkg.name,
            'Versions: the manifest is the contract',
            '@spool/spi is a run-time dependency',
            'Move @spool/spi to devDependencies and bundle defineProvider (tsup noExternal): the manifest alone decides compatibility at run time.',
          );
        }
        if (manifest.addressTypes.length === 0) {
          throw conformanceError(
            pkg.name,
            'Versions: the manifest is the contract',
            '"spool.addressTypes" is empty',
            'Declare the address types the provider claims by default, e.g. ["FAX"].',
          );
        }
      } finally {
        await pkg.cleanup();
      }
    });

    check(
      'xpProviderInit: the real loader imports it and it returns a new provider whose meta agrees with the manifest',
      async () => {
        await withSession(async (session) => {
          if (typeof session.provider.shutdown !== 'function') {
            throw conformanceError(
              session.name,
              'xpProviderInit(context)',
              'the provider object has no shutdown()',
              'Return the object defineProvider() builds (it has meta, transportLogon and an idempotent shutdown).',
            );
          }
          const imported = await importThroughLoader(session.pkg.dir, session.work);
          const second = await initProvider(imported, memoryLogger(), 'conformance-2');
          try {
            if (second === session.provider) {
              throw conformanceError(
                session.name,
                'xpProviderInit(context)',
                'xpProviderInit returned the same object twice',
                'Return a new provider object per call: one module may serve several profile entries.',
              );
            }
          } finally {
            await second.shutdown({ reason: 'dispose' });
          }
        });
      },
    );

    check('options schema: valid JSON Schema 2020-12 that accepts the sample options', async () => {
      await withSession(async (session) => {
        const schema = session.provider.meta.optionsSchema;
        if (schema === undefined) return; // optional: a provider without options publishes none
        const ajv = new Ajv2020({ strict: false, allErrors: true });
        if (!ajv.validateSchema(schema as object)) {
          throw conformanceError(
            session.name,
            'Loading (XPProviderInit), in order',
            `meta.optionsSchema is not valid JSON Schema 2020-12: ${ajv.errorsText(ajv.errors)}`,
            'Fix the schema (the host validates every profile section against it).',
          );
        }
        const validate = ajv.compile(schema as object);
        if (!validate(session.options)) {
          throw conformanceError(
            session.name,
            'Loading (XPProviderInit), in order',
            `the sample options do not match meta.optionsSchema: ${ajv.errorsText(validate.errors)}`,
            'Either the schema is too strict or the sample options passed to runConformance are wrong.',
          );
        }
      });
    });

    check(
      'transportLogon and addressTypes: a logon whose address types are well-formed and equal the manifest',
      async () => {
        await withLogon({ traffic: false }, async (session, logon, support) => {
          const types = logon.addressTypes();
          if (
            !Array.isArray(types) ||
            types.length === 0 ||
            !types.every((t) => typeof t === 'string' && /^[A-Za-z][A-Za-z0-9-]*$/.test(t))
          ) {
            throw conformanceError(
              session.name,
              'logon.addressTypes()',
              `addressTypes() returned ${JSON.stringify(types)}`,
              'Return a non-empty list like ["SMTP"] (letters, digits, dashes; starting with a letter).',
            );
          }
          if (sortedTypes(types).join() !== sortedTypes(session.manifestTypes).join()) {
            throw conformanceError(
              session.name,
              'logon.addressTypes()',
              `addressTypes() returned [${types.join(', ')}] but the manifest declares [${session.manifestTypes.join(', ')}]`,
              "With default options a logon claims exactly the manifest's address types (run the suite with options that keep the defaults).",
            );
          }
          const unrouted = config.addresses.filter(
            (a) => !sortedTypes(types).includes(parseAddress(a, 'SMTP').addressType),
          );
          if (unrouted.length > 0) {
            throw usageError(
              `runConformance: sample addresses ${unrouted.join(', ')} are not of a type the logon claims ([${types.join(', ')}])`,
              "Give sample addresses of the provider's own address type.",
            );
          }
          const bad = support.patches.find((patch) =>
            Object.keys(patch).some((key) => !STATUS_PATCH_KEYS.has(key)),
          );
          if (bad) {
            throw conformanceError(
              session.name,
              'Support calls (provider → host)',
              `modifyStatusRow got unknown keys: ${JSON.stringify(bad)}`,
              `A patch may set ${[...STATUS_PATCH_KEYS].join(', ')}; the host keeps the rest.`,
            );
          }
        });
      },
    );

    check(
      'status row: the real host creates it at logon, updates it with traffic, and removes it at logoff',
      async () => {
        await withHost(async (host, handle, pkg) => {
          const row = host.statusTable.get(handle.id);
          if (!row || row.kind !== 'logon' || row.provider?.name !== pkg.name || !row.available) {
            throw conformanceError(
              pkg.name,
              'Support calls (provider → host)',
              `after logon the status row is ${JSON.stringify(row)}`,
              'A logon that succeeded must leave its row available (do not set available: false unless it cannot take traffic).',
            );
          }
          await host.beginTraffic();
          const enabled = host.statusTable.get(handle.id);
          if (!enabled?.outbound.enabled || !enabled.inbound.enabled) {
            throw conformanceError(
              pkg.name,
              'logon.transportNotify(event)',
              'transportNotify(begin-outbound/begin-inbound) failed under the real host',
              'See the host log; every event must be accepted.',
            );
          }
          await host.stop();
          if (host.statusTable.get(handle.id) !== undefined) {
            throw conformanceError(
              pkg.name,
              'Lifecycle',
              'the status row outlived logoff',
              'This is a host bug; report it.',
            );
          }
        });
      },
    );

    check('transportNotify: every event is accepted, in session order', async () => {
      await withLogon({ traffic: false }, async (session, logon) => {
        for (const event of SESSION_EVENTS) await notify(session, logon, event);
      });
    });

    check(
      'submitMessage: every routed recipient is reported exactly once, with a valid outcome, and delivered',
      async () => {
        await withLogon({ traffic: true }, async (session, logon, support) => {
          const { message, routed } = sampleMessage('conformance-submit');
          const signal = new AbortController().signal;
          const runs = await preprocessAll(session, support, message, routed, signal);
          let result: SubmitMessageResult;
          try {
            result = await logon.submitMessage(message, routed, {
              signal,
              preprocessInfo: runs[0]?.info,
            });
          } catch (error) {
            await removeAll(session, support, message, runs, 'deferred');
            throw conformanceError(
              session.name,
              'logon.submitMessage(message, recipients, context)',
              `submitMessage threw on the sample message: ${(error as Error)?.message}`,
              'The sample addresses must be deliverable under the sample options.',
              {},
              error,
            );
          }
          if (result !== null && typeof result === 'object' && 'defer' in result) {
            await removeAll(session, support, message, runs, 'deferred');
            throw conformanceError(
              session.name,
              'logon.submitMessage(message, recipients, context)',
              `submitMessage deferred the sample message: ${result.defer?.reason}`,
              'The sample addresses must be deliverable under the sample options.',
            );
          }
          const outcomes = (result as { recipients?: unknown })?.recipients;
          if (typeof outcomes !== 'object' || outcomes === null) {
            throw conformanceError(
              session.name,
              'logon.submitMessage(message, recipients, context)',
              `submitMessage returned ${JSON.stringify(result)}`,
              'Return { recipients: { [id]: outcome } } or { defer: { reason } }.',
            );
          }
          const reported = Object.keys(outcomes).sort();
          const given = routed.map((r) => r.id).sort();
          if (reported.join() !== given.join()) {
            throw conformanceError(
              session.name,
              'logon.submitMessage(message, recipients, context)',
              `submitMessage reported recipients [${reported.join(', ')}] for the routed recipients [${given.join(', ')}]`,
              'Report exactly one outcome per recipient id you were given — not the other recipients of the message.',
            );
          }
          for (const [id, outcome] of Object.entries(
            outcomes as Record<string, { status?: unknown; reason?: unknown }>,
          )) {
            if (
              !OUTCOMES.has(String(outcome?.status)) ||
              (outcome.status === 'failed' && typeof outcome.reason !== 'string')
            ) {
              throw conformanceError(
                session.name,
                'logon.submitMessage(message, recipients, context)',
                `recipient ${id} has outcome ${JSON.stringify(outcome)}`,
                'An outcome is { status: delivered | failed (with reason) | retry | not-mine }.',
              );
            }
            if (outcome.status !== 'delivered') {
              throw conformanceError(
                session.name,
                'logon.submitMessage(message, recipients, context)',
                `sample recipient ${config.addresses[Number(id)]} was not delivered: ${JSON.stringify(outcome)}`,
                'The sample addresses must be deliverable under the sample options.',
              );
            }
          }
          await receivers.get(logon)?.settle();
          // The host's order: removePreprocessInfo, then the commit of the outcomes, then endMessage.
          await removeAll(session, support, message, runs, 'delivered');
          await logon.endMessage?.({ id: message.id, recipients: outcomes as Record<string, never> });
          await notify(session, logon, { type: 'end-outbound' });
          await notify(session, logon, { type: 'end-inbound' });
        });
      },
    );

    check(
      'preprocessors: each run is paired with one removePreprocessInfo that leaves no file behind, also for a recovered run',
      async () => {
        await withLogon({ traffic: false }, async (session, _logon, support) => {
          const before = await filesUnder(support.dataDir);
          for (const reason of ['delivered', 'recovered'] as const) {
            const { message, routed } = sampleMessage(`conformance-pre-${reason}`);
            const runs = await preprocessAll(session, support, message, routed, new AbortController().signal);
            await removeAll(session, support, message, runs, reason);
            await removeAll(session, support, message, runs, reason); // idempotent: artifacts already gone
            const after = await filesUnder(support.dataDir);
            const left = after.filter((file) => !before.includes(file));
            if (left.length > 0) {
              throw conformanceError(
                session.name,
                'Preprocessors',
                `removePreprocessInfo (reason ${reason}) left files behind: ${left.join(', ')}`,
                reason === 'recovered'
                  ? 'A recovered run has info: undefined; clean up from runId and workDir alone (name artifacts after the runId).'
                  : 'Delete everything preprocess made for the run.',
              );
            }
          }
        });
      },
    );

    check(
      'cancellation: submitMessage with an aborted signal throws and reports nothing delivered',
      async () => {
        await withLogon({ traffic: true }, async (session, logon, support) => {
          const { message, routed } = sampleMessage('conformance-cancel');
          const runs = await preprocessAll(session, support, message, routed, new AbortController().signal);
          const controller = new AbortController();
          controller.abort(new Error('cancelled by the conformance suite'));
          const outcome = await logon
            .submitMessage(message, routed, {
              signal: controller.signal,
              preprocessInfo: runs[0]?.info,
            })
            .then(
              (result) => ({ result }),
              (error: unknown) => ({ error }),
            );
          await removeAll(session, support, message, runs, 'cancelled');
          if ('result' in outcome) {
            throw conformanceError(
              session.name,
              'Cancellation',
              `submitMessage resolved with ${JSON.stringify(outcome.result)} although its signal was aborted`,
              'Check context.signal before and during the hand-off (signal.throwIfAborted(), or support.spoolerYield(signal)) and throw.',
            );
          }
          await notify(session, logon, { type: 'end-outbound' });
          await notify(session, logon, { type: 'end-inbound' });
        });
      },
    );

    check(
      'inbound: poll, startMessage and idle keep their contracts when the provider has them',
      async () => {
        await withSession(async (session) => {
          const support = await session.newSupport();
          const logon = await logOn(session, support);
          receivers.delete(logon); // this check drives poll and startMessage itself, one call at a time
          const saved: InboundMessage[] = [];
          const sink = savingSink(session, saved);
          try {
            await notify(session, logon, { type: 'begin-outbound' });
            await notify(session, logon, { type: 'begin-inbound' });
            const signal = new AbortController().signal;
            for (let round = 0; round < 20; round++) {
              const waiting = logon.poll ? await logon.poll({ signal }) : false;
              if (typeof waiting !== 'boolean') {
                throw conformanceError(
                  session.name,
                  'logon.poll(context) and logon.startMessage(sink, context)',
                  `poll() returned ${JSON.stringify(waiting)}`,
                  'poll resolves true when inbound mail waits, else false.',
                );
              }
              if (!waiting || !logon.startMessage) break;
              const result = await logon.startMessage(sink, { signal });
              if (typeof result?.more !== 'boolean') {
                throw conformanceError(
                  session.name,
                  'logon.poll(context) and logon.startMessage(sink, context)',
                  `startMessage() returned ${JSON.stringify(result)}`,
                  'Return { more: boolean }.',
                );
              }
            }
            await logon.idle?.({ signal });
            await notify(session, logon, { type: 'end-outbound' });
            await notify(session, logon, { type: 'end-inbound' });
          } finally {
            await logoff(session, logon, support);
          }
        });
      },
    );

    check('logoff: no support call after transportLogoff, in either mode, even after traffic', async () => {
      await withSession(async (session) => {
        for (const mode of ['orderly', 'abort'] as const) {
          const support = await session.newSupport();
          const logon = await logOn(session, support);
          await notify(session, logon, { type: 'begin-outbound' });
          await notify(session, logon, { type: 'begin-inbound' });
          const { message, routed } = sampleMessage(`conformance-logoff-${mode}`);
          const runs = await preprocessAll(session, support, message, routed, new AbortController().signal);
          await logon
            .submitMessage(message, routed, {
              signal: new AbortController().signal,
              preprocessInfo: runs[0]?.info,
            })
            .catch(() => {});
          await removeAll(session, support, message, runs, 'delivered');
          await notify(session, logon, { type: 'end-outbound' });
          await notify(session, logon, { type: 'end-inbound' });
          await logoff(session, logon, support, mode);
          await sleep(settleMs); // timers and listeners the provider forgot would fire now
          if (support.lateCalls.length > 0) {
            const first = support.lateCalls[0]!;
            throw conformanceError(
              session.name,
              'Support calls (provider → host)',
              `after transportLogoff({ mode: '${mode}' }) the provider called support.${first.member}() (${support.lateCalls.length} late call(s)); from:\n${first.stack}`,
              'Stop timers, listeners and pending work in transportLogoff; the support object is invalid once it returns.',
            );
          }
          if (support.openSections > 0) {
            throw conformanceError(
              session.name,
              'Support calls (provider → host)',
              `${support.openSections} critical section(s) still held after logoff`,
              'Leave every critical section (use `using section = support.enterCriticalSection()`).',
            );
          }
        }
      });
    });

    check(
      'logoff under the real host: idempotent, dispose without logoff logs off once, support invalid afterwards',
      async () => {
        await withHost(async (host, handle, pkg) => {
          const logon = handle.logon as TransportLogon & {
            transportLogoff: TransportLogon['transportLogoff'];
          };
          const calls: string[] = [];
          const original = logon.transportLogoff.bind(logon);
          // Count the host's calls on the provider's own logon object.
          (logon as { transportLogoff: TransportLogon['transportLogoff'] }).transportLogoff = (options) => {
            calls.push(options.mode);
            return original(options);
          };
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
        });
        // Dropped without any logoff: `await using` on the host logs the provider off once, orderly.
        await withHost(async (host, handle, pkg) => {
          const calls: string[] = [];
          const logon = handle.logon as { transportLogoff: TransportLogon['transportLogoff'] };
          const original = logon.transportLogoff.bind(logon);
          logon.transportLogoff = (options) => {
            calls.push(options.mode);
            return original(options);
          };
          await host[Symbol.asyncDispose]();
          if (calls.join() !== 'orderly') {
            throw conformanceError(
              pkg.name,
              'Lifecycle',
              `disposing the host called transportLogoff ${calls.length} time(s)`,
              'This is a host bug; report it.',
            );
          }
        });
      },
    );

    check('shutdown: idempotent, and safe with a logon still open (dispose without logoff)', async () => {
      await withSession(async (session) => {
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
    });

    check(
      'delivery: the sample message goes through a real spooler and lands in Sent, every recipient delivered',
      async () => {
        const harness = await createHarness({
          ...(config.packageDir !== undefined
            ? { packageDir: config.packageDir }
            : {
                provider: config.provider!,
                ...(config.packageJson ? { packageJson: config.packageJson } : {}),
              }),
          options: { ...(await resolveOptions()) },
        });
        try {
          const { id } = await harness.submit({
            ...(config.from === undefined ? {} : { from: config.from }),
            to: [...config.addresses],
            subject: 'spool conformance (spooler)',
            text: 'Sent through a real spooler by the @spool/testkit conformance suite.',
          });
          const message = await harness.deliver(id);
          const outcomes = message.recipients.map(
            (r) => `${r.address}: ${r.outcome}${r.lastError ? ` (${r.lastError})` : ''}`,
          );
          if (
            message.state !== 'finished' ||
            message.folder !== 'Sent' ||
            message.recipients.some((r) => r.outcome !== 'delivered')
          ) {
            throw conformanceError(
              harness.spooler.host.entries[0]?.imported?.package.name ?? 'provider',
              'logon.submitMessage(message, recipients, context)',
              `through the spooler the message is ${message.state} in ${message.folder}: ${outcomes.join('; ')}`,
              'The sample addresses must be deliverable under the sample options; the host log is in harness.logs.',
            );
          }
          const row = harness.status().find((r) => r.kind === 'logon');
          if (!row || row.counters.sent < config.addresses.length) {
            throw conformanceError(
              String(row?.provider?.name),
              'Support calls (provider → host)',
              `the status row counts ${row?.counters.sent} sent after ${config.addresses.length} deliveries`,
              'This is a host bug; report it.',
            );
          }
        } finally {
          await harness.dispose();
        }
      },
    );
  });
}
