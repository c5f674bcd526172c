// The SMTP server both smtp bench figures send to, in a process of its own so it never competes with the
// sender for an event loop: smtp-server on 127.0.0.1 (port 0), every command accepted, every body discarded.
// Prints `{"port":N}` once listening; prints `{"messages":N}` and exits when its stdin closes.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ROOT } from './lib.mjs';

// smtp-server is a dependency of @spool/provider-smtp: resolve it from there, the version the provider is tested with.
const require = createRequire(join(ROOT, 'providers/smtp/package.json'));
const { SMTPServer } = require('smtp-server');

let messages = 0;
const server = new SMTPServer({
  logger: false,
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  // The pool keeps connections open between messages; the default 5 s idle limit would cut them mid-run.
  socketTimeout: 10 * 60_000,
  maxClients: 64,
  closeTimeout: 100,
  onData(stream, _session, callback) {
    stream.resume();
    stream.on('end', () => {
      messages++;
      callback();
    });
  },
});
server.on('error', (error) => process.stderr.write(`smtp-sink: ${error.message}\n`));
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.server.address().port })}\n`);
});

// The section closes stdin to stop us (also when it dies), so no orphaned server outlives a bench run.
process.stdin.resume();
process.stdin.on('end', () => {
  process.stdout.write(`${JSON.stringify({ messages })}\n`);
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
});
