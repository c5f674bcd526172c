import type { InboundMessage } from '@spool/spi';
import { ErrorCode, spoolError } from '../errors.js';
import type { LogonView } from '../host/provider-port.js';
import type { PipelineContext } from './context.js';
import type { Finishing } from './finishing.js';
import { newMessageId } from './ids.js';
import { toReceivedMessage } from './inbound-message.js';
import { setDirectionActive } from './status-rows.js';

/** A provider that always says "more" cannot keep a receive loop forever; the next poll resumes it. */
const MAX_STARTS_PER_LOOP = 10_000;

/**
 * Receiving (MAPI StartMessage): a logon that has mail (it said so, or a poll found some) gets a receive
 * loop that calls `startMessage` until it has no more; each message it saves through the port's inbound
 * channel is stored before `save` resolves, so the provider may then acknowledge its source.
 */
export class Receiving {
  readonly #ctx: PipelineContext;
  readonly #finishing: Finishing;
  readonly #loops = new Map<string, Promise<void>>();

  constructor(ctx: PipelineContext, finishing: Finishing) {
    this.#ctx = ctx;
    this.#finishing = finishing;
  }

  /** Starts a receive loop on the logon unless one runs or it cannot receive now. */
  start(logon: LogonView): void {
    // An orderly stop still receives until in-flight hand-offs are done: a provider may be waiting for the
    // host to take a message it already has (loopback's delivery is one). A logon a reload is retiring still
    // receives too: its in-flight hand-offs may wait on it (loopback's do).
    if (this.#ctx.state.phase === 'aborting' || logon.state !== 'active' || !logon.inboundEnabled) return;
    if (this.#loops.has(logon.id) || !logon.receives || logon.inCriticalSection) return;
    const table = this.#ctx.port.statusTable;
    const loop = this.#loop(logon).finally(() => {
      this.#loops.delete(logon.id);
      setDirectionActive(table, logon.id, 'inbound', false);
    });
    this.#loops.set(logon.id, loop);
    setDirectionActive(table, logon.id, 'inbound', true);
  }

  /** Polls a logon that receives (when it has `poll`, else it is asked directly) and receives what it has. */
  async pollOnce(logon: LogonView): Promise<void> {
    if (logon.state !== 'active' || !logon.inboundEnabled || logon.inCriticalSection) return;
    if (!logon.receives) return;
    if (logon.polls && !(await this.#ctx.port.tryCall('poll', logon.id, undefined))) return;
    this.start(logon);
    await this.#loops.get(logon.id);
  }

  /** The receive loop running on a logon, if any. */
  running(logonId: string): Promise<void> | undefined {
    return this.#loops.get(logonId);
  }

  /** Every receive loop running now. */
  all(): Promise<void>[] {
    return [...this.#loops.values()];
  }

  /** The inbound channel: stores one received message durably; refuses once in-flight work is aborted. */
  async save(logonId: string, message: InboundMessage): Promise<{ id: string; duplicate: boolean }> {
    const ctx = this.#ctx;
    if (ctx.state.phase === 'aborting') {
      throw spoolError(
        ErrorCode.STOPPED,
        'the spooler is stopping; keep the message at its source',
        'It will be received after the restart.',
      );
    }
    const now = ctx.clock.now();
    const id = newMessageId(now);
    const record = toReceivedMessage(message, {
      id,
      logonId,
      folder: this.#finishing.receiveFolder(message.messageClass ?? 'IPM.Note'),
      now,
      defaultAddressType: ctx.profile().defaultAddressType,
    });
    const stored = await ctx.store.insert(record);
    if (stored.duplicate) return { id: stored.id, duplicate: true };
    ctx.totals.received(logonId);
    ctx.events.changed();
    if (ctx.events.wants('received')) ctx.events.emit('received', { id, logonId });
    return { id, duplicate: false };
  }

  async #loop(logon: LogonView): Promise<void> {
    for (let i = 0; i < MAX_STARTS_PER_LOOP && this.#ctx.state.phase !== 'aborting'; i++) {
      // A failed startMessage is logged by the port with its attribution; the next poll tries again.
      const result = await this.#ctx.port.tryCall('startMessage', logon.id, undefined);
      if (!result?.more) return;
    }
  }
}
