// One smtp bench figure per process, printed as JSON:
// `node smtp-child.mjs <provider|direct|nodemailer|nodemailer-nodelay> <port> [n]`.
// Both send the same n messages (~2 KiB text, 3 recipients each) to the sink server on 127.0.0.1:<port>
// (scripts/bench/smtp-sink.mjs, another process) through a pool of 5 connections:
//   provider:   @spool/provider-smtp through the spooler, the Outbox filled before the spooler starts;
//               timed from createSpooler() to every message finished.
//   direct:     the same provider without the spooler: 5 hand-offs at a time (preprocess, submitMessage,
//               removePreprocessInfo) on a stand-in support object, to tell the provider's share of a gap
//               from the spooler's.
//   nodemailer: raw nodemailer, pool: true, maxConnections: 5, maxMessages: Infinity, every sendMail at once;
//               timed from the first sendMail to the last callback.
//   nodemailer-nodelay: the same, but its sockets opened with TCP_NODELAY through the pool's getSocket hook,
//               as the provider opens its own (providers/smtp/src/socket.ts): the like-for-like ceiling.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CORE_DIST, ROOT } from './lib.mjs';

const [mode, portText, countText] = process.argv.slice(2);
const port = Number(portText);
const n = countText ? Number(countText) : 5000;
const POOL = 5;
const body = 'x'.repeat(2048);
const recipients = ['alice@example.com', 'bob@example.com', 'carol@example.com'];
const message = (i) => ({ from: 'sender@example.com', to: recipients, subject: `bench ${i}`, text: body });

