import type { StoredMessage } from '../types.js';

/** How many hand-offs in flight the store keeps (see HandOffs): more than any route's maxInFlight needs. */
const IN_FLIGHT_MAX = 4096;

/**
 * A hand-off in flight: the message as claimed without its content (text, HTML and attachments are read back
 * when it finishes), its body id, and how many routes hold it. Keeping the content here too made every
 * claimed body outlive V8's young generation during a drain (+15–20 MB peak RSS on 10,000 messages,
 * measured): the provider has the content while it needs it; the store needs only the envelope and the
 * recipients to settle without reading them back.
 */
export interface InFlight {
  readonly message: StoredMessage;
  readonly body: number;
  readonly hasAttachments: boolean;
  claims: number;
}

/**
 * The messages of hand-offs in flight, by store id, so a settle that finishes one returns it without
 * reading its body and attachments again; and by RFC Message-ID the body ids, because a provider that
 * delivers a message back into this store (loopback does, for every message) would otherwise store its
 * body a second time: a received message with the same Message-ID, text and HTML shares the stored body
 * (see shareBody in insert.ts). Only ids are kept in the second map: keeping texts measured ~25 MB more
 * peak RSS.
 */
export class HandOffs {
  readonly #inFlight = new Map<string, InFlight>();
  readonly #handedOff = new Map<string, number>();

  /** Keeps a message being handed off, for its settle and for a copy of it the provider may bring back. */
  remember(message: StoredMessage, body: number): void {
    const known = this.#inFlight.get(message.id);
    if (known) known.claims += 1;
    else {
      if (this.#inFlight.size >= IN_FLIGHT_MAX) this.#inFlight.delete(this.#inFlight.keys().next().value!);
      this.#inFlight.set(message.id, {
        message: { ...message, text: null, html: null, attachments: [] },
        body,
        hasAttachments: message.attachments.length > 0,
        claims: 1,
      });
    }
    if (this.#handedOff.size >= IN_FLIGHT_MAX) this.#handedOff.delete(this.#handedOff.keys().next().value!);
    this.#handedOff.set(message.messageId, body);
  }

  /** The hand-off ended: forget its message once no other route holds it. */
  forget(id: string): InFlight | undefined {
    const known = this.#inFlight.get(id);
    if (!known) return undefined;
    // A copy the provider brings back from now on is stored in full.
    this.#handedOff.delete(known.message.messageId);
    known.claims -= 1;
    if (known.claims <= 0) this.#inFlight.delete(id);
    return known;
  }

  /** The body id of the hand-off in flight with this RFC Message-ID, if any. */
  bodyOf(messageId: string): number | undefined {
    return this.#handedOff.get(messageId);
  }
}
