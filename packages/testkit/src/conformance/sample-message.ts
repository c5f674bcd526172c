import { parseAddress } from '@spool/core/internal';
import type { OutboundMessage, OutboundRecipient } from '@spool/spi';
import type { Suite } from './suite.js';

/** The sample message: the sample addresses as routed recipients, plus a blind one of a foreign type. */
export function sampleMessage(
  suite: Suite,
  id: string,
): { message: OutboundMessage; routed: OutboundRecipient[] } {
  const { addresses, from } = suite.config;
  const routed = addresses.map((address, index): OutboundRecipient => {
    const parsed = parseAddress(address, 'SMTP', `addresses[${index}]`);
    return { id: String(index), ...parsed, type: 'to', attempts: 0 };
  });
  // Not the provider's: it must not report an outcome for it (it was not routed to it).
  const foreign: OutboundRecipient = {
    id: String(routed.length),
    address: 'CONFORMANCE-OTHER:nobody',
    addressType: 'CONFORMANCE-OTHER',
    value: 'nobody',
    type: 'bcc',
    attempts: 0,
  };
  const message: OutboundMessage = {
    id,
    messageId: `<${id}@conformance.spool>`,
    ...(from === undefined ? {} : { from: parseAddress(from, 'SMTP', 'from').address }),
    recipients: [...routed, foreign],
    subject: 'spool conformance',
    text: 'A sample message sent by the @spool/testkit conformance suite.',
    attachments: [
      {
        filename: 'note.txt',
        contentType: 'text/plain',
        content: new TextEncoder().encode('attached text\n'),
      },
    ],
    messageClass: 'IPM.Note',
    properties: {},
    submittedAt: new Date(),
  };
  return { message, routed };
}
