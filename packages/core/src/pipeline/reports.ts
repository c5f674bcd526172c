import type { NewMessage, StoredMessage } from '../store/types.js';
import { newMessageId, rfcMessageId } from './ids.js';

/** The content type of an original message attached to a report: the whole message, lossless, as JSON. */
export const ORIGINAL_MESSAGE_TYPE = 'application/vnd.spool.message+json';

function originalAttachment(original: StoredMessage) {
  const { attachments, ...rest } = original;
  const json = JSON.stringify({
    ...rest,
    attachments: attachments.map((a) => ({ ...a, content: Buffer.from(a.content).toString('base64') })),
  });
  return {
    filename: 'original-message.json',
    contentType: ORIGINAL_MESSAGE_TYPE,
    content: new TextEncoder().encode(json),
  };
}

function report(
  original: StoredMessage,
  now: number,
  kind: 'NDR' | 'DR',
  subject: string,
  text: string,
): NewMessage {
  const id = newMessageId(now);
  return {
    id,
    folder: 'Inbox',
    state: 'received',
    messageId: rfcMessageId(id),
    from: 'SPOOL:postmaster',
    subject,
    text,
    html: null,
    messageClass: `REPORT.${original.messageClass}.${kind}`,
    properties: { 'x-spool-original-id': original.id, 'x-spool-original-message-id': original.messageId },
    deleteAfterSubmit: false,
    reports: { delivery: false, nonDelivery: false },
    idempotencyKey: null,
    submittedAt: now,
    recipients: original.from
      ? [
          {
            address: original.from,
            addressType: original.from.split(':')[0]!,
            value: original.from.slice(original.from.indexOf(':') + 1),
            type: 'to',
          },
        ]
      : [],
    attachments: [originalAttachment(original)],
  };
}

/**
 * The reports for a finished message, built once from the per-recipient outcomes (so no recipient is ever
 * reported twice): one non-delivery report listing every failed recipient with its reason (unless the
 * sender opted out), and one delivery report when asked for and something was delivered. Cancelled
 * recipients are not failures and get no NDR.
 */
export function buildReports(original: StoredMessage, now: number): NewMessage[] {
  const reports: NewMessage[] = [];
  const failed = original.recipients.filter((r) => r.outcome === 'failed');
  const delivered = original.recipients.filter((r) => r.outcome === 'delivered');
  if (failed.length > 0 && original.reports.nonDelivery) {
    const lines = failed.map((r) => `  ${r.address}: ${r.lastError ?? 'failed'}`);
    reports.push(
      report(
        original,
        now,
        'NDR',
        `Undeliverable: ${original.subject}`,
        `Your message could not be delivered to ${failed.length === 1 ? 'this recipient' : 'these recipients'}:\n${lines.join('\n')}\n\nThe original message is attached.`,
      ),
    );
  }
  if (delivered.length > 0 && original.reports.delivery) {
    reports.push(
      report(
        original,
        now,
        'DR',
        `Delivered: ${original.subject}`,
        `Your message was delivered to:\n${delivered.map((r) => `  ${r.address}`).join('\n')}\n\nThe original message is attached.`,
      ),
    );
  }
  return reports;
}
