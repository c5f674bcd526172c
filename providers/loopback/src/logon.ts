import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  InboundMessage,
  InboundSink,
  LogonSection,
  OutboundMessage,
  OutboundRecipient,
  RecipientOutcome,
  StartMessageResult,
  SubmitMessageResult,
  TransportLogon,
  TransportNotifyEvent,
  TransportSupport,
} from '@spool/spi';
import type { LoopbackOptions } from './options.js';
import { loopbackPreprocessor } from './preprocessor.js';

/** How many queued copies one `startMessage` call saves at once. */
const RECEIVE_BATCH = 64;

/** A delivered message waiting in the hand-off queue, as written to disk (attachments base64). */
interface QueuedDelivery extends Omit<InboundMessage, 'attachments' | 'receivedAt'> {
  attachments: { filename: string; contentType: string; content: string; contentId?: string }[];
}

/**
 * Opens a loopback logon. Delivery goes through the inbound path on purpose: `submitMessage` writes each
 * delivered copy to a queue directory (surviving a crash of this process), then `notifyNewMail()` makes the
 * host call `startMessage`, which saves the copy into the Inbox and only then deletes the file.
 */
export async function openLoopbackLogon(
  support: TransportSupport,
  section: LogonSection<LoopbackOptions>,
): Promise<TransportLogon> {
  const options = section.options;
  const queueDir = join(support.dataDir, 'deliveries');
  await mkdir(queueDir, { recursive: true });
  // Copies left by a previous run are delivered first (they were already reported delivered).
  const pending: string[] = (await readdir(queueDir)).filter((name) => name.endsWith('.json')).sort();
  let failuresLeft = options.failNext ?? 0;
  let sequence = 0;

  support.registerPreprocessor(loopbackPreprocessor(support.logonId));
  support.modifyStatusRow({
    identity: `loopback:${section.account}`,
    text: 'ready',
    available: true,
  });
  if (pending.length > 0) support.notifyNewMail();

  async function enqueue(message: OutboundMessage, recipient: OutboundRecipient): Promise<void> {
    const copy: QueuedDelivery = {
      ...(message.from === undefined ? {} : { from: message.from }),
      recipients: message.recipients
        .filter((r) => r.type !== 'bcc' || r.id === recipient.id)
        .map((r) => ({ address: r.address, type: r.type })),
      subject: message.subject,
      ...(message.text === undefined ? {} : { text: message.text }),
      ...(message.html === undefined ? {} : { html: message.html }),
      attachments: message.attachments.map((a) => ({
        filename: a.filename,
        contentType: a.contentType,
        content: Buffer.from(a.content).toString('base64'),
        ...(a.contentId === undefined ? {} : { contentId: a.contentId }),
      })),
      messageClass: message.messageClass,
      properties: { ...message.properties, 'x-spool-loopback-to': recipient.address },
      messageId: message.messageId,
    };
    // Sortable names keep the queue FIFO; write-then-rename so a crash never leaves half a file.
    const name = `${Date.now().toString(36).padStart(9, '0')}-${(sequence++).toString(36).padStart(6, '0')}-${message.id}-${recipient.id}.json`;
    const temporary = join(queueDir, `${name}.tmp`);
    await writeFile(temporary, JSON.stringify(copy));
    await rename(temporary, join(queueDir, name));
    pending.push(name);
  }

  function outcomeFor(recipient: OutboundRecipient): RecipientOutcome {
    if (options.failPermanently !== undefined) return { status: 'failed', reason: options.failPermanently };
    if (options.rejectRecipients?.includes(recipient.value)) {
      return { status: 'failed', reason: `loopback rejects ${recipient.value}` };
    }
    return { status: 'delivered' };
  }

  async function receive(sink: InboundSink, name: string): Promise<void> {
    const path = join(queueDir, name);
    const copy = JSON.parse(await readFile(path, 'utf8')) as QueuedDelivery;
    await sink.save({
      ...copy,
      idempotencyKey: name, // a crash between save and rm must not deliver the copy twice
      attachments: copy.attachments.map((a) => ({ ...a, content: Buffer.from(a.content, 'base64') })),
    });
    await rm(path, { force: true }); // acknowledged only after the host stored it
  }

  return {
    maxInFlight: options.maxInFlight ?? 16,
    addressTypes: () => (options.addressTypes ?? ['LOOP']).map((type) => type.toUpperCase()),

    transportNotify(_event: TransportNotifyEvent) {
      // Loopback has no connection to open or close: traffic state lives in the host's status row.
    },

    async submitMessage(message, recipients, context): Promise<SubmitMessageResult> {
      if ((options.latencyMs ?? 0) > 0) await sleep(options.latencyMs, undefined, { signal: context.signal });
      context.signal.throwIfAborted();
      if (failuresLeft > 0) {
        failuresLeft -= 1;
        return {
          defer: {
            reason: `loopback fault injection: ${failuresLeft} more temporary failure(s) to go`,
            ...(options.retryDelayMs === undefined ? {} : { delayMs: options.retryDelayMs }),
          },
        };
      }
      const outcomes: Record<string, RecipientOutcome> = {};
      for (const recipient of recipients) {
        const outcome = outcomeFor(recipient);
        if (outcome.status === 'delivered') await enqueue(message, recipient);
        outcomes[recipient.id] = outcome;
      }
      if (pending.length > 0) support.notifyNewMail();
      return { recipients: outcomes };
    },

    async poll() {
      return pending.length > 0;
    },

    async startMessage(sink: InboundSink): Promise<StartMessageResult> {
      // Up to a batch of copies at once: the host commits concurrent saves in one transaction.
      const batch = pending.splice(0, RECEIVE_BATCH);
      const results = await Promise.allSettled(batch.map((name) => receive(sink, name)));
      const failed = batch.filter((_, i) => results[i]?.status === 'rejected');
      pending.unshift(...failed); // not stored: keep the source, deliver it on a later pass
      const firstError = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (firstError) throw firstError.reason;
      return { more: pending.length > 0 };
    },

    async transportLogoff() {
      support.modifyStatusRow({ text: 'logged off', available: false });
    },
  };
}
