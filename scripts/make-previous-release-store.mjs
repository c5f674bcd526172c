#!/usr/bin/env node
// Writes tests/integration/test/fixtures/previous-release/spool.db: a store as the release before the store
// ports (commit 6a32f4d, schema 2) wrote it, for the test that a store written by the previous release opens
// and drains. It was run once, against that commit's build; it is kept to show how the file was made, not
// to be run again (running it on newer code would write a newer store).
//
// Contents: 3 unrouted queued messages (as `spool send` stores them), 2 routed queued ones, one of them
// with a recipient deferred to a retry and the other in flight under a lease of a spooler that died (another host,
// lease expired) with an open preprocess run; 2 finished in Sent (one with a shared body), 1 in Inbox,
// 1 cancelled in Deleted.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = join(import.meta.dirname, '..');
const { createSpooler, SqliteStore } = await import(
  pathToFileURL(join(root, 'packages/core/dist/index.js')).href
);
const dir = join(root, 'tests/integration/test/fixtures/previous-release');
const file = join(dir, 'spool.db');
for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
const loopback = join(root, 'providers/loopback');
const builtins = { '@spool/provider-loopback': loopback };
const base = Date.UTC(2026, 11, 1);
let now = base;
const clock = { now: () => now };
const profile = { store: { path: './spool.db' }, providers: [{ provider: 'loopback' }] };

// Delivered ones first: a spooler that runs a pass.
const runner = await createSpooler({
  profile,
  cwd: dir,
  builtins,
  clock,
  autoStart: false,
  logSink: () => {},
});
await runner.submit({ to: 'LOOP:ann', subject: 'prev sent 1', text: 'one', from: 'LOOP:me' });
await runner.submit({
  to: ['LOOP:bob', 'LOOP:cy'],
  subject: 'prev sent 2',
  html: '<p>two</p>',
  attachments: [{ filename: 'a.txt', content: 'attached' }],
});
await runner.runOnce();
const cancelled = await runner.submit({ to: 'LOOP:dan', subject: 'prev cancelled', text: 'x' });
await runner.cancel(cancelled.id);
await runner.stop();

// Queued ones as `spool send` leaves them (unrouted), from a store-only spooler.
now += 60_000;
const sender = await createSpooler({
  profile,
  cwd: dir,
  builtins,
  clock,
  autoStart: false,
  logSink: () => {},
});
for (const n of [1, 2, 3])
  await sender.submit({
    to: `LOOP:q${n}`,
    subject: `prev queued ${n}`,
    text: `queued ${n}`,
    idempotencyKey: `prev-key-${n}`,
  });
await sender.stop();

// Routed ones, one deferred, one in flight under a dead spooler's expired lease, through the store itself.
const store = await SqliteStore.open(file);
const message = (id, subject, submittedAt) => ({
  id,
  folder: 'Outbox',
  state: 'queued',
  messageId: `<${id}@prev.test>`,
  from: null,
  subject,
  text: subject,
  html: null,
  messageClass: 'IPM.Note',
  properties: {},
  deleteAfterSubmit: false,
  reports: { delivery: false, nonDelivery: true },
  idempotencyKey: null,
  submittedAt,
  attachments: [],
  recipients: [
    { address: 'LOOP:r1', addressType: 'LOOP', value: 'r1', type: 'to', route: 'loopback/default' },
    { address: 'LOOP:r2', addressType: 'LOOP', value: 'r2', type: 'cc', route: 'loopback/default' },
  ],
});
await store.insert(message('prev-deferred', 'prev deferred', now));
await store.settle(
  'prev-deferred',
  'loopback/default',
  [{ index: 1, outcome: 'retry', nextAttemptAt: now + 30_000, countAttempt: true, error: 'busy' }],
  now,
);
await store.insert(message('prev-inflight', 'prev in flight', now + 1));
await store.claim('loopback/default', 1, now + 1, 'a1b2c3d4@gone-host.example:4242', 1_000, 1);
await store.close();
rmSync(join(dir, '.spool'), { recursive: true, force: true });
console.log(`wrote ${file}`);
