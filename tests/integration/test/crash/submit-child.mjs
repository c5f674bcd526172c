// Submits one message to the store in argv[2] from its own process, as `spool send` does (a store-only
// spooler: no hand-off here), prints the id, and exits. argv[3] is the loopback package dir, argv[4] the subject.
import { createSpooler } from '@spool/core';

const [dir, loopbackDir, subject] = process.argv.slice(2);
const spooler = await createSpooler({
  cwd: dir,
  profile: { providers: [{ provider: 'loopback' }] },
  builtins: { '@spool/provider-loopback': loopbackDir },
  logSink: () => {},
  autoStart: false,
});
const { id } = await spooler.submit({ to: 'LOOP:other', subject, text: 'from another process' });
await spooler.stop();
process.stdout.write(`${id}\n`);
