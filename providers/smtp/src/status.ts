import type { StatusRowPatch, TransportSupport } from '@spool/spi';

/**
 * The logon's status row text, kept as two halves so the inbound half (which names the bound port that tests
 * and operators look for) is never overwritten by an outbound update, and vice versa.
 */
export class StatusText {
  private outbound = 'ready, not connected yet';
  private inbound = 'off';

  constructor(
    private readonly support: TransportSupport,
    private readonly redact: (text: string) => string,
  ) {}

  /** Sets the outbound half and patches the row, with any other fields of `extra`. */
  setOutbound(text: string, extra: StatusRowPatch = {}): void {
    this.outbound = this.redact(text);
    this.patch(extra);
  }

  /** Sets the inbound half and patches the row. */
  setInbound(text: string, extra: StatusRowPatch = {}): void {
    this.inbound = this.redact(text);
    this.patch(extra);
  }

  /** The text as shown in the row. */
  render(): string {
    return `outbound: ${this.outbound}; inbound: ${this.inbound}`;
  }

  private patch(extra: StatusRowPatch): void {
    const lastError =
      extra.lastError === undefined || extra.lastError === null
        ? extra.lastError
        : { ...extra.lastError, message: this.redact(extra.lastError.message) };
    this.support.modifyStatusRow({
      ...extra,
      ...(lastError === undefined ? {} : { lastError }),
      text: this.render(),
    });
  }
}

/**
 * A function that blanks every secret (and its base64 forms, which an AUTH dialogue carries) out of a text
 * before it reaches a status row, a log line or an error message. A server could echo them in a reply.
 */
export function makeRedactor(
  secrets: readonly (string | undefined)[],
  user?: string,
): (text: string) => string {
  const needles = new Set<string>();
  for (const secret of secrets) {
    if (secret === undefined || secret.length < 3) continue; // too short to redact without mangling text
    needles.add(secret);
    needles.add(Buffer.from(secret).toString('base64'));
    if (user !== undefined) needles.add(Buffer.from(`\u0000${user}\u0000${secret}`).toString('base64'));
  }
  const list = [...needles].sort((a, b) => b.length - a.length);
  return (text) => list.reduce((result, needle) => result.split(needle).join('***'), text);
}
