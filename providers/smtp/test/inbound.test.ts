import { randomBytes } from 'node:crypto';
import type { InboundMessage, InboundSink, TransportLogon } from '@spool/spi';
import nodemailer from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer/index.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SmtpListenOptions } from '../src/index.js';
import { listeningPort, logOn, makeSupport, memorySink, type TestSupport, tempDir } from './support.js';

const context = () => ({ signal: new AbortController().signal });

/** A real SMTP client (nodemailer, no pool) sending to the provider's listener. */
function send(port: number, mail: Mail.Options, auth?: { user: string; pass: string }) {
  const client = nodemailer.createTransport({
    host: '127.0.0.1',
    port,
    secure: false,
    ignoreTLS: true,
    ...(auth === undefined ? {} : { auth }),
  });
  return client.sendMail(mail).finally(() => client.close());
}

/** Resolves with the error a send rejects with (fails the test when it resolves). */
async function sendError(
  port: number,
  mail: Mail.Options,
): Promise<{ responseCode?: number; response?: string }> {
  try {
    const info = await send(port, mail);
    throw new Error(`expected a refusal, got ${info.response}`);
  } catch (error) {
    return error as { responseCode?: number; response?: string };
  }
}

describe('inbound SMTP listener', () => {
  let support: TestSupport;
  let cleanups: (() => Promise<void>)[];

  beforeEach(async () => {
    const temp = await tempDir();
    support = makeSupport(temp.dir);
    cleanups = [temp.remove];
  });

  afterEach(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  async function listen(options: SmtpListenOptions = {}): Promise<{ logon: TransportLogon; port: number }> {
    const opened = await logOn(support, { listen: { port: 0, ...options } });
    cleanups.push(opened.shutdown);
    await opened.logon.transportNotify({ type: 'begin-inbound' });
    return { logon: opened.logon, port: listeningPort(support) };
  }

  /** Plays the host: every notifyNewMail leads to startMessage into `sink`. */
  function drive(logon: TransportLogon, sink: InboundSink): Promise<unknown>[] {
    const runs: Promise<unknown>[] = [];
    support.onNewMail = () => {
      runs.push(logon.startMessage?.(sink, context()).catch((error: unknown) => error) ?? Promise.resolve());
    };
    return runs;
  }

  it('receives from a real client into the sink and answers 250 only after save', async () => {
    const { logon, port } = await listen();
    expect(support.row().text).toMatch(/listening on 127\.0\.0\.1:\d+/);
    const sink = memorySink();
    drive(logon, sink);
    const pdf = randomBytes(40_000);
    const info = await send(port, {
      from: 'Alice <alice@example.org>',
      to: 'bob@example.com',
      cc: 'carol@example.com',
      bcc: 'dave@example.com',
      subject: 'Inbound ✓',
      text: 'hello text',
      html: '<p>hello <img src="cid:pic@x"></p>',
      messageId: '<inbound-1@example.org>',
      headers: { 'X-Ticket': 'T-42', 'In-Reply-To': '<earlier@example.org>' },
      attachments: [
        { filename: 'doc.pdf', content: pdf, contentType: 'application/pdf' },
        { filename: 'pic.png', content: Buffer.from([1, 2, 3]), contentType: 'image/png', cid: 'pic@x' },
      ],
    });
    expect(info.response).toMatch(/^250 .*stored as msg-1/);
    expect(sink.saved).toHaveLength(1);
    const saved = sink.saved[0] as InboundMessage;
    expect(saved.from).toBe('SMTP:alice@example.org');
    expect(saved.subject).toBe('Inbound ✓');
    expect(saved.text?.trim()).toBe('hello text');
    expect(saved.html).toBe('<p>hello <img src="cid:pic@x"></p>');
    expect(saved.messageId).toBe('<inbound-1@example.org>');
    expect(saved.recipients).toEqual([
      { address: 'SMTP:bob@example.com', type: 'to' },
      { address: 'SMTP:carol@example.com', type: 'cc' },
      { address: 'SMTP:dave@example.com', type: 'bcc' },
    ]);
    const doc = saved.attachments?.find((a) => a.filename === 'doc.pdf');
    expect(Buffer.compare(Buffer.from(doc?.content ?? []), pdf)).toBe(0);
    expect(saved.attachments?.find((a) => a.filename === 'pic.png')?.contentId).toBe('pic@x');
    expect(saved.properties).toMatchObject({
      headers: { 'x-ticket': 'T-42', 'in-reply-to': '<earlier@example.org>' },
      'smtp-envelope': {
        mailFrom: 'alice@example.org',
        rcptTo: ['bob@example.com', 'carol@example.com', 'dave@example.com'],
      },
    });
    expect(await logon.poll?.(context())).toBe(false);
  });

  it('reports waiting mail through poll() until startMessage takes it', async () => {
    const { logon, port } = await listen();
    let notified: () => void = () => {};
    const newMail = new Promise<void>((resolve) => {
      notified = resolve;
    });
    support.onNewMail = notified;
    const sending = send(port, { from: 'a@example.org', to: 'b@example.com', subject: 'polled', text: 'x' });
    await newMail;
    expect(await logon.poll?.(context())).toBe(true);
    const sink = memorySink();
    expect(await logon.startMessage?.(sink, context())).toEqual({ more: false });
    expect((await sending).response).toMatch(/^250/);
    expect(sink.saved[0]?.subject).toBe('polled');
  });

  it('refuses a message over the size limit with 552 and never calls the sink', async () => {
    const { logon, port } = await listen({ size: 2000 });
    const sink = memorySink();
    drive(logon, sink);
    const error = await sendError(port, {
      from: 'a@example.org',
      to: 'b@example.com',
      subject: 'too big',
      text: 'x'.repeat(10_000),
    });
    expect(error.responseCode).toBe(552);
    expect(sink.saved).toHaveLength(0);
    expect(support.newMailCalls).toBe(0);
  });

  it('answers 451 when the host does not store in time (storeTimeoutMs)', async () => {
    const { logon, port } = await listen({ storeTimeoutMs: 150 });
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    cleanups.push(async () => release());
    const slow: InboundSink = { save: () => gate.then(() => ({ id: 'late' })) };
    const runs = drive(logon, slow);
    const error = await sendError(port, {
      from: 'a@example.org',
      to: 'b@example.com',
      subject: 'slow',
      text: 'x',
    });
    expect(error.responseCode).toBe(451);
    release();
    await Promise.all(runs);
  });

  it('answers 451 when the host refuses to store (save rejects)', async () => {
    const { logon, port } = await listen();
    const failing: InboundSink = { save: () => Promise.reject(new Error('store is full')) };
    const runs = drive(logon, failing);
    const error = await sendError(port, {
      from: 'a@example.org',
      to: 'b@example.com',
      subject: 'x',
      text: 'x',
    });
    expect(error.responseCode).toBe(451);
    const [outcome] = await Promise.all(runs);
    expect(outcome).toBeInstanceOf(Error);
  });

  it('answers 550 at RCPT TO for a domain it does not accept', async () => {
    const { logon, port } = await listen({ domains: ['example.com'] });
    const sink = memorySink();
    drive(logon, sink);
    const error = await sendError(port, {
      from: 'a@example.org',
      to: 'b@elsewhere.net',
      subject: 'x',
      text: 'x',
    });
    expect(error.responseCode).toBe(550);
    const ok = await send(port, { from: 'a@example.org', to: 'b@EXAMPLE.com', subject: 'ok', text: 'x' });
    expect(ok.response).toMatch(/^250/);
  });

  it('requires AUTH when users are configured', async () => {
    const { logon, port } = await listen({ users: [{ username: 'relay', password: 'hunter2-long' }] });
    const sink = memorySink();
    drive(logon, sink);
    const mail = { from: 'a@example.org', to: 'b@example.com', subject: 'x', text: 'x' };
    await expect(send(port, mail, { user: 'relay', pass: 'wrong-one' })).rejects.toMatchObject({
      responseCode: 535,
    });
    await expect(send(port, mail)).rejects.toMatchObject({ responseCode: 530 });
    expect((await send(port, mail, { user: 'relay', pass: 'hunter2-long' })).response).toMatch(/^250/);
    expect(sink.saved).toHaveLength(1);
  });

  it('stops listening on end-inbound and tells waiting clients 421', async () => {
    const { logon, port } = await listen();
    let notified: () => void = () => {};
    const newMail = new Promise<void>((resolve) => {
      notified = resolve;
    });
    support.onNewMail = notified;
    const waiting = send(port, { from: 'a@example.org', to: 'b@example.com', subject: 'x', text: 'x' }).catch(
      (error: { responseCode?: number }) => error,
    );
    await newMail;
    await logon.transportNotify({ type: 'end-inbound' });
    expect(await waiting).toMatchObject({ responseCode: 421 });
    expect(support.row().text).toMatch(/inbound: stopped/);
    await expect(
      send(port, { from: 'a@example.org', to: 'b@example.com', subject: 'x', text: 'x' }),
    ).rejects.toThrow();
  });
});
