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

/** How many waiting copies one `startMessage` call saves at once. */
const RECEIVE_BATCH = 256;

/** A delivered copy waiting for the host to take it through the inbound path, and the hand-off awaiting that. */
interface WaitingCopy {
  readonly copy: InboundMessage;
  readonly stored: () => void;
  readonly refused: (error: unknown) => void;
  /** True once the hand-off gave up (aborted): the copy must not be saved any more. */
  withdrawn: boolean;
}

/**
 * Opens a loopback logon. Delivery goes through the inbound path on purpose, and is synchronous with it:
 * `submitMessage` queues one copy per recipient in memory, calls `notifyNewMail()`, and reports the recipient
 * delivered only after the host's `startMessage` sink has stored the copy in the Inbox. So "delivered" means
 * "in the Inbox", and no file or process state is needed to survive a crash: a crash before the save leaves
 * the message in the Outbox (it is handed off again), and a crash after the save but before the outcome was
 * recorded is caught by the copy's idempotency key (message id + recipient id), so the Inbox never gets the
 * same copy twice.
 */
export async function openLoopbackLogon(
  support: TransportSupport,
  section: LogonSection<LoopbackOptions>,
): Promise<TransportLogon> {
  const options = section.options;
  const waiting: WaitingCopy[] = [];
  let failuresLeft = options.failNext ?? 0;

  support.registerPreprocessor(
    loopbackPreprocessor(support.logonId, support.dataDir, options.traceFiles ?? false),
  );
  support.modifyStatusRow({
    identity: `loopback:${section.account}`,
    text: 'ready',
    available: true,
  });

  function copyFor(message: OutboundMessage, recipient: OutboundRecipient): InboundMessage {
    return {
      ...(message.from === undefined ? {} : { from: message.from }),
      recipients: message.recipients
        .filter((r) => r.type !== 'bcc' || r.id === recipient.id)
        .map((r) => ({ address: r.address, type: r.type })),
      subject: message.subject,
      ...(message.text === undefined ? {} : { text: message.text }),
      ...(message.html === undefined ? {} : { html: message.html }),
      attachments: message.attachments,
      messageClass: message.messageClass,
      properties: { ...message.properties, 'x-spool-loopback-to': recipient.address },
      messageId: message.messageId,
      // One copy per message and recipient, ever: a hand-off repeated after a crash is not delivered twice.
      idempotencyKey: `${message.id}:${recipient.id}`,
    };
  }

  /** Queues the copies and resolves once the host stored every one of them (or rejects on abort / refusal). */
  function deliver(copies: readonly InboundMessage[], signal: AbortSignal): Promise<void> {
    const entries: WaitingCopy[] = [];
    const all = copies.map(
      (copy) =>
        new Promise<void>((stored, refused) => {
          const entry: WaitingCopy = { copy, stored, refused, withdrawn: false };
          entries.push(entry);
          waiting.push(entry);
        }),
    );
    const onAbort = () => {
      for (const entry of entries) {
        entry.withdrawn = true;
        entry.refused(signal.reason);
      }
    };
    signal.addEventListener('abort', onAbort, { once: true });
    support.notifyNewMail();
    return Promise.all(all).then(
      () => signal.removeEventListener('abort', onAbort),
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        throw error;
      },
    );
  }

  function outcomeFor(recipient: OutboundRecipient): RecipientOutcome {
    if (options.failPermanently !== undefined) return { status: 'failed', reason: options.failPermanently };
    if (options.rejectRecipients?.includes(recipient.value)) {
      return { status: 'failed', reason: `loopback rejects ${recipient.value}` };
    }
    return { status: 'delivered' };
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
      const copies: InboundMessage[] = [];
      for (const recipient of recipients) {
        const outcome = outcomeFor(recipient);
        if (outcome.status === 'delivered') copies.push(copyFor(message, recipient));
        outcomes[recipient.id] = outcome;
      }
      if (copies.length > 0) await deliver(copies, context.signal);
      return { recipients: outcomes };
    },

    async poll() {
      return waiting.length > 0;
    },

    async startMessage(sink: InboundSink): Promise<StartMessageResult> {
      // Up to a batch of copies at once: the host commits concurrent saves in one transaction.
      const batch = waiting.splice(0, RECEIVE_BATCH).filter((entry) => !entry.withdrawn);
      await Promise.all(
        batch.map((entry) =>
          // A copy the host refused fails its hand-off, which the spooler retries later.
          sink
            .save(entry.copy)
            .then(() => entry.stored(), entry.refused),
        ),
      );
      return { more: waiting.length > 0 };
    },

    async transportLogoff() {
      support.modifyStatusRow({ text: 'logged off', available: false });
    },
  };
}
