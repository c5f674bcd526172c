import type { OutboundMessage, OutboundRecipient } from '@spool/spi';
import { ErrorCode, messageOf } from '../errors.js';
import type { LogonView } from '../host/provider-port.js';
import type { Claim, StoredMessage } from '../store/types.js';
import type { PipelineContext } from './context.js';
import type { Finishing } from './finishing.js';
import type { Flight } from './in-flight.js';
import { LogonRestarts } from './logon-restarts.js';
import { type HandOffOutcome, outcomeOfError, outcomeOfResult } from './outcomes.js';
import { removeRuns } from './removal.js';
import { setDirectionActive } from './status-rows.js';
import { withStoreRetry } from './store-retry.js';

/**
 * The hand-off of one claimed message to one logon: its preprocessors, `submitMessage` within the logon's
 * maxInFlight, the removal of the runs, one settle commit, `endMessage`, then finishing. Everything a
 * provider does wrong becomes an outcome (a deferral) or a log record with its attribution.
 */
export class HandOffs {
  /** What becomes of a logon whose hand-off timed out: logged on again, on probation, or failed. */
  readonly restarts: LogonRestarts;
  readonly #ctx: PipelineContext;
  readonly #finishing: Finishing;

  constructor(ctx: PipelineContext, finishing: Finishing) {
    this.#ctx = ctx;
    this.#finishing = finishing;
    this.restarts = new LogonRestarts(ctx, finishing);
  }

  /** Starts the hand-off of a claim; it runs on its own and is tracked in the in-flight registry. */
  start(logon: LogonView, claim: Claim): void {
    const { inFlight, port, events } = this.#ctx;
    const flight = inFlight.add(claim.message.id, logon.id, new AbortController());
    flight.done = this.#run(logon, claim, flight)
      .catch((error: unknown) =>
        port.logger.error(
          { messageId: claim.message.id, logon: logon.id },
          `hand-off bookkeeping failed: ${messageOf(error)}`,
        ),
      )
      .finally(() => {
        if (inFlight.settle(flight)) this.#slotFreed(logon.id);
        this.#ctx.wake();
      });
    setDirectionActive(port.statusTable, logon.id, 'outbound', true);
    if (events.wants('hand-off-started'))
      events.emit('hand-off-started', {
        messageId: claim.message.id,
        logonId: logon.id,
        recipients: claim.recipients.map((r) => r.index),
      });
  }

