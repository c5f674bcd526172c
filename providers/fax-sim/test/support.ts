import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import type {
  CriticalSection,
  InboundMessage,
  InboundSink,
  Logger,
  OutboundMessage,
  OutboundRecipient,
  Preprocessor,
  StatusRowPatch,
  SubmitMessageResult,
  TransportLogon,
  TransportProvider,
  TransportSupport,
} from '@spool/spi';
import { SpiErrorCode, SpoolError } from '@spool/spi';
import { xpProviderInit } from '../src/index.js';
import type { FaxSimOptions } from '../src/options.js';
import type { FaxPreprocessInfo } from '../src/preprocessor.js';

/** Everything the test support object saw, in order where order matters. */
export interface Recorded {
  /** Every status row patch. */
  readonly patches: StatusRowPatch[];
  /** A timeline: `enter`, `leave`, `yield`, `patch:<text or progress text>`, `newmail`. */
  readonly events: string[];
  /** Preprocessors registered during logon. */
  readonly preprocessors: Preprocessor[];
  critical: { entered: number; left: number; held: number };
  yields: number;
  newMail: number;
}

/** Hooks a test uses to act at a precise point (abort after the second yield, on the first page). */
export interface SupportHooks {
  onYield?(count: number): void;
  onPatch?(patch: StatusRowPatch): void;
}

const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * A stand-in for the host's support object (the real one lives in @spool/core, written concurrently):
 * records what the provider asks of the host and behaves like the contract says — `spoolerYield` throws
 * `SPOOL_E_CANCELLED` on an aborted signal, and every call throws `SPOOL_E_SUPPORT_INVALID` after logoff.
 */
export function createTestSupport(dataDir: string, hooks: SupportHooks = {}) {
  const recorded: Recorded = {
    patches: [],
    events: [],
    preprocessors: [],
    critical: { entered: 0, left: 0, held: 0 },
    yields: 0,
    newMail: 0,
  };
  let valid = true;
  const check = () => {
    if (!valid) throw new SpoolError(SpiErrorCode.SUPPORT_INVALID, 'test support used after logoff');
  };
  const support: TransportSupport = {
    logonId: 'fax/default',
    account: 'default',
    logger: silentLogger,
    dataDir,
    modifyStatusRow(patch) {
      check();
      recorded.patches.push(patch);
      recorded.events.push(`patch:${patch.progress?.text ?? patch.text ?? ''}`);
      hooks.onPatch?.(patch);
    },
    async spoolerYield(signal) {
      check();
      recorded.yields += 1;
      recorded.events.push('yield');
      hooks.onYield?.(recorded.yields);
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (signal?.aborted) throw new SpoolError(SpiErrorCode.CANCELLED, 'cancelled at spoolerYield');
    },
    enterCriticalSection(): CriticalSection {
      check();
      recorded.critical.entered += 1;
      recorded.critical.held += 1;
      recorded.events.push('enter');
      let left = false;
      const leave = () => {
        if (left) return;
        left = true;
        recorded.critical.left += 1;
        recorded.critical.held -= 1;
        recorded.events.push('leave');
      };
      return { leave, [Symbol.dispose]: leave };
    },
    notifyNewMail() {
      check();
      recorded.newMail += 1;
      recorded.events.push('newmail');
    },
    registerPreprocessor(preprocessor) {
      check();
      recorded.preprocessors.push(preprocessor);
    },
  };
  const invalidate = () => {
    valid = false;
  };
  return { support, recorded, invalidate };
}

/** A logged-on fax provider in temp directories, driven through its real entry point. */
export interface FaxFixture {
  readonly root: string;
  readonly profileDir: string;
  readonly dataDir: string;
  readonly provider: TransportProvider<FaxSimOptions>;
  readonly logon: TransportLogon;
  readonly support: TransportSupport;
  readonly recorded: Recorded;
  readonly preprocessor: Preprocessor<FaxPreprocessInfo>;
  /** Logs off, shuts down and deletes the temp directories. */
  close(): Promise<void>;
}

