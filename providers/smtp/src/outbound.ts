import {
  type OutboundMessage,
  type OutboundRecipient,
  type RecipientOutcome,
  SpiErrorCode,
  SpoolError,
  type SubmitContext,
  type SubmitMessageResult,
} from '@spool/spi';
import type { Transporter } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import { SmtpErrorCode } from './errors.js';
import { smtpAddress } from './headers.js';
import { loadNodemailer } from './lazy.js';
import { DEFAULTS, type SmtpOptions } from './options.js';
import { addressKey, classifySend, type SendReport, type SmtpErrorLike } from './outcomes.js';
import type { MimeInfo } from './preprocessor.js';
import { pemOrFile, throwIfCancelled } from './shared.js';
import { noDelaySocket } from './socket.js';
import type { StatusText } from './status.js';

/** Who the logon sends as, for the status row: `smtp://user@host:port`, never with a password. */
export function outboundIdentity(options: SmtpOptions): string {
  const scheme = options.secure ? 'smtps' : 'smtp';
  const user = options.auth?.user === undefined ? '' : `${encodeURIComponent(options.auth.user)}@`;
  return `${scheme}://${user}${options.host ?? DEFAULTS.host}:${outboundPort(options)}`;
}

function outboundPort(options: SmtpOptions): number {
  return options.port ?? (options.secure ? 465 : 587);
}

// Deliberately loose: the server is the judge of addresses; this only keeps out values that would make
// nodemailer reject the whole envelope (and so every other recipient of the hand-off) before connecting.
const PLAUSIBLE_ADDRESS = /^[^\s<>@]+@[^\s<>@]+$/;

/** The outbound half of a logon: one nodemailer pool, created on the first hand-off. */
export class Outbound {
  private transport: Promise<Transporter<SMTPPool.SentMessageInfo>> | undefined;
  private closed = false;

  constructor(
    private readonly options: SmtpOptions,
    private readonly profileDir: string,
    private readonly addressTypes: () => readonly string[],
    private readonly status: StatusText,
    private readonly redact: (text: string) => string,
  ) {}

  /** Reads the PEM files named in the options now, so a bad path fails the logon instead of every send. */
  async prepare(): Promise<void> {
    this.ca = await this.loadCa();
    this.dkimKey =
      this.options.dkim === undefined
        ? undefined
        : await pemOrFile(this.options.dkim.privateKey, this.profileDir, 'dkim.privateKey');
  }

  private ca: string[] | undefined;
  private dkimKey: string | undefined;

  private async loadCa(): Promise<string[] | undefined> {
    const ca = this.options.tls?.ca;
    if (ca === undefined) return undefined;
    const list = Array.isArray(ca) ? ca : [ca];
    return Promise.all(list.map((value) => pemOrFile(value, this.profileDir, 'tls.ca')));
  }

