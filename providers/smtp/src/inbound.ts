import { createHash, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import {
  type Attachment,
  type InboundMessage,
  type InboundSink,
  type JsonValue,
  type Logger,
  type OperationContext,
  type RecipientType,
  SpoolError,
  type StartMessageResult,
} from '@spool/spi';
import type { AddressObject, ParsedMail } from 'mailparser';
import type { SMTPServer, SMTPServerDataStream, SMTPServerOptions, SMTPServerSession } from 'smtp-server';
import { SmtpErrorCode } from './errors.js';
import { loadMailparser, loadSmtpServer } from './lazy.js';
import { DEFAULTS, type SmtpListenOptions } from './options.js';
import { pemOrFile } from './shared.js';

/** How long `stop()` lets clients finish their transaction before they are told 421 and cut off. */
const CLOSE_TIMEOUT_MS = 2_000;

/** The SMTP reply a received message is waiting for. */
type Reply =
  | { readonly ok: true; readonly id: string }
  | { readonly ok: false; readonly code: number; readonly text: string };

/**
 * A received message waiting for the host. `queued`: in the queue; `saving`: `startMessage` handed it to
 * the sink; `answered`: the client got its reply (250, or 451 after a timeout, or 421 at shutdown).
 */
interface Pending {
  readonly message: InboundMessage;
  state: 'queued' | 'saving' | 'answered';
  answer(reply: Reply): void;
}

/** An error smtp-server turns into the given reply code. */
function replyError(responseCode: number, text: string): Error & { responseCode: number } {
  return Object.assign(new Error(text), { responseCode });
}

function sameSecret(a: string, b: string): boolean {
  // Hash first so the comparison takes the same time whatever the lengths.
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

function addressesOf(field: AddressObject | AddressObject[] | undefined): string[] {
  const objects = field === undefined ? [] : Array.isArray(field) ? field : [field];
  return objects
    .flatMap((object) => object.value.map((entry) => entry.address ?? ''))
    .filter((a) => a !== '');
}

// Headers kept as properties of a received message: threading and origin facts an application may want,
// plus every X- header. The bulky or structural ones (Received, Content-*, DKIM) are left out.
const KEPT_HEADERS = new Set([
  'date',
  'reply-to',
  'in-reply-to',
  'references',
  'return-path',
  'list-id',
  'sender',
]);

/** Turns a parsed message plus its SMTP envelope into the SPI's inbound message. */
export function toInboundMessage(parsed: ParsedMail, session: SMTPServerSession): InboundMessage {
  const to = addressesOf(parsed.to);
  const cc = addressesOf(parsed.cc);
  const shown = new Set([...to, ...cc].map((address) => address.toLowerCase()));
  const envelopeTo = session.envelope.rcptTo.map((rcpt) => rcpt.address);
  // Envelope recipients missing from To/Cc were blind copies: recorded as bcc so nothing is lost.
  const recipients: { address: string; type: RecipientType }[] = [
    ...to.map((address) => ({ address: `SMTP:${address}`, type: 'to' as const })),
    ...cc.map((address) => ({ address: `SMTP:${address}`, type: 'cc' as const })),
    ...envelopeTo
      .filter((address) => !shown.has(address.toLowerCase()))
      .map((address) => ({ address: `SMTP:${address}`, type: 'bcc' as const })),
  ];
  const headers: Record<string, JsonValue> = {};
  for (const line of parsed.headerLines) {
    if (!KEPT_HEADERS.has(line.key) && !line.key.startsWith('x-')) continue;
    const value = line.line
      .slice(line.line.indexOf(':') + 1)
      .replace(/\r?\n[ \t]+/g, ' ')
      .trim();
    const previous = headers[line.key];
    headers[line.key] =
      previous === undefined
        ? value
        : Array.isArray(previous)
          ? [...previous, value]
          : [previous as string, value];
  }
  const mailFrom = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
  const sender = parsed.from?.value[0]?.address ?? (mailFrom === '' ? undefined : mailFrom);
  const attachments: Attachment[] = parsed.attachments.map((attachment, index) => ({
    filename: attachment.filename ?? `attachment-${index + 1}`,
    contentType: attachment.contentType,
    content: attachment.content,
    ...(attachment.cid === undefined ? {} : { contentId: attachment.cid }),
  }));
  return {
    ...(sender === undefined ? {} : { from: `SMTP:${sender}` }),
    recipients,
    subject: parsed.subject ?? '',
    ...(parsed.text === undefined ? {} : { text: parsed.text }),
    ...(parsed.html === false ? {} : { html: parsed.html }),
    attachments,
    ...(parsed.messageId === undefined ? {} : { messageId: parsed.messageId }),
    properties: {
      headers,
      'smtp-envelope': {
        mailFrom,
        rcptTo: envelopeTo,
        remoteAddress: session.remoteAddress,
        clientHostname: session.clientHostname,
      },
    },
    receivedAt: new Date(),
  };
}

/**
 * The inbound half of a logon: an SMTP listener whose 250 means "stored by the host".
 *
 * On the end of DATA the message is parsed and queued with the client's reply pending, and the host is told
 * through `notifyNewMail()`. The host then calls `startMessage(sink)`, which saves the next queued message and
 * only then answers 250. If the host takes longer than `storeTimeoutMs`, or the save fails, the client gets
 * 451 and keeps the message, so nothing is accepted that was not stored.
 */
export class InboundListener {
  private server: SMTPServer | undefined;
  private readonly queue: Pending[] = [];
  private readonly storeTimeoutMs: number;

  constructor(
    private readonly options: SmtpListenOptions,
    private readonly profileDir: string,
    private readonly notifyNewMail: () => void,
    private readonly logger: Logger,
  ) {
    this.storeTimeoutMs = options.storeTimeoutMs ?? DEFAULTS.storeTimeoutMs;
  }

  /** `host:port` once listening. */
  address: string | undefined;

  /** Starts listening; resolves with the bound `host:port`. */
  async start(): Promise<string> {
    if (this.server !== undefined && this.address !== undefined) return this.address;
    const { SMTPServer } = await loadSmtpServer();
    const options = this.options;
    const users = options.users ?? [];
    const domains = options.domains?.map((domain) => domain.toLowerCase());
    const size = options.size ?? DEFAULTS.size;
    const tls =
      options.tls === undefined
        ? undefined
        : {
            key: await pemOrFile(options.tls.key, this.profileDir, 'listen.tls.key'),
            cert: await pemOrFile(options.tls.cert, this.profileDir, 'listen.tls.cert'),
          };
    const serverOptions: SMTPServerOptions = {
      size,
      logger: false,
      closeTimeout: CLOSE_TIMEOUT_MS,
      authOptional: users.length === 0,
      // Without a key pair there is nothing to offer STARTTLS with; AUTH is then allowed in the clear, which is
      // why the listener binds to loopback unless told otherwise.
      allowInsecureAuth: tls === undefined,
      disabledCommands: [...(users.length === 0 ? ['AUTH'] : []), ...(tls === undefined ? ['STARTTLS'] : [])],
      ...(tls ?? {}),
      onAuth: (auth, _session, callback) => {
        const user = users.find((candidate) => candidate.username === auth.username);
        const ok = user !== undefined && sameSecret(user.password, auth.password ?? '');
        if (ok) callback(null, { user: auth.username });
        else callback(replyError(535, '5.7.8 Authentication credentials invalid'));
      },
      onRcptTo: (address, _session, callback) => {
        const domain = address.address.slice(address.address.lastIndexOf('@') + 1).toLowerCase();
        if (domains !== undefined && !domains.includes(domain)) {
          callback(replyError(550, `5.7.1 Relaying to ${domain} is not accepted here`));
        } else callback();
      },
      onData: (stream, session, callback) => this.receive(stream, session, size, callback),
    };
    const server = new SMTPServer(serverOptions);
    // smtp-server emits 'error' for client socket errors; without a listener one bad client would crash us.
    server.on('error', (error) => this.logger.warn({ err: error.message }, 'smtp listener: client error'));
    const host = options.host ?? DEFAULTS.listenHost;
    const port = options.port ?? DEFAULTS.listenPort;
    await new Promise<void>((resolve, reject) => {
      const fail = (error: Error) => reject(error);
      server.server.once('error', fail);
      server.listen(port, host, () => {
        server.server.off('error', fail);
        resolve();
      });
    }).catch((error: unknown) => {
      throw new SpoolError(SmtpErrorCode.LISTEN, `cannot listen on ${host}:${port}`, {
        cause: error,
        hint: 'Choose another listen.port (0 picks a free one) or stop what holds the address.',
        details: { host, port },
      });
    });
    this.server = server;
    const bound = server.server.address() as AddressInfo;
    this.address = `${bound.address}:${bound.port}`;
    return this.address;
  }

  private receive(
    stream: SMTPServerDataStream,
    session: SMTPServerSession,
    size: number,
    callback: (error?: Error | null, message?: string) => void,
  ): void {
    const chunks: Buffer[] = [];
    let length = 0;
    stream.on('data', (chunk: Buffer) => {
      // Keep reading past the limit (the client must get to the end of DATA to hear 552) but stop buffering.
      length += chunk.length;
      if (length <= size) chunks.push(chunk);
    });
    stream.once('error', (error) => callback(error));
    stream.once('end', () => {
      if (stream.sizeExceeded) {
        callback(replyError(552, `5.3.4 Message exceeds fixed maximum message size ${size}`));
        return;
      }
      this.accept(Buffer.concat(chunks), session).then(
        (reply) =>
          reply.ok
            ? callback(null, `OK: stored as ${reply.id}`)
            : callback(replyError(reply.code, reply.text)),
        (error: unknown) => {
          this.logger.warn({ err: String(error) }, 'smtp listener: cannot parse message');
          callback(replyError(554, '5.6.0 Message could not be parsed'));
        },
      );
    });
  }

  /** Parses and queues one message; resolves with the reply the client gets. */
  private async accept(raw: Buffer, session: SMTPServerSession): Promise<Reply> {
    const { simpleParser } = await loadMailparser();
    // skipImageLinks keeps `cid:` references in the HTML (mailparser would inline them as data: URLs), so
    // the HTML still points at the attachments by their content id.
    const parsed = await simpleParser(raw, { skipImageLinks: true });
    const message = toInboundMessage(parsed, session);
    return new Promise<Reply>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const pending: Pending = {
        message,
        state: 'queued',
        answer: (reply) => {
          if (pending.state === 'answered') return;
          pending.state = 'answered';
          clearTimeout(timer);
          const index = this.queue.indexOf(pending);
          if (index !== -1) this.queue.splice(index, 1);
          resolve(reply);
        },
      };
      timer = setTimeout(() => {
        if (pending.state === 'saving') {
          this.logger.warn(
            {},
            'smtp listener: store timed out while saving; the client will retry (may duplicate)',
          );
        }
        pending.answer({ ok: false, code: 451, text: '4.3.0 Message not stored in time, try again later' });
      }, this.storeTimeoutMs);
      this.queue.push(pending);
      this.notifyNewMail();
    });
  }

  /** True when received messages wait for `startMessage`. */
  hasWaiting(): boolean {
    return this.queue.some((pending) => pending.state === 'queued');
  }

  /** Saves the next waiting message into `sink`, then answers its client 250. */
  async startMessage(sink: InboundSink, context: OperationContext): Promise<StartMessageResult> {
    if (context.signal.aborted) return { more: this.hasWaiting() };
    const pending = this.queue.find((candidate) => candidate.state === 'queued');
    if (pending === undefined) return { more: false };
    pending.state = 'saving';
    try {
      const { id } = await sink.save(pending.message);
      // The timer may have answered 451 while the host was saving (state changed behind TS's narrowing).
      if ((pending.state as Pending['state']) === 'answered') {
        this.logger.warn({ id }, 'smtp listener: stored after the client was told 451; it may arrive twice');
      }
      pending.answer({ ok: true, id });
    } catch (error) {
      // Not stored: the client keeps the message and sends it again later.
      pending.answer({ ok: false, code: 451, text: '4.3.0 Message could not be stored, try again later' });
      throw error;
    }
    return { more: this.hasWaiting() };
  }

  /** Stops listening; waiting clients are told 421 so they keep their messages. */
  async stop(): Promise<void> {
    for (const pending of [...this.queue]) {
      if (pending.state === 'queued')
        pending.answer({ ok: false, code: 421, text: '4.3.2 Service shutting down, try again later' });
    }
    const server = this.server;
    this.server = undefined;
    this.address = undefined;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
