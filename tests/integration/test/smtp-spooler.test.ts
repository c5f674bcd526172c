import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import { describe, expect, it } from 'vitest';
import { fakeClock, profileDir, spoolerIn } from './helpers.js';
import { listenerPort, reply, SMTP_BUILTINS, smtpRow, startSmtpServer } from './smtp-helpers.js';

// The smtp provider end to end: the real spooler and SQLite store in a profile directory, the built provider
// loaded as a built-in, and a real smtp-server on 127.0.0.1 (outbound) or a real nodemailer client (inbound).

const retry = { schedule: [1000, 2000, 4000], jitter: 0.2, maxAge: 60_000 };
const smtpProfile = (options: Record<string, unknown>) => ({
  providers: [
    {
      provider: 'smtp',
      options: {
        host: '127.0.0.1',
        ignoreTLS: true,
        connectionTimeout: 5000,
        greetingTimeout: 5000,
        ...options,
      },
    },
  ],
  retry,
});
const builtins = { builtins: SMTP_BUILTINS };

/** The smtp logon's preprocess work directory: empty once every removePreprocessInfo ran. */
function preprocessRuns(dir: string): string[] {
  const workDir = join(dir, '.spool', 'data', 'smtp', 'default');
  return existsSync(workDir) ? readdirSync(workDir) : [];
}

describe('smtp provider through the spooler: outbound', () => {
  it('delivers HTML and an attachment byte for byte to every recipient in one transaction; the message lands in Sent', async () => {
    const server = await startSmtpServer();
    const dir = profileDir();
    const spooler = await spoolerIn(dir, smtpProfile({ port: server.port }), builtins);
    const attachment = randomBytes(50_000);
    const { id, messageId } = await spooler.submit({
      from: 'SMTP:sender@example.com',
      to: ['SMTP:alice@example.com', 'bob@example.com'],
      subject: 'Report ✓',
      text: 'see the attachment',
      html: '<p>see the <b>attachment</b></p>',
      attachments: [{ filename: 'data.bin', contentType: 'application/octet-stream', content: attachment }],
    });

    const pass = await spooler.runOnce();

    expect(pass).toMatchObject({ delivered: 2, failed: 0, deferred: 0 });
    expect(server.transactions).toHaveLength(1);
    const [mail] = server.transactions;
    expect(mail?.from).toBe('sender@example.com');
    expect(mail?.to).toEqual(['alice@example.com', 'bob@example.com']);
    const parsed = await simpleParser(mail?.raw ?? Buffer.alloc(0));
    expect(parsed.messageId).toBe(messageId);
    expect(parsed.subject).toBe('Report ✓');
    expect(parsed.html).toBe('<p>see the <b>attachment</b></p>');
    expect(parsed.text?.trim()).toBe('see the attachment');
    const [got] = parsed.attachments;
    expect(got?.filename).toBe('data.bin');
    expect(Buffer.compare(got?.content ?? Buffer.alloc(0), attachment)).toBe(0);
    const sent = await spooler.get(id);
    expect(sent).toMatchObject({ folder: 'Sent', state: 'finished' });
    expect(sent.recipients.map((r) => r.outcome)).toEqual(['delivered', 'delivered']);
    expect(await spooler.list('Inbox')).toEqual([]);
    expect(preprocessRuns(dir)).toEqual([]);
    expect(smtpRow(spooler)).toMatchObject({ failure: false, counters: { sent: 2 } });
    expect(smtpRow(spooler).text).toMatch(/connected to 127\.0\.0\.1:\d+, last reply: 250/);
  });

  it('a 550 on one of three recipients fails only that one: one NDR naming it with the server’s reply', async () => {
    const server = await startSmtpServer({
      onRcptTo(address, _session, callback) {
        if (address.address === 'bob@example.com') callback(reply(550, '5.1.1 No such user bob'));
        else callback();
      },
    });
    const spooler = await spoolerIn(profileDir(), smtpProfile({ port: server.port }), builtins);
    const { id } = await spooler.submit({
      from: 'SMTP:sender@example.com',
      to: ['SMTP:alice@example.com', 'SMTP:bob@example.com', 'SMTP:carol@example.com'],
      subject: 'three',
      text: 'hi',
    });

    expect(await spooler.runOnce()).toMatchObject({ delivered: 2, failed: 1, deferred: 0 });

    expect(server.transactions.map((t) => t.to)).toEqual([['alice@example.com', 'carol@example.com']]);
    const message = await spooler.get(id);
    expect(message.folder).toBe('Sent');
    expect(message.recipients.map((r) => [r.value, r.outcome])).toEqual([
      ['alice@example.com', 'delivered'],
      ['bob@example.com', 'failed'],
      ['carol@example.com', 'delivered'],
    ]);
    const inbox = await spooler.list('Inbox');
    expect(inbox.map((m) => m.messageClass)).toEqual(['REPORT.IPM.Note.NDR']);
    const ndr = inbox[0]!;
    expect(ndr.subject).toBe('Undeliverable: three');
    expect(ndr.text).toContain('SMTP:bob@example.com');
    expect(ndr.text).toMatch(/550.*No such user bob/);
    expect(ndr.text).not.toContain('alice@example.com');
    expect(ndr.text).not.toContain('carol@example.com');
  });

  it('a 450 on one recipient defers only that one; a later pass delivers it and the message goes to Sent', async () => {
    let refusals = 0;
    const server = await startSmtpServer({
      onRcptTo(address, _session, callback) {
        if (address.address === 'carol@example.com' && refusals === 0) {
          refusals++;
          callback(reply(450, '4.2.1 Mailbox busy, try later'));
        } else callback();
      },
    });
    const clock = fakeClock();
    const spooler = await spoolerIn(profileDir(), smtpProfile({ port: server.port }), { ...builtins, clock });
    const { id } = await spooler.submit({
      from: 'SMTP:sender@example.com',
      to: ['SMTP:alice@example.com', 'SMTP:carol@example.com'],
      subject: 'later',
      text: 'hi',
    });

    expect(await spooler.runOnce()).toMatchObject({ delivered: 1, deferred: 1, failed: 0 });
    let message = await spooler.get(id);
    expect(message).toMatchObject({ folder: 'Outbox', state: 'queued' });
    const carol = message.recipients.find((r) => r.value === 'carol@example.com')!;
    expect(carol).toMatchObject({ outcome: 'pending', attempts: 1 });
    expect(carol.lastError).toMatch(/450.*Mailbox busy/);
    expect(await spooler.runOnce()).toMatchObject({ delivered: 0, deferred: 0 }); // not due yet

    clock.advance(carol.nextAttemptAt - clock.now());
    expect(await spooler.runOnce()).toMatchObject({ delivered: 1, deferred: 0, failed: 0 });

    expect(server.transactions.map((t) => t.to)).toEqual([['alice@example.com'], ['carol@example.com']]);
    message = await spooler.get(id);
    expect(message).toMatchObject({ folder: 'Sent', state: 'finished' });
    expect(message.recipients.map((r) => r.outcome)).toEqual(['delivered', 'delivered']);
    expect(await spooler.list('Inbox')).toEqual([]);
  });

  it('an authentication failure defers without an NDR and sets the row to failure with the reason, password blanked', async () => {
    const password = 'hunter2-secret';
    const server = await startSmtpServer({
      authOptional: false,
      allowInsecureAuth: true,
      onAuth(_auth, _session, callback) {
        callback(reply(535, '5.7.8 Authentication credentials invalid'));
      },
    });
    const dir = profileDir();
    const spooler = await spoolerIn(
      dir,
      smtpProfile({ port: server.port, auth: { user: 'mailer', pass: password } }),
      builtins,
    );
    const { id } = await spooler.submit({
      from: 'SMTP:sender@example.com',
      to: 'SMTP:alice@example.com',
      subject: 'auth',
      text: 'hi',
    });

    expect(await spooler.runOnce()).toMatchObject({ delivered: 0, failed: 0, deferred: 1 });

    expect(server.transactions).toEqual([]);
    expect(await spooler.list('Inbox')).toEqual([]);
    const message = await spooler.get(id);
    expect(message).toMatchObject({ folder: 'Outbox', state: 'queued' });
    expect(message.recipients[0]).toMatchObject({ outcome: 'pending', attempts: 1 });
    const row = smtpRow(spooler);
    expect(row.failure).toBe(true);
    expect(row.lastError).toMatchObject({ code: 'SPOOL_E_SMTP_AUTH' });
    expect(row.lastError?.message).toMatch(/535/);
    expect(row.text).toMatch(/deferred: .*535/);
    expect(JSON.stringify(spooler.status())).not.toContain(password);
    expect(message.recipients[0]?.lastError ?? '').not.toContain(password);
    expect(preprocessRuns(dir)).toEqual([]);
  });
});

