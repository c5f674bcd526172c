import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  InboundMessage,
  JsonValue,
  Logger,
  OutboundMessage,
  OutboundRecipient,
  Preprocessor,
  RecipientType,
  StatusRowPatch,
  SubmitMessageResult,
  TransportLogon,
  TransportSupport,
} from '@spool/spi';
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import { type SmtpOptions, xpProviderInit } from '../src/index.js';

export const fixture = (name: string): string => new URL(`./fixtures/${name}`, import.meta.url).pathname;
export const readFixture = (name: string): Promise<string> => readFile(fixture(name), 'utf8');

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * A stand-in for the host's support object (the host is written elsewhere, so tests do not depend on
 * @spool/core). It records what the provider tells the host, and lets a test react to `notifyNewMail`.
 */
export interface TestSupport extends TransportSupport {
  readonly patches: StatusRowPatch[];
  readonly preprocessors: Preprocessor[];
  newMailCalls: number;
  /** Called on every `notifyNewMail()`, like the host scheduling `startMessage`. */
  onNewMail: (() => void) | undefined;
  /** The row as the patches so far make it. */
  row(): StatusRowPatch;
}

export function makeSupport(dataDir: string): TestSupport {
  const support: TestSupport = {
    logonId: 'smtp/default',
    account: 'default',
    logger: silent,
    dataDir,
    patches: [],
    preprocessors: [],
    newMailCalls: 0,
    onNewMail: undefined,
    modifyStatusRow(patch) {
      support.patches.push(patch);
    },
    async spoolerYield() {},
    enterCriticalSection() {
      return { leave() {}, [Symbol.dispose]() {} };
    },
    notifyNewMail() {
      support.newMailCalls += 1;
      support.onNewMail?.();
    },
    registerPreprocessor(preprocessor) {
      support.preprocessors.push(preprocessor);
    },
    row() {
      return Object.assign({}, ...support.patches) as StatusRowPatch;
    },
  };
  return support;
}

/** A temp directory per test, removed by the returned function. */
export async function tempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'spool-smtp-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Logs on through the provider's real entry point, like the host. */
export async function logOn(
  support: TestSupport,
  options: SmtpOptions,
): Promise<{ logon: TransportLogon; shutdown: () => Promise<void> }> {
  const provider = await xpProviderInit({
    spiVersion: '1.0.0',
    hostSpiVersions: ['1.0.0'],
    hostVersion: '0.0.0-test',
    entryId: 'smtp',
    logger: silent,
  });
  const logon = await provider.transportLogon(support, { account: 'default', options, profileDir: '/' });
  return {
    logon,
    shutdown: async () => {
      await logon.transportLogoff({ mode: 'orderly' });
      await provider.shutdown({ reason: 'stop' });
    },
  };
}

/** Builds recipients the way the host hands them over (`TYPE:rest` already parsed). */
export function recipient(address: string, type: RecipientType = 'to', id = randomUUID()): OutboundRecipient {
  const colon = address.indexOf(':');
  return {
    id,
    address,
    addressType: address.slice(0, colon).toUpperCase(),
    value: address.slice(colon + 1),
    type,
    attempts: 0,
  };
}

export function makeMessage(
  overrides: Partial<OutboundMessage> & { recipients: OutboundRecipient[] },
): OutboundMessage {
  const properties: Record<string, JsonValue> = {};
  return {
    id: randomUUID(),
    messageId: `<${randomUUID()}@spool.test>`,
    from: 'SMTP:sender@example.com',
    subject: 'hello',
    text: 'plain body',
    attachments: [],
    messageClass: 'IPM.Note',
    properties,
    submittedAt: new Date('2025-01-02T03:04:05Z'),
    ...overrides,
  };
}

/**
 * One hand-off as the host runs it: every registered preprocessor, then `submitMessage` with the info, then
 * `removePreprocessInfo` whatever happened. Returns the result (or the error) and the run's work dir.
 */
export async function handOff(
  support: TestSupport,
  logon: TransportLogon,
  message: OutboundMessage,
  recipients: readonly OutboundRecipient[],
  signal: AbortSignal = new AbortController().signal,
): Promise<{ result?: SubmitMessageResult; error?: unknown; runId: string; workDir: string }> {
  const runId = randomUUID();
  const workDir = join(support.dataDir, 'preprocess');
  const [preprocessor] = support.preprocessors;
  if (preprocessor === undefined) throw new Error('the logon registered no preprocessor');
  const pre = await preprocessor.preprocess(message, recipients, { runId, workDir, signal });
  try {
    const result = await logon.submitMessage(message, recipients, { signal, preprocessInfo: pre.info });
    return { result, runId, workDir };
  } catch (error) {
    return { error, runId, workDir };
  } finally {
    await preprocessor.removePreprocessInfo({
      runId,
      messageId: message.id,
      workDir,
      info: pre.info,
      reason: 'delivered',
    });
  }
}

/** What the test server received in one transaction. */
export interface Received {
  readonly from: string;
  readonly to: string[];
  readonly raw: Buffer;
  readonly secure: boolean;
  readonly user: string | undefined;
}

/** A real SMTP server on 127.0.0.1 for the provider to send to; behaviour is set per test. */
export interface TestServer {
  readonly port: number;
  readonly received: Received[];
  close(): Promise<void>;
}

export function smtpError(code: number, text: string): Error & { responseCode: number } {
  return Object.assign(new Error(text), { responseCode: code });
}

export async function startTestServer(options: Partial<SMTPServerOptions> = {}): Promise<TestServer> {
  const received: Received[] = [];
  const server = new SMTPServer({
    logger: false,
    authOptional: true,
    disabledCommands: options.key === undefined ? ['STARTTLS'] : [],
    closeTimeout: 200,
    onData(stream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
          to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          raw: Buffer.concat(chunks),
          secure: session.secure,
          user: typeof session.user === 'string' ? session.user : undefined,
        });
        callback();
      });
    },
    ...options,
  });
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A port nothing listens on: bind an ephemeral port, then release it. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** The port the provider's listener bound, read from its status row text. */
export function listeningPort(support: TestSupport): number {
  const text = support.row().text ?? '';
  const match = /listening on [^\s;]+:(\d+)/.exec(text);
  if (match?.[1] === undefined) throw new Error(`no listening port in status text: ${text}`);
  return Number(match[1]);
}

/** An in-memory sink, the host's side of `startMessage`. */
export function memorySink(): {
  saved: InboundMessage[];
  save(message: InboundMessage): Promise<{ id: string }>;
} {
  const saved: InboundMessage[] = [];
  return {
    saved,
    async save(message) {
      saved.push(message);
      return { id: `msg-${saved.length}` };
    },
  };
}
