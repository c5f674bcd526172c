import { conformanceError } from '../errors.js';
import { createHarness } from '../harness.js';
import type { Rule } from './suite.js';

/** End to end: the sample message through a real spooler (store, routing, status row), like an operator's. */
export const deliveryRule: Rule = {
  title:
    'delivery: the sample message goes through a real spooler and lands in Sent, every recipient delivered',
  async check(suite) {
    const { config } = suite;
    const harness = await createHarness({
      ...(config.packageDir !== undefined
        ? { packageDir: config.packageDir }
        : {
            provider: config.provider!,
            ...(config.packageJson ? { packageJson: config.packageJson } : {}),
          }),
      options: { ...(await suite.sampleOptions()) },
    });
    try {
      const { id } = await harness.submit({
        ...(config.from === undefined ? {} : { from: config.from }),
        to: [...config.addresses],
        subject: 'spool conformance (spooler)',
        text: 'Sent through a real spooler by the @spool/testkit conformance suite.',
      });
      const message = await harness.deliver(id);
      const outcomes = message.recipients.map(
        (r) => `${r.address}: ${r.outcome}${r.lastError ? ` (${r.lastError})` : ''}`,
      );
      if (
        message.state !== 'finished' ||
        message.folder !== 'Sent' ||
        message.recipients.some((r) => r.outcome !== 'delivered')
      ) {
        throw conformanceError(
          harness.spooler.providers()[0]?.package?.name ?? 'provider',
          'logon.submitMessage(message, recipients, context)',
          `through the spooler the message is ${message.state} in ${message.folder}: ${outcomes.join('; ')}`,
          'The sample addresses must be deliverable under the sample options; the host log is in harness.logs.',
        );
      }
      const row = harness.status().find((r) => r.kind === 'logon');
      if (!row || row.counters.sent < config.addresses.length) {
        throw conformanceError(
          String(row?.provider?.name),
          'Support calls (provider → host)',
          `the status row counts ${row?.counters.sent} sent after ${config.addresses.length} deliveries`,
          'This is a host bug; report it.',
        );
      }
    } finally {
      await harness.dispose();
    }
  },
};
