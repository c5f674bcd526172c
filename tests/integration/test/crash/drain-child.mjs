// A spooler in a child process for the crash test: it drains the Outbox of the profile in argv[2] through
// loopback (argv[3] is the loopback package dir) until the parent kills it with SIGKILL.
import { createSpooler } from '@spool/core';

const [dir, loopbackDir] = process.argv.slice(2);
const spooler = await createSpooler({
  cwd: dir,
  profile: { providers: [{ provider: 'loopback', options: { maxInFlight: 8, latencyMs: 2 } }] },
  builtins: { '@spool/provider-loopback': loopbackDir },
  logSink: () => {},
});
// In flight at most: every logon's unsettled hand-offs, plus one inbound save per logon that receives (at most
// one per logon: loopback's one logon receives).
const logons = spooler.providers().flatMap((entry) => entry.logons).length;
process.stdout.write(`${JSON.stringify({ maxInFlight: spooler.maxUnsettled + logons })}\n`);
setInterval(() => {}, 60_000);