/** Calls `xpProviderInit` → `transportLogon` like the host does, with a profile and data dir under a temp root. */
export async function openFax(options: FaxSimOptions = {}, hooks: SupportHooks = {}): Promise<FaxFixture> {
  const root = await mkdtemp(join(tmpdir(), 'spool-fax-sim-'));
  const profileDir = join(root, 'profile');
  const dataDir = join(root, 'data');
  await mkdir(profileDir, { recursive: true });
  await mkdir(dataDir, { recursive: true });
  const { support, recorded, invalidate } = createTestSupport(dataDir, hooks);
  const provider = await xpProviderInit({
    spiVersion: '1.0.0',
    hostSpiVersions: ['1.0.0'],
    hostVersion: '0.0.0-test',
    entryId: 'fax',
    logger: silentLogger,
  });
  const logon = await provider.transportLogon(support, { account: 'default', options, profileDir });
  const [preprocessor] = recorded.preprocessors;
  if (preprocessor === undefined) throw new Error('the fax logon registered no preprocessor');
  let closed = false;
  return {
    root,
    profileDir,
    dataDir,
    provider,
    logon,
    support,
    recorded,
    // The provider registered it for its own routes, so the info type is the provider's.
    preprocessor: preprocessor as Preprocessor<FaxPreprocessInfo>,
    async close() {
      if (closed) return;
      closed = true;
      try {
        await logon.transportLogoff({ mode: 'orderly' });
        invalidate();
        await provider.shutdown({ reason: 'stop' });
      } finally {
        await rm(root, { recursive: true, force: true });
      }
    },
  };
}

let runs = 0;

/** One hand-off the way the host runs it: preprocess, submit, then always removePreprocessInfo. */
export async function handOff(
  fx: FaxFixture,
  message: OutboundMessage,
  recipients: readonly OutboundRecipient[] = message.recipients,
  signal: AbortSignal = new AbortController().signal,
): Promise<{ result: SubmitMessageResult; info: FaxPreprocessInfo | undefined }> {
  const runId = `run-${++runs}`;
  const workDir = join(fx.dataDir, 'preprocess');
  const { info } = await fx.preprocessor.preprocess(message, recipients, { runId, workDir, signal });
  let reason: 'delivered' | 'cancelled' = 'cancelled';
  try {
    const result = await fx.logon.submitMessage(message, recipients, { signal, preprocessInfo: info });
    reason = 'delivered';
    return { result, info };
  } finally {
    await fx.preprocessor.removePreprocessInfo({ runId, messageId: message.id, workDir, info, reason });
  }
}

/** A FAX recipient. */
export function faxRecipient(id: string, value: string, attempts = 0): OutboundRecipient {
  return { id, address: `FAX:${value}`, addressType: 'FAX', value, type: 'to', attempts };
}

/** An outbound message with sensible defaults. */
export function makeMessage(overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  return {
    id: 'msg-1',
    messageId: '<msg-1@spool.test>',
    from: 'FAX:+441234567890',
    recipients: [faxRecipient('r1', '+1 555 0100')],
    subject: 'Quarterly figures',
    text: 'Please find the figures attached.',
    attachments: [],
    messageClass: 'IPM.Note',
    properties: {},
    submittedAt: new Date('2025-03-04T05:06:07Z'),
    ...overrides,
  };
}

/** A sink that stores messages in memory, or rejects every save when `reject` is set. */
export function memorySink(reject?: Error): InboundSink & { saved: InboundMessage[] } {
  const saved: InboundMessage[] = [];
  return {
    saved,
    async save(message) {
      if (reject !== undefined) throw reject;
      saved.push(message);
      return { id: `in-${saved.length}` };
    },
  };
}

/** A valid greyscale PNG of the given size (a diagonal gradient), built by hand with zlib. */
export function tinyPng(width: number, height: number): Uint8Array {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body) >>> 0);
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 0; // greyscale
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y += 1) {
    const row = Buffer.alloc(width + 1); // filter byte 0, then one byte per pixel
    for (let x = 0; x < width; x += 1) row[x + 1] = ((x + y) * 8) & 0xff;
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