describe('smtp provider through the spooler: inbound listener', () => {
  it('a message from a real SMTP client is in the Inbox when the client gets 250; one over the size limit gets 552', async () => {
    const spooler = await spoolerIn(
      profileDir(),
      { providers: [{ provider: 'smtp', options: { listen: { port: 0, size: 20_000 } } }] },
      { ...builtins, autoStart: true },
    );
    const port = listenerPort(spooler);
    const client = nodemailer.createTransport({ host: '127.0.0.1', port, ignoreTLS: true });
    try {
      const pdf = randomBytes(4000);
      const info = await client.sendMail({
        from: 'Alice <alice@example.org>',
        to: 'bob@example.com',
        subject: 'Inbound through the spooler',
        text: 'hello',
        messageId: '<inbound-it-1@example.org>',
        attachments: [{ filename: 'doc.pdf', content: pdf, contentType: 'application/pdf' }],
      });
      expect(info.response).toMatch(/^250 .*stored as /);
      const storedId = /stored as (\S+)/.exec(info.response)?.[1];

      // 250 came after the store committed, so the message is there now, without waiting.
      const inbox = await spooler.list('Inbox');
      expect(inbox).toHaveLength(1);
      const [received] = inbox;
      expect(received).toMatchObject({
        id: storedId,
        messageClass: 'IPM.Note',
        from: 'SMTP:alice@example.org',
        subject: 'Inbound through the spooler',
        messageId: '<inbound-it-1@example.org>',
      });
      expect(received?.recipients.map((r) => r.address)).toEqual(['SMTP:bob@example.com']);
      const doc = received?.attachments.find((a) => a.filename === 'doc.pdf');
      expect(Buffer.compare(Buffer.from(doc?.content ?? []), pdf)).toBe(0);

      const refusal = await client
        .sendMail({
          from: 'alice@example.org',
          to: 'bob@example.com',
          subject: 'too big',
          attachments: [{ filename: 'big.bin', content: randomBytes(40_000) }],
        })
        .then(
          (sent) => ({ responseCode: 0, response: sent.response }),
          (error: { responseCode?: number; response?: string }) => error,
        );
      expect(refusal.responseCode).toBe(552);
      expect(await spooler.list('Inbox')).toHaveLength(1);
      expect(smtpRow(spooler).counters.received).toBe(1);
    } finally {
      client.close();
    }
  });
});
