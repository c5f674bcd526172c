import { setTimeout as sleep } from 'node:timers/promises';
import { conformanceError } from '../errors.js';
import { preprocessAll, removeAll } from './preprocess.js';
import { sampleMessage } from './sample-message.js';
import { logOn, logoff, notify, withSession } from './session.js';
import type { Rule } from './suite.js';

/** After `transportLogoff` the provider is silent: no timer or listener it forgot calls the support object. */
export const logoffRule: Rule = {
  title: 'logoff: no support call after transportLogoff, in either mode, even after traffic',
  async check(suite) {
    await withSession(suite, async (session) => {
      for (const mode of ['orderly', 'abort'] as const) {
        const support = await session.newSupport();
        const logon = await logOn(session, support);
        await notify(session, logon, { type: 'begin-outbound' });
        await notify(session, logon, { type: 'begin-inbound' });
        const { message, routed } = sampleMessage(suite, `conformance-logoff-${mode}`);
        const runs = await preprocessAll(session, support, message, routed, new AbortController().signal);
        await logon
          .submitMessage(message, routed, {
            signal: new AbortController().signal,
            preprocessInfo: runs[0]?.info,
          })
          .catch(() => {});
        await removeAll(session, support, message, runs, 'delivered');
        await notify(session, logon, { type: 'end-outbound' });
        await notify(session, logon, { type: 'end-inbound' });
        await logoff(session, logon, support, mode);
        await sleep(suite.settleMs); // timers and listeners the provider forgot would fire now
        if (support.lateCalls.length > 0) {
          const first = support.lateCalls[0]!;
          throw conformanceError(
            session.name,
            'Support calls (provider → host)',
            `after transportLogoff({ mode: '${mode}' }) the provider called support.${first.member}() (${support.lateCalls.length} late call(s)); from:\n${first.stack}`,
            'Stop timers, listeners and pending work in transportLogoff; the support object is invalid once it returns.',
          );
        }
        if (support.openSections > 0) {
          throw conformanceError(
            session.name,
            'Support calls (provider → host)',
            `${support.openSections} critical section(s) still held after logoff`,
            'Leave every critical section (use `using section = support.enterCriticalSection()`).',
          );
        }
      }
    });
  },
};
