import type { InboundMessage } from '@spool/spi';
import type { NewMessage } from '../store/types.js';
import { parseAddress } from './address.js';
import { rfcMessageId } from './ids.js';

/**
 * What the store keeps of a message a logon received: addresses parsed (an unparseable recipient becomes
 * `UNKNOWN:…`, an unparseable sender stays as given), the receiving logon recorded, the source's idempotency
 * key scoped to that logon.
 */
export function toReceivedMessage(
  message: InboundMessage,
  init: {
    readonly id: string;
    readonly logonId: string;
    readonly folder: string;
    readonly now: number;
    readonly defaultAddressType: string;
  },
): NewMessage {
  const { id, logonId, defaultAddressType } = init;
  const recipients = (message.recipients ?? []).map((r) => {
    try {
      return { ...parseAddress(r.address, defaultAddressType), type: r.type ?? ('to' as const) };
    } catch {
      return {
        address: `UNKNOWN:${r.address}`,
        addressType: 'UNKNOWN',
        value: r.address,
        type: r.type ?? ('to' as const),
      };
    }
  });
  let from: string | null = null;
  if (message.from) {
    try {
      from = parseAddress(message.from, defaultAddressType).address;
    } catch {
      from = message.from;
    }
  }
  return {
    id,
    folder: init.folder,
    state: 'received',
    messageId: message.messageId ?? rfcMessageId(id),
    from,
    subject: String(message.subject ?? ''),
    text: message.text ?? null,
    html: message.html ?? null,
    messageClass: message.messageClass ?? 'IPM.Note',
    properties: { ...(message.properties ?? {}), 'x-spool-received-by': logonId },
    deleteAfterSubmit: false,
    reports: { delivery: false, nonDelivery: false },
    idempotencyKey: message.idempotencyKey ? `inbound:${logonId}:${message.idempotencyKey}` : null,
    submittedAt: message.receivedAt?.getTime() ?? init.now,
    recipients,
    attachments: (message.attachments ?? []).map((a) => ({
      ...a,
      content: a.content instanceof Uint8Array ? a.content : new Uint8Array(a.content),
    })),
  };
}
