import { messageOf } from '../errors.js';
import type { Disposition, FinishIfDone, NewMessage, StoredMessage } from '../store/types.js';
import { decisionTime, type PipelineContext } from './context.js';
import { normalizeFolder, receiveFolderOf } from './folders.js';
import { buildReports } from './reports.js';
import type { SentMailDecision } from './types.js';

/**
 * Finishing (MAPI FinishedMsg): a message whose every recipient is final is unlocked, the sent-mail hooks
 * run, and it is filed (Sent, a hook's folder, kept or deleted) with its reports (one NDR, one DR).
 */
export class Finishing {
  readonly #ctx: PipelineContext;

  constructor(ctx: PipelineContext) {
    this.#ctx = ctx;
  }

  /** Runs the hooks (the first non-default decision wins), files the message with its reports, announces it. */
  async file(message: StoredMessage): Promise<void> {
    let decision: SentMailDecision = 'default';
    for (const hook of this.#ctx.options.sentMailHooks ?? []) {
      try {
        const result = await hook(message);
        if (result !== undefined && result !== 'default') {
          decision = result;
          break;
        }
      } catch (error) {
        this.#ctx.port.logger.error(
          { messageId: message.id },
          `a sent-mail hook failed; using the default disposition: ${messageOf(error)}`,
        );
      }
    }
    await this.#ctx.store.finish(message.id, this.#plan(message, decision, decisionTime(this.#ctx)));
    this.announce(message);
  }

  /**
   * The finish a hand-off's settle may apply in its own commit, if that settle finishes the message: only
   * when no sent-mail hook has to run first and no report can be due (a delivery report was asked for, or a
   * non-delivery report would be if a recipient failed: `unlessFailed`). Otherwise the settle only marks the
   * message finished and {@link file} files it, a second commit.
   */
  inSettle(message: StoredMessage): FinishIfDone | undefined {
    if ((this.#ctx.options.sentMailHooks?.length ?? 0) > 0 || message.reports.delivery) return undefined;
    return {
      disposition: defaultDisposition(message),
      ...(message.reports.nonDelivery ? { unlessFailed: true } : {}),
    };
  }

  /** A message was filed: `finished` for listeners, and a change for folder readers. */
  announce(message: StoredMessage): void {
    this.#ctx.events.emit('finished', message);
    this.#ctx.events.changed();
  }

  /** The folder a received message (or a report) of this class goes to. */
  receiveFolder(messageClass: string): string {
    return receiveFolderOf(this.#ctx.profile().receiveFolders, messageClass);
  }

  /** Where a finished message goes after the hooks decided, and the reports (NDR, DR) it produces. */
  #plan(
    message: StoredMessage,
    decision: SentMailDecision,
    now: number,
  ): { disposition: Disposition; reports: NewMessage[] } {
    const disposition: Disposition =
      decision === 'default'
        ? defaultDisposition(message)
        : decision === 'keep' || decision === 'delete'
          ? decision
          : { folder: normalizeFolder(decision.folder) };
    const reports = buildReports(message, now).map((report) => ({
      ...report,
      folder: this.receiveFolder(report.messageClass),
    }));
    return { disposition, reports };
  }
}

function defaultDisposition(message: StoredMessage): Disposition {
  return message.deleteAfterSubmit ? 'delete' : { folder: 'Sent' };
}
