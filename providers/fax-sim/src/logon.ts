import { appendFile, copyFile, mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type {
  LogonSection,
  OutboundMessage,
  OutboundRecipient,
  RecipientOutcome,
  SubmitMessageResult,
  TransportLogon,
  TransportSupport,
} from '@spool/spi';
import { SpoolError } from '@spool/spi';
import { faxGeometry } from './geometry.js';
import { InboundTray } from './inbound.js';
import { type DialOutcome, FaxLine } from './line.js';
import { normaliseFaxNumber } from './number.js';
import { type FaxSimOptions, resolveOptions } from './options.js';
import { type FaxPreprocessInfo, faxPreprocessor } from './preprocessor.js';

/** The code on a permanent failure caused by the number itself (malformed or unallocated). */
export const INVALID_NUMBER_CODE = 'FAX_E_INVALID_NUMBER';

/** The code of an error thrown when the pages could not be rendered (the hand-off is retried). */
export const RENDER_FAILED_CODE = 'FAX_E_RENDER_FAILED';

/** The transmission log's file name inside the output directory. */
export const TRANSMISSION_LOG = 'transmissions.jsonl';

/** One line of the transmission log. */
export interface TransmissionLogEntry {
  /** ISO 8601 time the attempt ended. */
  readonly time: string;
  /** The message's RFC 5322 Message-ID. */
  readonly messageId: string;
  /** The spooler's id of the message. */
  readonly id: string;
  /** The number dialled (normalised), or the value as written when it is not a number. */
  readonly number: string;
  /** Pages of the fax (cover page included). */
  readonly pages: number;
  /** What happened. */
  readonly result: 'delivered' | DialOutcome | 'invalid-number' | 'cancelled' | 'error';
  /** Line time at real speed in ms (handshake plus pages sent), whatever the `timeFactor`. */
  readonly duration: number;
  /** The sent copy, for delivered faxes. */
  readonly file?: string;
}

function isFaxInfo(value: unknown): value is FaxPreprocessInfo {
  if (typeof value !== 'object' || value === null) return false;
  const info = value as Partial<Record<keyof FaxPreprocessInfo, unknown>>;
  return typeof info.path === 'string' && typeof info.pages === 'number';
}

/** A file-name-safe form of an id (message ids may hold anything). */
function safeName(value: string): string {
  return value.replace(/[^A-Za-z0-9+._-]/g, '_');
}

/**
 * Opens a fax-sim logon: one simulated line. Outbound faxes are rendered by the registered preprocessor,
 * dialled one recipient after the other, copied to the output directory and logged; inbound faxes are
 * picked up from the inbound directory on the host's poll.
 */
export async function openFaxLogon(
  support: TransportSupport,
  section: LogonSection<FaxSimOptions>,
): Promise<TransportLogon> {
  const options = resolveOptions(section);
  const geometry = faxGeometry(options.paper, options.resolution);
  const line = new FaxLine(options, geometry, support);
  const tray = new InboundTray(options.inboundDir);
  const preprocessor = faxPreprocessor(geometry, options.stationId);
  await mkdir(options.outputDir, { recursive: true });
  await mkdir(options.inboundDir, { recursive: true });
  let lineInUse = false;

  support.registerPreprocessor(preprocessor);
  support.modifyStatusRow({
    identity: `fax:${options.stationId ?? section.account} (${options.paper}, ${options.resolution}, ${options.baud} bit/s)`,
    text: 'line idle',
    available: true,
  });
  if ((await tray.waiting()).length > 0) support.notifyNewMail();

  async function log(entry: TransmissionLogEntry): Promise<void> {
    // One appendFile per line: O_APPEND keeps lines whole, and the log is never rewritten.
    await appendFile(join(options.outputDir, TRANSMISSION_LOG), `${JSON.stringify(entry)}\n`);
  }

  /** Dials and sends to one recipient; returns its outcome (throws only when cancelled). */
  async function sendTo(
    message: OutboundMessage,
    recipient: OutboundRecipient,
    fax: FaxPreprocessInfo,
    signal: AbortSignal,
  ): Promise<RecipientOutcome> {
    const base = { messageId: message.messageId, id: message.id, pages: fax.pages };
    const parsed = normaliseFaxNumber(recipient.value);
    if (!parsed.ok) {
      await log({
        ...base,
        time: new Date().toISOString(),
        number: recipient.value,
        result: 'invalid-number',
        duration: 0,
      });
      return { status: 'failed', reason: parsed.reason, code: INVALID_NUMBER_CODE };
    }
    const number = parsed.number;
    let duration = line.handshakeMs / 2;
    // Unset while the outcome is open; an exception then logs as cancelled or error.
    let result: TransmissionLogEntry['result'] | undefined;
    let file: string | undefined;
    try {
      const answer = await line.dial(number, signal);
      result = answer;
      if (answer === 'busy' || answer === 'no-answer') {
        const what = answer === 'busy' ? 'line busy' : 'no answer';
        return { status: 'retry', reason: `${what} at ${number}`, delayMs: options.retryDelayMs };
      }
      if (answer === 'unallocated') {
        return {
          status: 'failed',
          reason: `invalid number ${number}: not allocated`,
          code: INVALID_NUMBER_CODE,
        };
      }
      duration = line.handshakeMs;
      result = undefined;
      await line.transmit(number, fax.pages, signal);
      duration += fax.pages * line.pageMs;
      // The sent copy is what the receiving machine printed: one file per recipient.
      file = join(options.outputDir, `${safeName(message.id)}-${recipient.id}-${number}.pdf`);
      await copyFile(fax.path, `${file}.tmp`);
      await rename(`${file}.tmp`, file);
      result = 'delivered';
      return { status: 'delivered', detail: `sent ${fax.pages} page(s) to ${number}` };
    } finally {
      await log({
        ...base,
        time: new Date().toISOString(),
        number,
        result: result ?? (signal.aborted ? 'cancelled' : 'error'),
        duration,
        ...(file === undefined ? {} : { file }),
      });
    }
  }

  async function renderForSubmit(
    message: OutboundMessage,
    recipients: readonly OutboundRecipient[],
    run: { runId: string; workDir: string },
    signal: AbortSignal,
  ): Promise<FaxPreprocessInfo> {
    const { info } = await preprocessor.preprocess(message, recipients, { ...run, signal });
    if (info === undefined)
      throw new SpoolError(RENDER_FAILED_CODE, `fax-sim: rendering ${message.id} produced no pages`);
    return info;
  }

  return {
    maxInFlight: 1,
    pollIntervalMs: options.pollIntervalMs,
    addressTypes: () => ['FAX'],

    transportNotify() {
      // The simulated line needs no connection set up or torn down when traffic starts or stops.
    },

    async submitMessage(message, recipients, context): Promise<SubmitMessageResult> {
      // The host honours maxInFlight: 1; this guard keeps a misbehaving host from sharing the line.
      if (lineInUse) return { defer: { reason: 'fax line in use', delayMs: options.retryDelayMs } };
      lineInUse = true;
      // Without a preprocessor run (a host that skipped it) the pages are rendered here, and removed after.
      let adHoc: { runId: string; workDir: string } | undefined;
      try {
        let fax = isFaxInfo(context.preprocessInfo) ? context.preprocessInfo : undefined;
        if (fax === undefined) {
          adHoc = { runId: `submit-${safeName(message.id)}`, workDir: join(support.dataDir, 'submit') };
          fax = await renderForSubmit(message, recipients, adHoc, context.signal);
        }
        const outcomes: Record<string, RecipientOutcome> = {};
        for (const recipient of recipients) {
          outcomes[recipient.id] = await sendTo(message, recipient, fax, context.signal);
        }
        return { recipients: outcomes };
      } finally {
        lineInUse = false;
        support.modifyStatusRow({ progress: null, text: 'line idle' });
        if (adHoc !== undefined) {
          await preprocessor.removePreprocessInfo({
            ...adHoc,
            messageId: message.id,
            info: undefined,
            reason: 'recovered',
          });
        }
      }
    },

    async poll(context) {
      if (context.signal.aborted) return false;
      return (await tray.waiting()).length > 0;
    },

    startMessage: (sink, context) => tray.receive(sink, context.signal),

    async transportLogoff() {
      support.modifyStatusRow({ text: 'line closed', available: false, progress: null });
    },
  };
}
