import { isRecipientOutcome } from '@spool/core/internal';
import type { SubmitMessageResult } from '@spool/spi';
import { conformanceError } from '../errors.js';
import { preprocessAll, removeAll } from './preprocess.js';
import { sampleMessage } from './sample-message.js';
import { notify, withLogon } from './session.js';
import type { Rule } from './suite.js';

const RULE = 'logon.submitMessage(message, recipients, context)';
const UNDELIVERABLE = 'The sample addresses must be deliverable under the sample options.';

/** The outbound hand-off, driven like the host: preprocess, submit, remove the runs, endMessage. */
export const submitRule: Rule = {
  title:
    'submitMessage: every routed recipient is reported exactly once, with a valid outcome, and delivered',
  async check(suite) {
    await withLogon(suite, { traffic: true }, async (session, logon, support) => {
      const { message, routed } = sampleMessage(suite, 'conformance-submit');
      const signal = new AbortController().signal;
      const runs = await preprocessAll(session, support, message, routed, signal);
      let result: SubmitMessageResult;
      try {
        result = await logon.submitMessage(message, routed, { signal, preprocessInfo: runs[0]?.info });
      } catch (error) {
        await removeAll(session, support, message, runs, 'deferred');
        throw conformanceError(
          session.name,
          RULE,
          `submitMessage threw on the sample message: ${(error as Error)?.message}`,
          UNDELIVERABLE,
          {},
          error,
        );
      }
      if (result !== null && typeof result === 'object' && 'defer' in result) {
        await removeAll(session, support, message, runs, 'deferred');
        throw conformanceError(
          session.name,
          RULE,
          `submitMessage deferred the sample message: ${result.defer?.reason}`,
          UNDELIVERABLE,
        );
      }
      const outcomes = (result as { recipients?: unknown })?.recipients;
      if (typeof outcomes !== 'object' || outcomes === null) {
        throw conformanceError(
          session.name,
          RULE,
          `submitMessage returned ${JSON.stringify(result)}`,
          'Return { recipients: { [id]: outcome } } or { defer: { reason } }.',
        );
      }
      const reported = Object.keys(outcomes).sort();
      const given = routed.map((r) => r.id).sort();
      if (reported.join() !== given.join()) {
        throw conformanceError(
          session.name,
          RULE,
          `submitMessage reported recipients [${reported.join(', ')}] for the routed recipients [${given.join(', ')}]`,
          'Report exactly one outcome per recipient id you were given — not the other recipients of the message.',
        );
      }
      for (const [id, outcome] of Object.entries(outcomes as Record<string, unknown>)) {
        // The host's outcome set, plus what its type says: a failure carries a reason.
        if (
          !isRecipientOutcome(outcome) ||
          (outcome.status === 'failed' && typeof outcome.reason !== 'string')
        ) {
          throw conformanceError(
            session.name,
            RULE,
            `recipient ${id} has outcome ${JSON.stringify(outcome)}`,
            'An outcome is { status: delivered | failed (with reason) | retry | not-mine }.',
          );
        }
        if (outcome.status !== 'delivered') {
          throw conformanceError(
            session.name,
            RULE,
            `sample recipient ${suite.config.addresses[Number(id)]} was not delivered: ${JSON.stringify(outcome)}`,
            UNDELIVERABLE,
          );
        }
      }
      await session.receivers.get(logon)?.settle();
      // The host's order: removePreprocessInfo, then the commit of the outcomes, then endMessage.
      await removeAll(session, support, message, runs, 'delivered');
      await logon.endMessage?.({ id: message.id, recipients: outcomes as Record<string, never> });
      await notify(session, logon, { type: 'end-outbound' });
      await notify(session, logon, { type: 'end-inbound' });
    });
  },
};
