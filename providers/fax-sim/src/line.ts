import type { TransportSupport } from '@spool/spi';
import { pause } from './cancel.js';
import { type FaxGeometry, pageTransmitMs } from './geometry.js';
import { matchesNumberRule } from './number.js';
import type { ResolvedFaxOptions } from './options.js';

/** What a dial attempt reaches: a fax machine, a busy line, ringing without answer, or a dead number. */
export type DialOutcome = 'connected' | 'busy' | 'no-answer' | 'unallocated';

/**
 * One simulated fax line (one logon owns one line, hence `maxInFlight: 1`). The rules in the options
 * decide what each number answers; the timing comes from the page geometry and the baud rate, scaled by
 * `timeFactor` so tests run instantly and demos in real time. The `*Ms` results are line time at real
 * speed whatever the factor, so the transmission log reads the same in a test and in a demo.
 */
export class FaxLine {
  /** Dial attempts per rule and number, so `busyAttempts: 1` makes the second attempt get through. */
  readonly #attempts = new Map<string, number>();
  readonly #options: ResolvedFaxOptions;
  readonly #geometry: FaxGeometry;
  readonly #support: TransportSupport;

  constructor(options: ResolvedFaxOptions, geometry: FaxGeometry, support: TransportSupport) {
    this.#options = options;
    this.#geometry = geometry;
    this.#support = support;
  }

  /** Real-time duration of the dial-and-connect handshake, in ms. */
  get handshakeMs(): number {
    return this.#options.handshakeMs;
  }

  /** Real-time duration of one page, in ms. */
  get pageMs(): number {
    return pageTransmitMs(this.#geometry, this.#options.baud);
  }

  /** True for the first `limit` attempts on `number` under `rule` (counted per logon). */
  #stillFailing(rule: string, number: string, limit: number): boolean {
    const key = `${rule}:${number}`;
    const attempt = (this.#attempts.get(key) ?? 0) + 1;
    this.#attempts.set(key, attempt);
    return attempt <= limit;
  }

  /** What the exchange answers for `number` on this attempt. */
  #answer(number: string): DialOutcome {
    const o = this.#options;
    if (matchesNumberRule(number, o.invalidNumbers)) return 'unallocated';
    if (matchesNumberRule(number, o.busyNumbers) && this.#stillFailing('busy', number, o.busyAttempts))
      return 'busy';
    if (
      matchesNumberRule(number, o.noAnswerNumbers) &&
      this.#stillFailing('no-answer', number, o.noAnswerAttempts)
    ) {
      return 'no-answer';
    }
    return 'connected';
  }

  /**
   * Dials `number` and, when a machine answers, completes the handshake. The whole handshake runs in a
   * critical section: a modem negotiating its carrier must not be interrupted by the host's idle or poll
   * work. The section is left as soon as the line is connected or known to be unusable.
   */
  async dial(number: string, signal: AbortSignal): Promise<DialOutcome> {
    const factor = this.#options.timeFactor;
    const section = this.#support.enterCriticalSection();
    try {
      this.#support.modifyStatusRow({ text: `dialling ${number}` });
      await pause((this.handshakeMs / 2) * factor, signal, `dialling ${number}`);
      const outcome = this.#answer(number);
      if (outcome !== 'connected') return outcome;
      this.#support.modifyStatusRow({ text: `connecting to ${number}` });
      // Phase B of T.30: capabilities exchange and training.
      await pause((this.handshakeMs / 2) * factor, signal, `handshake with ${number}`);
      return 'connected';
    } finally {
      section.leave();
    }
  }

  /**
   * Sends `pages` pages over a connected line. Each page is a cancellation point (`spoolerYield`), and the
   * status row shows `page k of n` while page k is on the wire.
   */
  async transmit(number: string, pages: number, signal: AbortSignal): Promise<void> {
    const perPage = this.pageMs * this.#options.timeFactor;
    this.#support.modifyStatusRow({ text: `sending to ${number}` });
    for (let page = 1; page <= pages; page += 1) {
      await this.#support.spoolerYield(signal);
      this.#support.modifyStatusRow({
        progress: { done: page - 1, total: pages, text: `page ${page} of ${pages}` },
      });
      await pause(perPage, signal, `page ${page} of ${pages} to ${number}`);
    }
  }
}