/** The provider through the real spooler and store in a fresh profile directory. */
async function viaProvider() {
  const { createSpooler, openEmbeddedStore } = await import(pathToFileURL(CORE_DIST).href);
  const cli = createRequire(join(ROOT, 'packages/cli/package.json'));
  const smtpDir = dirname(cli.resolve('@spool/provider-smtp/package.json'));
  const dir = mkdtempSync(join(tmpdir(), 'spool-bench-smtp-'));
  const options = {
    cwd: dir,
    profile: {
      providers: [
        {
          provider: 'smtp',
          options: { host: '127.0.0.1', port, ignoreTLS: true, maxConnections: POOL },
        },
      ],
    },
    builtins: { '@spool/provider-smtp': smtpDir },
    logSink: () => {},
  };
  try {
    // Fill the Outbox first with a store-only spooler, so the figure is delivery alone.
    const filler = await createSpooler({ ...options, autoStart: false });
    for (let i = 0; i < n; i += 500) {
      await Promise.all(
        Array.from({ length: Math.min(500, n - i) }, (_, k) => {
          const m = message(i + k);
          return filler.submit({ ...m, from: `SMTP:${m.from}`, to: m.to.map((to) => `SMTP:${to}`) });
        }),
      );
    }
    await filler.stop();

    const started = performance.now();
    // The profile's embedded store (dir/spool.db), opened here so its commit counter can be read.
    const store = await openEmbeddedStore(join(dir, 'spool.db'));
    const spooler = await createSpooler({ ...options, store });
    await new Promise((resolve, reject) => {
      const deadline = Date.now() + 10 * 60_000;
      const check = () => {
        const row = spooler.status().find((r) => r.id === 'spooler');
        if (row.counters.sent >= n * recipients.length) resolve();
        else if (row.counters.failed > 0 || Date.now() > deadline)
          reject(new Error(`smtp bench: ${row.counters.sent} sent, ${row.counters.failed} failed`));
        else setTimeout(check, 2);
      };
      check();
    });
    const seconds = (performance.now() - started) / 1000;
    const deferred = spooler.status().find((r) => r.id === 'spooler').counters.deferred;
    const commitsPerMessage = store.admin.counters().commits / n;
    await spooler.stop();
    return { messagesPerSecond: n / seconds, seconds, n, deferred, commitsPerMessage };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The provider's own hand-off path, no spooler and no store. */
async function viaProviderAlone() {
  const cli = createRequire(join(ROOT, 'packages/cli/package.json'));
  const smtpDir = dirname(cli.resolve('@spool/provider-smtp/package.json'));
  const { xpProviderInit } = await import(pathToFileURL(join(smtpDir, 'dist/index.js')).href);
  const dir = mkdtempSync(join(tmpdir(), 'spool-bench-smtp-'));
  const silent = { debug() {}, info() {}, warn() {}, error() {} };
  const preprocessors = [];
  const support = {
    logonId: 'smtp/bench',
    account: 'bench',
    logger: silent,
    dataDir: dir,
    modifyStatusRow() {},
    async spoolerYield() {},
    enterCriticalSection: () => ({ leave() {}, [Symbol.dispose]() {} }),
    notifyNewMail() {},
    registerPreprocessor: (preprocessor) => preprocessors.push(preprocessor),
  };
  const init = {
    spiVersion: '1.0.0',
    hostSpiVersions: ['1.0.0'],
    hostVersion: '0.0.0',
    entryId: 'smtp',
    logger: silent,
  };
  const provider = await xpProviderInit(init);
  const options = { host: '127.0.0.1', port, ignoreTLS: true, maxConnections: POOL };
  const logon = await provider.transportLogon(support, { account: 'bench', options, profileDir: dir });
  const [preprocessor] = preprocessors;
  const signal = new AbortController().signal;
  const to = recipients.map((value, i) => ({
    id: String(i),
    address: `SMTP:${value}`,
    addressType: 'SMTP',
    value,
    type: 'to',
    attempts: 0,
  }));
  try {
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: logon.maxInFlight }, async () => {
        while (next < n) {
          const m = message(next++);
          const outbound = {
            id: randomUUID(),
            messageId: `<${randomUUID()}@bench>`,
            from: `SMTP:${m.from}`,
            recipients: to,
            subject: m.subject,
            text: m.text,
            attachments: [],
            messageClass: 'IPM.Note',
            properties: {},
            submittedAt: new Date(),
          };
          const run = { runId: randomUUID(), workDir: dir };
          const { info } = await preprocessor.preprocess(outbound, to, { ...run, signal });
          const result = await logon.submitMessage(outbound, to, { signal, preprocessInfo: info });
          await preprocessor.removePreprocessInfo({
            ...run,
            messageId: outbound.id,
            info,
            reason: 'delivered',
          });
          if (Object.values(result.recipients ?? {}).some((o) => o.status !== 'delivered'))
            throw new Error(`smtp bench: not delivered: ${JSON.stringify(result)}`);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    return { messagesPerSecond: n / seconds, seconds, n };
  } finally {
    await logon.transportLogoff({ mode: 'orderly' });
    await provider.shutdown({ reason: 'stop' });
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Raw nodemailer, the ceiling for this transport on this machine. With `noDelay`, each pooled connection is a
 * socket opened with TCP_NODELAY and handed over at once through `getSocket`, as the provider does; without
 * it nodemailer opens its own sockets (Nagle on), exactly as the figure (b) specifies.
 */
async function viaNodemailer({ noDelay = false } = {}) {
  const require = createRequire(join(ROOT, 'providers/smtp/package.json'));
  const nodemailer = require('nodemailer');
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port,
    ignoreTLS: true,
    pool: true,
    maxConnections: POOL,
    maxMessages: Number.POSITIVE_INFINITY,
    logger: false,
    ...(noDelay
      ? {
          getSocket: (_options, callback) =>
            callback(null, {
              connection: connect({ host: '127.0.0.1', port, noDelay: true, keepAlive: true }),
            }),
        }
      : {}),
  });
  const started = performance.now();
  await Promise.all(Array.from({ length: n }, (_, i) => transport.sendMail(message(i))));
  const seconds = (performance.now() - started) / 1000;
  transport.close();
  return { messagesPerSecond: n / seconds, seconds, n };
}

const figures = {
  provider: viaProvider,
  direct: viaProviderAlone,
  nodemailer: () => viaNodemailer(),
  'nodemailer-nodelay': () => viaNodemailer({ noDelay: true }),
};
if (!figures[mode])
  throw new Error(`smtp-child: unknown figure ${mode}; use ${Object.keys(figures).join(', ')}`);
const result = await figures[mode]();
process.stdout.write(`${JSON.stringify(result)}\n`);