  private createTransport(): Promise<Transporter<SMTPPool.SentMessageInfo>> {
    this.transport ??= loadNodemailer().then((nodemailer) => {
      const o = this.options;
      const tls = o.tls;
      const host = o.host ?? DEFAULTS.host;
      const port = outboundPort(o);
      const connectionTimeout = o.connectionTimeout ?? DEFAULTS.connectionTimeout;
      // maxRequeues is a real pool option that @types/nodemailer does not declare.
      const poolOptions: SMTPPool.Options & { maxRequeues: number } = {
        pool: true,
        // One pool per logon, connections reused forever: the host already bounds concurrency by maxInFlight.
        maxMessages: Number.POSITIVE_INFINITY,
        maxConnections: o.maxConnections ?? DEFAULTS.maxConnections,
        // One silent resend if a pooled connection closes mid-hand-off (a stale keep-alive); after that the
        // error reaches us and the host's retry schedule takes over.
        maxRequeues: 1,
        host,
        port,
        // Our own sockets, with TCP_NODELAY: without it every message waits ~40 ms for the server's delayed
        // ACK (Nagle holds back the end-of-data dot). See socket.ts.
        getSocket: noDelaySocket({ host, port, timeoutMs: connectionTimeout }),
        secure: o.secure ?? false,
        requireTLS: o.requireTLS ?? false,
        ignoreTLS: o.ignoreTLS ?? false,
        ...(o.auth === undefined ? {} : { auth: { user: o.auth.user, pass: o.auth.pass } }),
        tls: {
          ...(tls?.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: tls.rejectUnauthorized }),
          ...(this.ca === undefined ? {} : { ca: this.ca }),
          ...(tls?.servername === undefined ? {} : { servername: tls.servername }),
          ...(tls?.minVersion === undefined ? {} : { minVersion: tls.minVersion }),
        },
        rateDelta: o.rateDelta ?? DEFAULTS.rateDelta,
        ...(o.rateLimit ? { rateLimit: o.rateLimit } : {}),
        ...(o.dkim === undefined || this.dkimKey === undefined
          ? {}
          : {
              dkim: {
                domainName: o.dkim.domainName,
                keySelector: o.dkim.keySelector,
                privateKey: this.dkimKey,
                ...(o.dkim.headerFieldNames === undefined
                  ? {}
                  : { headerFieldNames: o.dkim.headerFieldNames }),
                ...(o.dkim.skipFields === undefined ? {} : { skipFields: o.dkim.skipFields }),
              },
            }),
        ...(o.name === undefined ? {} : { name: o.name }),
        connectionTimeout,
        greetingTimeout: o.greetingTimeout ?? DEFAULTS.greetingTimeout,
        socketTimeout: o.socketTimeout ?? DEFAULTS.socketTimeout,
        // nodemailer's own logger would print the SMTP dialogue; outcomes reach the host through results and
        // the status row instead, so no credential can leak through a debug log.
        logger: false,
        debug: false,
      };
      const transport = nodemailer.createTransport(poolOptions);
      // The pool reports per-message errors through callbacks; this only keeps a stray 'error' from crashing.
      transport.on('error', () => {});
      return transport;
    });
    return this.transport;
  }

  /** Hands one preprocessed message to the pool and maps the SMTP dialogue to outcomes. */
  async submit(
    message: OutboundMessage,
    recipients: readonly OutboundRecipient[],
    context: SubmitContext,
  ): Promise<SubmitMessageResult> {
    throwIfCancelled(context.signal);
    const info = context.preprocessInfo as MimeInfo | undefined;
    if (info === undefined || (typeof info.path !== 'string' && !Buffer.isBuffer(info.raw))) {
      throw new SpoolError(
        SmtpErrorCode.NOT_PREPROCESSED,
        `message ${message.id} reached submitMessage unbuilt`,
        {
          hint: 'The host must run the preprocessor registered by this logon before every hand-off.',
        },
      );
    }
    const from = smtpAddress(message.from, this.addressTypes()) ?? this.options.from;
    if (from === undefined) {
      // The account's configuration is missing something, not the message: defer and flag the row.
      const reason = 'no envelope sender: the message has no SMTP from and the logon has no `from` option';
      this.status.setOutbound(reason, {
        failure: true,
        lastError: { code: SmtpErrorCode.NO_SENDER, message: reason },
      });
      return { defer: { reason } };
    }

    const outcomes: Record<string, RecipientOutcome> = {};
    const sendable: OutboundRecipient[] = [];
    for (const recipient of recipients) {
      if (PLAUSIBLE_ADDRESS.test(recipient.value)) sendable.push(recipient);
      else outcomes[recipient.id] = { status: 'failed', reason: `not an SMTP address: ${recipient.value}` };
    }
    if (sendable.length === 0) return { recipients: outcomes };

    const to = [...new Set(sendable.map((recipient) => recipient.value))];
    const report = await this.send(from, to, info.raw ?? { path: info.path as string }, context.signal);
    const classification = classifySend(report);

    if (classification.kind === 'defer') {
      const reason = this.redact(classification.reason);
      this.status.setOutbound(`deferred: ${reason}`, {
        ...(classification.attention ? { failure: true } : {}),
        lastError: { code: classification.code, message: reason },
      });
      return { defer: { reason } };
    }
    for (const recipient of sendable) {
      const outcome = classification.byAddress.get(addressKey(recipient.value)) ?? classification.fallback;
      outcomes[recipient.id] = redactOutcome(outcome, this.redact);
    }
    const lastReply = report.ok ? report.response : (report.error.response ?? report.error.message ?? '');
    // A hand-off that reached the server proves the account works again: clear an earlier failure.
    this.status.setOutbound(`connected to ${this.hostPort()}, last reply: ${lastReply}`, {
      failure: false,
      available: true,
      ...(report.ok ? { lastError: null } : {}),
    });
    return { recipients: outcomes };
  }

  private hostPort(): string {
    return `${this.options.host ?? DEFAULTS.host}:${outboundPort(this.options)}`;
  }

  /** One send through the pool, as a report; aborting stops waiting (see README, "Limits"). */
  private async send(
    from: string,
    to: string[],
    raw: Buffer | { path: string },
    signal: AbortSignal,
  ): Promise<SendReport> {
    if (this.closed) {
      throw new SpoolError(SpiErrorCode.CANCELLED, 'the SMTP logon is logging off', {
        hint: 'The host retries the hand-off after the next logon.',
      });
    }
    const transport = await this.createTransport();
    throwIfCancelled(signal);
    this.status.setOutbound(`sending via ${this.hostPort()}`);
    const sending = new Promise<SendReport>((resolveReport) => {
      transport.sendMail({ envelope: { from, to }, raw }, (error, info) => {
        if (error !== null) resolveReport({ ok: false, error: error as SmtpErrorLike });
        else resolveReport({ ok: true, response: info.response, rejectedErrors: info.rejectedErrors ?? [] });
      });
    });
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_resolve, reject) => {
      onAbort = () =>
        reject(
          new SpoolError(SpiErrorCode.CANCELLED, 'SMTP hand-off cancelled', {
            hint: 'The SMTP transaction already under way may still complete on the server.',
            cause: signal.reason,
          }),
        );
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([sending, aborted]);
    } finally {
      if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
    }
  }

  /** Closes the pool: idle connections at once, busy ones after their message. */
  async close(): Promise<void> {
    this.closed = true;
    const transport = this.transport;
    this.transport = undefined;
    if (transport !== undefined) (await transport).close();
  }
}

function redactOutcome(outcome: RecipientOutcome, redact: (text: string) => string): RecipientOutcome {
  switch (outcome.status) {
    case 'delivered':
      return outcome.detail === undefined ? outcome : { ...outcome, detail: redact(outcome.detail) };
    case 'failed':
      return { ...outcome, reason: redact(outcome.reason) };
    case 'retry':
    case 'not-mine':
      return outcome.reason === undefined ? outcome : { ...outcome, reason: redact(outcome.reason) };
  }
}
