#!/usr/bin/env node
// The demo behind `./dev demo`: a spooler on the embedded store in a fresh profile directory, with the
// loopback and fax-sim providers. It prints the status table, sends a message to two LOOP recipients and one
// address no provider claims, and a fax to one FAX number, runs one pass, and shows the copies arriving in the
// Inbox, the NDR, the Sent folder, and the fax's PDF in fax-sim's output directory.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

// Resolve the packages the way the CLI does (from packages/cli), through their public "exports".
const require = createRequire(join(import.meta.dirname, '..', 'packages', 'cli', 'package.json'));
const coreDir = dirname(require.resolve('@spool/core/package.json'));
const { createSpooler } = await import(
  pathToFileURL(join(coreDir, require(join(coreDir, 'package.json')).exports['.'].import)).href
);
const loopbackDir = dirname(require.resolve('@spool/provider-loopback/package.json'));
const faxSimDir = dirname(require.resolve('@spool/provider-fax-sim/package.json'));

const dir = mkdtempSync(join(tmpdir(), 'spool-demo-'));
const faxOut = join(dir, 'fax-out');
const profile = {
  providers: [
    { provider: 'loopback' },
    // A small time factor keeps the simulated line (handshake, ~18 s per page in real time) under a second.
    { provider: 'fax-sim', options: { timeFactor: 0.01, outputDir: 'fax-out', stationId: '+1 555 0001' } },
  ],
};
console.log(`profile directory: ${dir} (store: ${join(dir, 'spool.db')})\n`);

const spooler = await createSpooler({
  cwd: dir,
  profile,
  builtins: { '@spool/provider-loopback': loopbackDir, '@spool/provider-fax-sim': faxSimDir },
  autoStart: false,
});
const table = () =>
  console.table(
    spooler.status().map((row) => ({
      row: row.id,
      provider: row.provider ? `${row.provider.name}@${row.provider.version}` : '',
      spi: row.spiVersion ?? '',
      available: row.available,
      failure: row.failure,
      outbound: row.outbound.enabled ? 'enabled' : 'off',
      inbound: row.inbound.enabled ? 'enabled' : 'off',
      sent: row.counters.sent,
      failed: row.counters.failed,
      received: row.counters.received,
      text: row.text,
    })),
  );

console.log('status table after logon:');
table();
const { id } = await spooler.submit({
  from: 'LOOP:demo',
  to: ['LOOP:alice', 'LOOP:bob', 'NOPE:nobody'],
  subject: 'Hello from spool',
  text: 'This message went out through the loopback provider and came back in.',
});
console.log(`\nsubmitted ${id}: to LOOP:alice, LOOP:bob, NOPE:nobody (no provider claims NOPE)`);
const fax = await spooler.submit({
  from: 'FAX:+1 555 0001',
  to: 'FAX:+1 555 0100',
  subject: 'Hello by fax',
  text: 'This message went out through the fax-sim provider: rendered to PDF pages and sent over a simulated line.',
});
console.log(`submitted ${fax.id}: to FAX:+1 555 0100`);
const pass = await spooler.runOnce();
console.log(`one pass: ${pass.delivered} delivered, ${pass.failed} failed, ${pass.received} received\n`);
console.log('Inbox:');
console.table(
  (await spooler.list('Inbox')).map((m) => ({
    id: m.id,
    class: m.messageClass,
    from: m.from,
    subject: m.subject,
  })),
);
console.log('Sent:');
console.table(
  (await spooler.list('Sent')).map((m) => ({
    id: m.id,
    subject: m.subject,
    recipients: m.recipients.map((r) => `${r.address}=${r.outcome}`).join(', '),
  })),
);
const pdfs = readdirSync(faxOut).filter((name) => name.endsWith('.pdf'));
console.log(`fax output directory ${faxOut}:`);
// The transmission log says how many pages went over the line for each file.
const log = readFileSync(join(faxOut, 'transmissions.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line));
for (const name of pdfs) {
  const file = join(faxOut, name);
  const entry = log.find((e) => e.file === file);
  console.log(`  ${file} (${entry?.pages ?? '?'} pages, ${readFileSync(file).length} bytes)`);
}
if (pdfs.length !== 1) throw new Error(`expected one sent fax in ${faxOut}, found ${pdfs.length}`);
console.log('');
console.log('status table after the pass:');
table();
await spooler.stop();
