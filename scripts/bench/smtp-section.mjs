// Bench section 3: the smtp provider. The same 5,000 messages (~2 KiB, 3 recipients each) go (a) through
// @spool/provider-smtp via the spooler, the Outbox filled before it starts, and (b) through raw nodemailer with
// the same pool (5 connections, maxMessages Infinity), both to one smtp-server in a separate process, in the
// same run; (c) is the ratio. (d) runs the provider's hand-offs without the spooler, so a gap can be put on the
// provider or on the spooler. (b') is raw nodemailer with TCP_NODELAY sockets, as the provider opens them; (b)
// keeps nodemailer's own sockets (Nagle on) because the issue defines it so, which flatters (c): (c') is the
// like-for-like ratio, printed without a target. Each figure runs in a fresh child process
// (scripts/bench/smtp-child.mjs).
// BENCH_QUICK=1 (or run({ quick: true })) sends 500 messages instead.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT, runNode } from './lib.mjs';

/** Bench section: smtp provider throughput beside raw nodemailer. */
export const title = 'smtp provider vs raw nodemailer (pool of 5, one smtp-server process)';

const child = join(ROOT, 'scripts/bench/smtp-child.mjs');

/** Starts the sink server (scripts/bench/smtp-sink.mjs); resolves with its port and a stop function. */
async function startSink() {
  const sink = spawn(process.execPath, [join(ROOT, 'scripts/bench/smtp-sink.mjs')], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: sink.stdout });
  const next = () =>
    new Promise((resolve, reject) => {
      lines.once('line', (line) => resolve(JSON.parse(line)));
      sink.once('exit', (code) => reject(new Error(`smtp-sink exited ${code}`)));
    });
  const { port } = await next();
  return {
    port,
    /** Stops the server; resolves with how many messages it accepted in all. */
    async stop() {
      const done = next();
      sink.stdin.end();
      return (await done).messages;
    },
  };
}

/** The figures, one child process each, all sending n messages to the same sink. */
const MODES = ['nodemailer', 'nodemailer-nodelay', 'direct', 'provider'];

/** Runs the section and returns its rows ({ value, unit, target, atLeast } rows). */
export async function run({ quick = process.env.BENCH_QUICK === '1' } = {}) {
  const n = quick ? 500 : 5000;
  const sink = await startSink();
  const results = {};
  let accepted;
  try {
    for (const mode of MODES)
      results[mode] = JSON.parse(runNode([child, mode, String(sink.port), String(n)]).stdout);
  } finally {
    accepted = await sink.stop();
  }
  // Every figure must have reached the server: a miscounted run would make a meaningless ratio.
  const expected = MODES.length * n;
  if (accepted !== expected)
    throw new Error(`smtp bench: the server accepted ${accepted} of ${expected} messages`);
  const rate = (mode) => results[mode].messagesPerSecond;
  const seconds = (mode) => `${results[mode].seconds.toFixed(1)} s for ${n.toLocaleString('en')} messages`;
  return [
    {
      section: 'a',
      figure: 'smtp provider via the spooler, Outbox pre-filled',
      value: Math.round(rate('provider')),
      unit: 'msg/s',
      against: `${seconds('provider')}, ${results.provider.commitsPerMessage.toFixed(2)} commits per message`,
    },
    {
      section: 'b',
      figure: 'raw nodemailer, pool: true, maxConnections 5',
      value: Math.round(rate('nodemailer')),
      unit: 'msg/s',
      against: seconds('nodemailer'),
    },
    {
      section: 'c',
      figure: 'ratio a / b',
      value: Number((rate('provider') / rate('nodemailer')).toFixed(3)),
      unit: '',
      target: 0.8,
      atLeast: true,
    },
    {
      section: "b'",
      figure: 'raw nodemailer, same pool, sockets with TCP_NODELAY (as the provider)',
      value: Math.round(rate('nodemailer-nodelay')),
      unit: 'msg/s',
      against: seconds('nodemailer-nodelay'),
    },
    {
      section: "c'",
      figure: "ratio a / b' (both without Nagle)",
      value: Number((rate('provider') / rate('nodemailer-nodelay')).toFixed(3)),
      unit: '',
      against: 'no target: the like-for-like ratio; (c) compares against nodemailer with Nagle on',
    },
    {
      section: 'd',
      figure: 'the provider alone (no spooler, 5 hand-offs at a time)',
      value: Math.round(rate('direct')),
      unit: 'msg/s',
      against: `${(rate('direct') / rate('nodemailer')).toFixed(3)} of b, ${(rate('direct') / rate('nodemailer-nodelay')).toFixed(3)} of b'; a is ${(rate('provider') / rate('direct')).toFixed(3)} of it`,
    },
  ];
}
