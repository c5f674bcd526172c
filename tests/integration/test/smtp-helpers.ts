import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type { Spooler } from '@spool/core';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { afterEach } from 'vitest';
import { BUILTINS } from './helpers.js';

const require = createRequire(import.meta.url);

/** Loopback plus the real smtp provider, resolved from this package the way the CLI resolves its built-ins. */
export const SMTP_BUILTINS = {
  ...BUILTINS,
  '@spool/provider-smtp': dirname(require.resolve('@spool/provider-smtp/package.json')),
};

/** One SMTP transaction as the test server saw it. */
export interface Transaction {
  readonly from: string;
  readonly to: string[];
  readonly raw: Buffer;
}

/** A real SMTP server on 127.0.0.1 (port 0) that records every transaction it accepted. */
export interface RecordingServer {
  readonly port: number;
  readonly transactions: Transaction[];
}

/** An SMTP reply error, the shape smtp-server turns into `code text` on the wire. */
export function reply(code: number, text: string): Error & { responseCode: number } {
  return Object.assign(new Error(text), { responseCode: code });
}

const servers: SMTPServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** Starts a recording server; `options` override its handlers (RCPT TO rules, AUTH). Closed after the test. */
export async function startSmtpServer(options: Partial<SMTPServerOptions> = {}): Promise<RecordingServer> {
  const transactions: Transaction[] = [];
  const server = new SMTPServer({
    logger: false,
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    closeTimeout: 200,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        transactions.push({
          from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
          to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          raw: Buffer.concat(chunks),
        });
        callback();
      });
    },
    ...options,
  });
  server.on('error', () => {});
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.server.address();
  if (address === null || typeof address === 'string') throw new Error('the test SMTP server has no port');
  return { port: address.port, transactions };
}

/** The smtp logon's status row. */
export function smtpRow(spooler: Spooler) {
  const row = spooler.status().find((r) => r.id === 'smtp/default');
  if (row === undefined) throw new Error(`no smtp/default row in ${spooler.status().map((r) => r.id)}`);
  return row;
}

/** The port the provider's listener bound (listen.port 0), read from the row's text. */
export function listenerPort(spooler: Spooler): number {
  const text = smtpRow(spooler).text ?? '';
  const match = /listening on [^\s;]+:(\d+)/.exec(text);
  if (match?.[1] === undefined) throw new Error(`the smtp row does not show a listener: ${text}`);
  return Number(match[1]);
}