  async #run(logon: LogonView, claim: Claim, flight: Flight): Promise<void> {
    const { port, store } = this.#ctx;
    const { message: stored, runIds } = claim;
    const mine = new Set(claim.recipients.map((r) => r.index));
    const all = stored.recipients.map(toOutboundRecipient);
    const recipients = all.filter((r) => mine.has(Number(r.id)));
    let message = toOutboundMessage(stored, all);
    // Calls that the hand-off may abort (a cancel, a hurried stop) and the bookkeeping calls that it may not.
    const abortable = { messageId: stored.id, signal: flight.controller.signal };
    const bookkeeping = { messageId: stored.id };
    let result: HandOffOutcome;
    try {
      for (let k = 0; k < logon.preprocessors && k < runIds.length; k++) {
        const args = { index: k, runId: runIds[k]!, message, recipients };
        const { properties } = await port.call('preprocess', logon.id, args, abortable);
        if (properties) message = { ...message, properties: { ...message.properties, ...properties } };
      }
      const args = { message, recipients, preprocessRun: runIds[0] };
      const submitted = await port.call('submitMessage', logon.id, args, abortable);
      this.restarts.answered(logon.id);
      result = outcomeOfResult(this.#ctx, logon, stored, recipients, submitted);
    } catch (error) {
      // A timeout takes the logon out of service until it is logged on again; any other error is an answer.
      if ((error as { code?: unknown }).code === ErrorCode.TIMEOUT) this.restarts.timedOut(logon);
      else if (!flight.controller.signal.aborted) this.restarts.answered(logon.id);
      result = outcomeOfError(this.#ctx, stored, recipients, flight.controller.signal, error);
    }
    // The breaker counts route failures before the slot frees: a probe's outcome decides what starts next.
    const lastError = result.updates.find((u) => 'error' in u && u.error !== undefined);
    this.#ctx.breakers.record(
      logon.id,
      logon.entryId,
      result.routeFailed === true,
      lastError && 'error' in lastError ? lastError.error : undefined,
    );
    // maxInFlight bounds submitMessage calls: the slot frees now, so the next hand-off starts while this
    // one's bookkeeping (removal, the settle commit, endMessage) completes.
    if (this.#ctx.inFlight.endSubmit(flight)) this.#slotFreed(logon.id);
    if (runIds.length > 0)
      await removeRuns(
        this.#ctx,
        logon.id,
        { messageId: stored.id, reason: result.reason, runIds },
        bookkeeping,
      );
    // One commit records the outcomes, the removed runs and, when nothing else is needed, the finish.
    // A crash before it leaves the runs open (recovery removes them again: removal is idempotent) and the
    // recipients pending (handed off again): at least once, never lost.
    // A commit the store refused (another process holds the write lock) is tried again shortly: the provider
    // did its part already, and its outcome must not wait for the lease to expire.
    const ifFinished = this.#finishing.inSettle(stored);
    const settled = await withStoreRetry(this.#ctx, `recording the outcome of ${stored.id}`, () =>
      store.settle({
        messageId: stored.id,
        route: logon.id,
        updates: result.updates,
        removedRuns: runIds,
        ...(ifFinished ? { ifFinished } : {}),
      }),
    );
    // EndMessage comes after that commit, as the SPI promises: the outcomes it reports are durable.
    if (logon.hasEndMessage && Object.keys(result.outcomes).length > 0)
      await port.tryCall('endMessage', logon.id, { id: stored.id, recipients: result.outcomes }, bookkeeping);
    this.#ctx.totals.settled(logon.id, result.updates);
    this.#announce(logon.id, stored.id, result);
    if (settled.finished && settled.disposed) this.#finishing.announce(settled.finished);
    else if (settled.finished) await this.#finishing.file(settled.finished);
    this.#ctx.events.changed();
  }

  /** A slot of the logon freed: its outbound row shows whether any hand-off still submits, and work may start. */
  #slotFreed(logonId: string): void {
    const { port, inFlight } = this.#ctx;
    setDirectionActive(port.statusTable, logonId, 'outbound', inFlight.submitting(logonId) > 0);
    this.#ctx.wake();
  }

  #announce(logonId: string, messageId: string, result: HandOffOutcome): void {
    const { events } = this.#ctx;
    if (events.wants('recipient-outcome'))
      for (const update of result.updates)
        events.emit('recipient-outcome', {
          messageId,
          logonId,
          index: update.index,
          outcome: update.outcome,
          ...('error' in update && update.error !== undefined ? { error: update.error } : {}),
        });
    if (events.wants('hand-off-settled'))
      events.emit('hand-off-settled', { messageId, logonId, reason: result.reason });
  }
}

function toOutboundRecipient(r: StoredMessage['recipients'][number]): OutboundRecipient {
  return {
    id: String(r.index),
    address: r.address,
    addressType: r.addressType,
    value: r.value,
    type: r.type,
    attempts: r.attempts,
  };
}

function toOutboundMessage(stored: StoredMessage, recipients: readonly OutboundRecipient[]): OutboundMessage {
  return {
    id: stored.id,
    messageId: stored.messageId,
    ...(stored.from === null ? {} : { from: stored.from }),
    recipients,
    subject: stored.subject,
    ...(stored.text === null ? {} : { text: stored.text }),
    ...(stored.html === null ? {} : { html: stored.html }),
    attachments: stored.attachments,
    messageClass: stored.messageClass,
    properties: stored.properties,
    submittedAt: new Date(stored.submittedAt),
  };
}
