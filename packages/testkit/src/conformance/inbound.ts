import type { InboundMessage } from '@spool/spi';
import { conformanceError } from '../errors.js';
import { checkStartMessageResult, savingSink } from './receiver.js';
import { logOn, logoff, notify, withSession } from './session.js';
import type { Rule } from './suite.js';

/** The inbound methods, called one at a time as the host's poll loop calls them. */
export const inboundRule: Rule = {
  title: 'inbound: poll, startMessage and idle keep their contracts when the provider has them',
  async check(suite) {
    await withSession(suite, async (session) => {
      const support = await session.newSupport();
      const logon = await logOn(session, support);
      session.receivers.delete(logon); // this check drives poll and startMessage itself, one call at a time
      const saved: InboundMessage[] = [];
      const sink = savingSink(session.name, saved);
      try {
        await notify(session, logon, { type: 'begin-outbound' });
        await notify(session, logon, { type: 'begin-inbound' });
        const signal = new AbortController().signal;
        for (let round = 0; round < 20; round++) {
          const waiting = logon.poll ? await logon.poll({ signal }) : false;
          if (typeof waiting !== 'boolean') {
            throw conformanceError(
              session.name,
              'logon.poll(context) and logon.startMessage(sink, context)',
              `poll() returned ${JSON.stringify(waiting)}`,
              'poll resolves true when inbound mail waits, else false.',
            );
          }
          if (!waiting || !logon.startMessage) break;
          checkStartMessageResult(session.name, await logon.startMessage(sink, { signal }));
        }
        await logon.idle?.({ signal });
        await notify(session, logon, { type: 'end-outbound' });
        await notify(session, logon, { type: 'end-inbound' });
      } finally {
        await logoff(session, logon, support);
      }
    });
  },
};
