import type { InboundMessage, TransportLogon } from '@spool/spi';
import { conformanceError } from '../errors.js';
import type { RecordingSupport } from '../recording-support.js';

const RULE = 'logon.poll(context) and logon.startMessage(sink, context)';

/** The host's inbound side of one logon driven directly (see {@link receiveLikeTheHost}). */
export interface Receiver {
  readonly saved: readonly InboundMessage[];
  /** begin-inbound / end-inbound reached the provider. */
  setInbound(enabled: boolean): void;
  /** Waits for the receiving in progress and throws what it ran into. */
  settle(): Promise<void>;
}

/** The host's inbound sink as the checks play it: keeps each message in `saved`, refusing one without a subject. */
export function savingSink(provider: string, saved: InboundMessage[]) {
  return {
    save: async (message: InboundMessage) => {
      if (typeof message?.subject !== 'string') {
        throw conformanceError(
          provider,
          RULE,
          `sink.save got a message without a subject string: ${JSON.stringify(message)}`,
          'An inbound message needs at least subject.',
        );
      }
      saved.push(message);
      return { id: `in-${saved.length}` };
    },
  };
}

/** Throws unless `result` is what `startMessage` must return. */
export function checkStartMessageResult(
  provider: string,
  result: unknown,
): asserts result is { more: boolean } {
  if (typeof (result as { more?: unknown } | undefined)?.more !== 'boolean') {
    throw conformanceError(
      provider,
      RULE,
      `startMessage() returned ${JSON.stringify(result)}`,
      'Return { more: boolean }.',
    );
  }
}

/**
 * Plays the host's inbound side for a logon driven directly: `notifyNewMail()` makes it call
 * `startMessage(sink)` soon after, until the provider says no more are waiting (a provider may report a
 * recipient delivered only once the host stored its copy, as loopback does).
 */
export function receiveLikeTheHost(
  provider: string,
  support: RecordingSupport,
  logon: TransportLogon,
): Receiver {
  const saved: InboundMessage[] = [];
  const errors: unknown[] = [];
  let running: Promise<void> = Promise.resolve();
  let wanted = false;
  const sink = savingSink(provider, saved);
  const signal = new AbortController().signal;
  const pump = async () => {
    for (let round = 0; round < 100 && wanted; round++) {
      wanted = false;
      const result = await logon.startMessage!(sink, { signal });
      checkStartMessageResult(provider, result);
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
    setInbound(enabled) {
      inbound = enabled;
      schedule();
    },
    async settle() {
      await running;
      if (errors.length > 0) throw errors[0];
    },
  };
}
