import { randomBytes } from 'node:crypto';
import { access } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import type { RecipientOutcome, SubmitMessageResult, TransportLogon } from '@spool/spi';
import { simpleParser } from 'mailparser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SmtpOptions } from '../src/index.js';
import { IN_MEMORY_LIMIT } from '../src/preprocessor.js';
import {
  closedPort,
  fixture,
  handOff,
  logOn,
  makeMessage,
  makeSupport,
  readFixture,
  recipient,
  smtpError,
  startTestServer,
  type TestServer,
  type TestSupport,
  tempDir,
} from './support.js';

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

function outcomes(result: SubmitMessageResult | undefined): Record<string, RecipientOutcome> {
  if (result === undefined || !('recipients' in result))
    throw new Error(`expected outcomes, got ${JSON.stringify(result)}`);
  return { ...result.recipients };
}

function deferral(result: SubmitMessageResult | undefined): { reason: string } {
  if (result === undefined || !('defer' in result))
    throw new Error(`expected a deferral, got ${JSON.stringify(result)}`);
  return result.defer;
}

describe('outbound through a real SMTP server', () => {
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

  async function server(options: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
    const started = await startTestServer(options);
    cleanups.push(started.close);
    return started;
  }

  async function logon(options: SmtpOptions): Promise<TransportLogon> {
    const opened = await logOn(support, { connectionTimeout: 2000, greetingTimeout: 2000, ...options });
    cleanups.push(opened.shutdown);
    return opened.logon;
  }

  it('delivers text, HTML and attachments byte for byte, Bcc only in the envelope', async () => {
    const smtp = await server();
    const out = await logon({ host: '127.0.0.1', port: smtp.port, ignoreTLS: true });
    expect(out.addressTypes()).toEqual(['SMTP']);
    expect(out.maxInFlight).toBe(5);
    const binary = randomBytes(70_000);
    const to = recipient('SMTP:alice@example.com', 'to');
    const cc = recipient('SMTP:bob@example.com', 'cc');
    const bcc = recipient('SMTP:carol@example.com', 'bcc');
    const fax = recipient('FAX:+15550100', 'to');
    const message = makeMessage({
      recipients: [to, cc, bcc, fax],
      subject: 'Quarterly report ✓',
      text: 'See attached.\r\nLine two',
      html: '<p>See <b>attached</b> <img src="cid:logo@spool"></p>',
      attachments: [
        { filename: 'data.bin', contentType: 'application/octet-stream', content: binary },
        { filename: 'notes.txt', contentType: 'text/plain', content: Buffer.from('ünïcödé notes\n') },
        {
          filename: 'logo.png',
          contentType: 'image/png',
          content: randomBytes(300),
          contentId: 'logo@spool',
        },
      ],
      properties: {
        'x-campaign': 'spring',
        headers: { 'Reply-To': 'replies@example.com', Bcc: 'leak@example.com' },
      },
    });

    const { result, runId, workDir } = await handOff(support, out, message, [to, cc, bcc]);

    const got = outcomes(result);
    expect(Object.values(got).map((o) => o.status)).toEqual(['delivered', 'delivered', 'delivered']);
    expect(smtp.received).toHaveLength(1);
    const [mail] = smtp.received;
    expect(mail?.from).toBe('sender@example.com');
    expect(mail?.to).toEqual(['alice@example.com', 'bob@example.com', 'carol@example.com']);
    const raw = mail?.raw ?? Buffer.alloc(0);
    expect(raw.toString('latin1')).not.toMatch(/^bcc:/im);
    expect(raw.toString('latin1')).not.toContain('leak@example.com');
    const parsed = await simpleParser(raw, { skipImageLinks: true });
    expect(parsed.messageId).toBe(message.messageId);
    expect(parsed.subject).toBe('Quarterly report ✓');
    expect(parsed.text?.trim()).toBe('See attached.\nLine two');
    expect(parsed.html).toBe(message.html);
    expect(parsed.headers.get('x-campaign')).toBe('spring');
    expect(parsed.replyTo?.text).toBe('replies@example.com');
    expect(parsed.to && !Array.isArray(parsed.to) ? parsed.to.text : '').toBe('alice@example.com');
    expect(parsed.cc && !Array.isArray(parsed.cc) ? parsed.cc.text : '').toBe('bob@example.com');
    // The inline image sits in multipart/related ahead of the mixed part, so match attachments by name.
    expect(parsed.attachments.map((a) => a.filename).sort()).toEqual(['data.bin', 'logo.png', 'notes.txt']);
    for (const attachment of message.attachments) {
      const arrived = parsed.attachments.find((a) => a.filename === attachment.filename);
      expect(arrived?.contentType).toBe(attachment.contentType);
      expect(Buffer.compare(arrived?.content ?? Buffer.alloc(0), attachment.content)).toBe(0);
    }
    expect(parsed.attachments.find((a) => a.filename === 'logo.png')?.cid).toBe('logo@spool');
    // The built message is gone after removePreprocessInfo.
    expect(await exists(join(workDir, runId))).toBe(false);
    const row = support.row();
    expect(row.identity).toBe(`smtp://127.0.0.1:${smtp.port}`);
    expect(row.text).toMatch(/last reply: 250/);
  });

  it('delivers a message above IN_MEMORY_LIMIT from its file byte for byte, and removes the file', async () => {
    const smtp = await server();
    const out = await logon({ host: '127.0.0.1', port: smtp.port, ignoreTLS: true });
    const to = recipient('SMTP:alice@example.com');
    const content = randomBytes(IN_MEMORY_LIMIT + 1000);
    const message = makeMessage({
      recipients: [to],
      attachments: [{ filename: 'big.bin', contentType: 'application/octet-stream', content }],
    });
    const { result, runId, workDir } = await handOff(support, out, message, [to]);
    expect(outcomes(result)[to.id]?.status).toBe('delivered');
    const parsed = await simpleParser(smtp.received[0]?.raw ?? Buffer.alloc(0));
    expect(Buffer.compare(parsed.attachments[0]?.content ?? Buffer.alloc(0), content)).toBe(0);
    expect(await exists(join(workDir, runId))).toBe(false);
  });

  it('uses the from option when the message has no SMTP sender, and authenticates without leaking the password', async () => {
    const smtp = await server({
      authOptional: false,
      allowInsecureAuth: true,
      onAuth(auth, _session, callback) {
        if (auth.username === 'mailer' && auth.password === 'pa55-secret-word')
          callback(null, { user: 'mailer' });
        else callback(smtpError(535, '5.7.8 Authentication failed'));
      },
    });
    const out = await logon({
      host: '127.0.0.1',
      port: smtp.port,
      ignoreTLS: true,
      from: 'robot@example.com',
      auth: { user: 'mailer', pass: 'pa55-secret-word' },
    });
    const to = recipient('SMTP:alice@example.com');
    const { result } = await handOff(support, out, makeMessage({ recipients: [to], from: 'FAX:+15550100' }), [
      to,
    ]);
    expect(outcomes(result)[to.id]?.status).toBe('delivered');
    expect(smtp.received[0]?.from).toBe('robot@example.com');
    expect(smtp.received[0]?.user).toBe('mailer');
    expect(support.row().identity).toBe(`smtp://mailer@127.0.0.1:${smtp.port}`);
    expect(JSON.stringify(support.patches)).not.toContain('pa55-secret-word');
  });

  it('fails only the recipient refused with 550, with the server reply as reason', async () => {
    const smtp = await server({
      onRcptTo(address, _session, callback) {
        if (address.address === 'nobody@example.com')
          callback(smtpError(550, '5.1.1 <nobody@example.com>: no such user'));
        else callback();
      },
    });
    const out = await logon({ host: '127.0.0.1', port: smtp.port, ignoreTLS: true });
    const rs = [
      recipient('SMTP:a@example.com'),
      recipient('SMTP:nobody@example.com'),
      recipient('SMTP:c@example.com'),
    ];
    const { result } = await handOff(support, out, makeMessage({ recipients: rs }), rs);
    const got = outcomes(result);
    expect(got[rs[0]?.id ?? '']?.status).toBe('delivered');
    expect(got[rs[2]?.id ?? '']?.status).toBe('delivered');
    const failed = got[rs[1]?.id ?? ''];
    expect(failed).toMatchObject({ status: 'failed', code: '550' });
    expect(failed?.status === 'failed' ? failed.reason : '').toContain(
      '550 5.1.1 <nobody@example.com>: no such user',
    );
    expect(smtp.received[0]?.to).toEqual(['a@example.com', 'c@example.com']);
  });

  it('retries the recipient refused with 450 and delivers the others', async () => {
    const smtp = await server({
      onRcptTo(address, _session, callback) {
        if (address.address === 'busy@example.com') callback(smtpError(450, '4.2.1 mailbox busy'));
        else callback();
      },
    });
    const out = await logon({ host: '127.0.0.1', port: smtp.port, ignoreTLS: true });
    const rs = [recipient('SMTP:busy@example.com'), recipient('SMTP:ok@example.com')];
    const got = outcomes((await handOff(support, out, makeMessage({ recipients: rs }), rs)).result);
    expect(got[rs[0]?.id ?? '']).toMatchObject({
      status: 'retry',
      reason: expect.stringContaining('450 4.2.1'),
    });
    expect(got[rs[1]?.id ?? '']?.status).toBe('delivered');
  });

  it('maps every recipient when all are refused (5xx failed, 4xx retry)', async () => {
    const smtp = await server({
      onRcptTo(address, _session, callback) {
        callback(address.address.startsWith('gone') ? smtpError(550, 'gone') : smtpError(451, 'later'));
      },
    });
    const out = await logon({ host: '127.0.0.1', port: smtp.port, ignoreTLS: true });
    const rs = [recipient('SMTP:gone@example.com'), recipient('SMTP:later@example.com')];
    const got = outcomes((await handOff(support, out, makeMessage({ recipients: rs }), rs)).result);
    expect(got[rs[0]?.id ?? '']?.status).toBe('failed');
    expect(got[rs[1]?.id ?? '']?.status).toBe('retry');
    expect(smtp.received).toHaveLength(0);
  });

  it('fails every recipient on a 5xx after MAIL FROM and after DATA', async () => {
    const mailFrom = await server({
      onMailFrom: (_a, _s, callback) => callback(smtpError(553, '5.7.1 sender rejected')),
    });
    const data = await server({
      onData(stream, _session, callback) {
        stream.resume();
        stream.on('end', () => callback(smtpError(554, '5.6.0 content rejected')));
      },
    });
    for (const [smtp, reply] of [
      [mailFrom, '553 5.7.1 sender rejected'],
      [data, '554 5.6.0 content rejected'],
    ] as const) {
      const out = await logon({ host: '127.0.0.1', port: smtp.port, ignoreTLS: true });
      const rs = [recipient('SMTP:a@example.com'), recipient('SMTP:b@example.com')];
      const got = outcomes((await handOff(support, out, makeMessage({ recipients: rs }), rs)).result);
      for (const r of rs)
        expect(got[r.id]).toMatchObject({ status: 'failed', reason: expect.stringContaining(reply) });
    }
  });

  it('defers the hand-off on 421 at the greeting', async () => {
    const smtp = await server({
      onConnect: (_s, callback) => callback(smtpError(421, '4.3.2 too busy, come back later')),
    });
    const out = await logon({ host: '127.0.0.1', port: smtp.port, ignoreTLS: true });
    const to = recipient('SMTP:a@example.com');
    const defer = deferral((await handOff(support, out, makeMessage({ recipients: [to] }), [to])).result);
    expect(defer.reason).toContain('421');
    expect(support.row().failure).not.toBe(true);
  });

  it('defers the hand-off when the connection is refused', async () => {
    const out = await logon({ host: '127.0.0.1', port: await closedPort(), ignoreTLS: true });
    const to = recipient('SMTP:a@example.com');
    const defer = deferral((await handOff(support, out, makeMessage({ recipients: [to] }), [to])).result);
    expect(defer.reason).toMatch(/ECONNREFUSED|connect/i);
    expect(support.row().lastError?.code).toBe('SPOOL_E_NETWORK');
  });

  it('keeps deferring when connections are refused more often than the pool has connections', async () => {
    // A failed connect must free its pool slot: with maxConnections 1, a leaked slot would hang the second send.
    const out = await logon({
      host: '127.0.0.1',
      port: await closedPort(),
      ignoreTLS: true,
      maxConnections: 1,
    });
    for (let attempt = 0; attempt < 3; attempt++) {
      const to = recipient('SMTP:a@example.com');
      const defer = deferral((await handOff(support, out, makeMessage({ recipients: [to] }), [to])).result);
      expect(defer.reason).toMatch(/connection failed: .*ECONNREFUSED/);
      expect(support.row().lastError?.code).toBe('SPOOL_E_NETWORK');
    }
  });

  it('defers the hand-off when the greeting never comes (timeout)', async () => {
    const sockets = new Set<import('node:net').Socket>();
    const silentServer: Server = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silentServer.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silentServer.close(() => resolve()));
    });
    const address = silentServer.address();
    const port = address !== null && typeof address === 'object' ? address.port : 0;
    const out = await logon({ host: '127.0.0.1', port, ignoreTLS: true, greetingTimeout: 200 });
    const to = recipient('SMTP:a@example.com');
    const defer = deferral((await handOff(support, out, makeMessage({ recipients: [to] }), [to])).result);
    expect(defer.reason).toMatch(/greeting|timeout/i);
  });

  it('defers on 535 and flags the row, never failing a recipient or showing the password', async () => {
    const smtp = await server({
      authOptional: false,
      allowInsecureAuth: true,
      onAuth: (_auth, _session, callback) =>
        callback(smtpError(535, '5.7.8 Authentication credentials invalid')),
    });
    const out = await logon({
      host: '127.0.0.1',
      port: smtp.port,
      ignoreTLS: true,
      auth: { user: 'mailer', pass: 'wrong-secret-xyz' },
    });
    const to = recipient('SMTP:a@example.com');
    const { result } = await handOff(support, out, makeMessage({ recipients: [to] }), [to]);
    const defer = deferral(result);
    expect(defer.reason).toContain('535');
    const row = support.row();
    expect(row.failure).toBe(true);
    expect(row.lastError).toMatchObject({
      code: 'SPOOL_E_SMTP_AUTH',
      message: expect.stringContaining('535'),
    });
    expect(JSON.stringify([support.patches, result])).not.toContain('wrong-secret-xyz');
    expect(JSON.stringify(support.patches)).not.toContain(Buffer.from('wrong-secret-xyz').toString('base64'));
  });

  it('sends over STARTTLS to a server with a self-signed certificate trusted through tls.ca', async () => {
    const smtp = await server({
      key: await readFixture('localhost-key.pem'),
      cert: await readFixture('localhost-cert.pem'),
    });
    const out = await logon({
      host: '127.0.0.1',
      port: smtp.port,
      requireTLS: true,
      tls: { ca: fixture('localhost-cert.pem') },
    });
    const to = recipient('SMTP:a@example.com');
    const got = outcomes((await handOff(support, out, makeMessage({ recipients: [to] }), [to])).result);
    expect(got[to.id]?.status).toBe('delivered');
    expect(smtp.received[0]?.secure).toBe(true);
  });

  it('defers and flags the row when the certificate does not verify', async () => {
    const smtp = await server({
      key: await readFixture('localhost-key.pem'),
      cert: await readFixture('localhost-cert.pem'),
    });
    const out = await logon({ host: '127.0.0.1', port: smtp.port, requireTLS: true });
    const to = recipient('SMTP:a@example.com');
    const defer = deferral((await handOff(support, out, makeMessage({ recipients: [to] }), [to])).result);
    expect(defer.reason).toMatch(/TLS|certificate/i);
    expect(support.row()).toMatchObject({ failure: true, lastError: { code: 'SPOOL_E_SMTP_TLS' } });
    expect(smtp.received).toHaveLength(0);
  });

  it('sends over implicit TLS (secure) to a server with a self-signed certificate trusted through tls.ca', async () => {
    const smtp = await server({
      secure: true,
      key: await readFixture('localhost-key.pem'),
      cert: await readFixture('localhost-cert.pem'),
    });
    const out = await logon({
      host: '127.0.0.1',
      port: smtp.port,
      secure: true,
      tls: { ca: fixture('localhost-cert.pem') },
    });
    const to = recipient('SMTP:a@example.com');
    const got = outcomes((await handOff(support, out, makeMessage({ recipients: [to] }), [to])).result);
    expect(got[to.id]?.status).toBe('delivered');
    expect(smtp.received[0]?.secure).toBe(true);
    expect(support.row().text).toContain(`connected to 127.0.0.1:${smtp.port}, last reply: 250`);
  });

  it('defers and flags the row when the implicit-TLS certificate does not verify', async () => {
    const smtp = await server({
      secure: true,
      key: await readFixture('localhost-key.pem'),
      cert: await readFixture('localhost-cert.pem'),
    });
    const out = await logon({ host: '127.0.0.1', port: smtp.port, secure: true });
    const to = recipient('SMTP:a@example.com');
    const defer = deferral((await handOff(support, out, makeMessage({ recipients: [to] }), [to])).result);
    expect(defer.reason).toMatch(/TLS|certificate/i);
    expect(support.row()).toMatchObject({ failure: true, lastError: { code: 'SPOOL_E_SMTP_TLS' } });
    expect(smtp.received).toHaveLength(0);
  });

  it('defers and flags the row when requireTLS meets a server without STARTTLS', async () => {
    const smtp = await server();
    const out = await logon({ host: '127.0.0.1', port: smtp.port, requireTLS: true });
    const to = recipient('SMTP:a@example.com');
    deferral((await handOff(support, out, makeMessage({ recipients: [to] }), [to])).result);
    expect(support.row()).toMatchObject({ failure: true, lastError: { code: 'SPOOL_E_SMTP_TLS' } });
  });

  it('stops waiting and throws SPOOL_E_CANCELLED when the hand-off is cancelled', async () => {
    let release: () => void = () => {};
    let dataStarted: () => void = () => {};
    const started = new Promise<void>((resolve) => {
      dataStarted = resolve;
    });
    const smtp = await server({
      onData(stream, _session, callback) {
        stream.resume();
        stream.on('end', () => {
          release = () => callback(smtpError(451, 'aborted by test'));
          dataStarted();
        });
      },
    });
    cleanups.push(async () => release());
    const out = await logon({ host: '127.0.0.1', port: smtp.port, ignoreTLS: true });
    const to = recipient('SMTP:a@example.com');
    const controller = new AbortController();
    void started.then(() => controller.abort());
    const { error } = await handOff(support, out, makeMessage({ recipients: [to] }), [to], controller.signal);
    expect(error).toMatchObject({ code: 'SPOOL_E_CANCELLED' });
  });

  it('fails recipients that are not SMTP addresses without sending, and defers without any sender', async () => {
    const smtp = await server();
    const out = await logon({ host: '127.0.0.1', port: smtp.port, ignoreTLS: true });
    const bad = recipient('SMTP:not an address');
    const got = outcomes((await handOff(support, out, makeMessage({ recipients: [bad] }), [bad])).result);
    expect(got[bad.id]?.status).toBe('failed');
    const to = recipient('SMTP:a@example.com');
    const { from: _from, ...noSender } = makeMessage({ recipients: [to] });
    deferral((await handOff(support, out, noSender, [to])).result);
    expect(support.row().lastError?.code).toBe('SPOOL_E_SMTP_NO_SENDER');
    expect(smtp.received).toHaveLength(0);
  });

  it('keeps an ordinary message in memory: nothing is written, nothing is left to remove', async () => {
    await logon({ host: '127.0.0.1', port: 1, ignoreTLS: true });
    const [preprocessor] = support.preprocessors;
    const to = recipient('SMTP:a@example.com');
    const workDir = join(support.dataDir, 'preprocess');
    const signal = new AbortController().signal;
    const message = makeMessage({ recipients: [to], text: 'x'.repeat(2048) });
    const pre = await preprocessor?.preprocess(message, [to], { runId: 'run-0', workDir, signal });
    const info = pre?.info as { raw?: Buffer; path?: string; size: number } | undefined;
    expect(info?.path).toBeUndefined();
    expect(Buffer.isBuffer(info?.raw)).toBe(true);
    expect(info?.size).toBe(info?.raw?.byteLength);
    expect(info?.raw?.toString('latin1')).toContain(`Message-ID: ${message.messageId}`);
    expect(await exists(workDir)).toBe(false);
    await preprocessor?.removePreprocessInfo({
      runId: 'run-0',
      messageId: message.id,
      workDir,
      info,
      reason: 'delivered',
    });
  });

  it('a message above IN_MEMORY_LIMIT goes to a file, which removePreprocessInfo finds from the run id alone after a crash', async () => {
    const out = await logon({ host: '127.0.0.1', port: 1, ignoreTLS: true });
    void out;
    const [preprocessor] = support.preprocessors;
    const to = recipient('SMTP:a@example.com');
    const workDir = join(support.dataDir, 'preprocess');
    const signal = new AbortController().signal;
    const big = makeMessage({
      recipients: [to],
      attachments: [
        {
          filename: 'big.bin',
          contentType: 'application/octet-stream',
          content: randomBytes(IN_MEMORY_LIMIT),
        },
      ],
    });
    const { info } = (await preprocessor?.preprocess(big, [to], {
      runId: 'run-1',
      workDir,
      signal,
    })) ?? { info: undefined };
    expect(info).toMatchObject({ path: join(workDir, 'run-1', 'message.eml') });
    expect((info as { raw?: Buffer }).raw).toBeUndefined();
    expect(await exists(join(workDir, 'run-1', 'message.eml'))).toBe(true);
    const remove = { runId: 'run-1', messageId: 'm', workDir, info: undefined, reason: 'recovered' } as const;
    await preprocessor?.removePreprocessInfo(remove);
    expect(await exists(join(workDir, 'run-1'))).toBe(false);
    await preprocessor?.removePreprocessInfo(remove); // idempotent
  });
});
