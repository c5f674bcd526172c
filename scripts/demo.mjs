#!/usr/bin/env node
// The demo behind `./dev demo`: a spooler on the embedded store in a fresh profile directory, with the
// loopback provider. It prints the status table, sends a message to two LOOP recipients and one address no
// provider claims, runs one pass, and shows the copies arriving in the Inbox, the NDR, and the Sent folder.
import { mkdtempSync } from 'node:fs';
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

const dir = mkdtempSync(join(tmpdir(), 'spool-demo-'));
const profile = { providers: [{ provider: 'loopback' }] };
console.log(`profile directory: ${dir} (store: ${join(dir, 'spool.db')})\n`);

const spooler = await createSpooler({
  cwd: dir,
  profile,
  builtins: { '@spool/provider-loopback': loopbackDir },
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
console.log('status table after the pass:');
table();
await spooler.stop();
