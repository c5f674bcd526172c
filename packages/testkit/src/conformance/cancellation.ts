import { conformanceError } from '../errors.js';
import { preprocessAll, removeAll } from './preprocess.js';
import { sampleMessage } from './sample-message.js';
import { notify, withLogon } from './session.js';
import type { Rule } from './suite.js';

/** A hand-off whose signal is already aborted must throw, not deliver. */
export const cancellationRule: Rule = {
  title: 'cancellation: submitMessage with an aborted signal throws and reports nothing delivered',
  async check(suite) {
    await withLogon(suite, { traffic: true }, async (session, logon, support) => {
      const { message, routed } = sampleMessage(suite, 'conformance-cancel');
      const runs = await preprocessAll(session, support, message, routed, new AbortController().signal);
      const controller = new AbortController();
      controller.abort(new Error('cancelled by the conformance suite'));
      const outcome = await logon
        .submitMessage(message, routed, { signal: controller.signal, preprocessInfo: runs[0]?.info })
        .then(
          (result) => ({ result }),
          (error: unknown) => ({ error }),
        );
      await removeAll(session, support, message, runs, 'cancelled');
      if ('result' in outcome) {
        throw conformanceError(
          session.name,
          'Cancellation',
          `submitMessage resolved with ${JSON.stringify(outcome.result)} although its signal was aborted`,
          'Check context.signal before and during the hand-off (signal.throwIfAborted(), or support.spoolerYield(signal)) and throw.',
        );
      }
      await notify(session, logon, { type: 'end-outbound' });
      await notify(session, logon, { type: 'end-inbound' });
    });
  },
};
