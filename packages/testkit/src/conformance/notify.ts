import type { TransportNotifyEvent } from '@spool/spi';
import { notify, withLogon } from './session.js';
import type { Rule } from './suite.js';

/** Every `transportNotify` event, in the order a full session sees them. */
const SESSION_EVENTS: readonly TransportNotifyEvent[] = [
  { type: 'begin-outbound' },
  { type: 'begin-inbound' },
  { type: 'begin-outbound-flush' },
  { type: 'end-outbound-flush' },
  { type: 'begin-inbound-flush' },
  { type: 'end-inbound-flush' },
  { type: 'abort-deferred', messageId: 'conformance-not-queued', reason: 'user' },
  { type: 'end-outbound' },
  { type: 'end-inbound' },
];

/** `transportNotify` accepts every event (notify throws the conformance error for one that throws). */
export const notifyRule: Rule = {
  title: 'transportNotify: every event is accepted, in session order',
  async check(suite) {
    await withLogon(suite, { traffic: false }, async (session, logon) => {
      for (const event of SESSION_EVENTS) await notify(session, logon, event);
    });
  },
};
