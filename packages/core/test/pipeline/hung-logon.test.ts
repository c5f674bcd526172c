import { setTimeout as sleep } from 'node:timers/promises';
import type { StatusRow } from '@spool/spi';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Spooler } from '../../src/pipeline/spooler.js';
import { openEmbeddedStore } from '../../src/store/open-store.js';
import type { MessageStore } from '../../src/store/ports.js';
import { fixtureProfile, memorySink, temporaryDir } from '../helpers.js';

/** The switches and counters of the fixture provider spool-provider-hang (shared through globalThis). */
interface HangControls {
  hangSubmit: boolean;
  hangPoll: boolean;
  beginThrows: number;
  polls: number;
  logon: 'ok' | 'throw' | 'hang';
  logons: number;
  logoffs: number;
  submits: number;
  delivered: string[];
  waiting: Set<() => void>;
}

function controls(): HangControls {
  const shared = globalThis as { __spoolHang?: HangControls };
  shared.__spoolHang ??= {} as HangControls;
  const c = shared.__spoolHang;
  Object.assign(c, {
    hangSubmit: false,
    hangPoll: false,
    beginThrows: 0,
    polls: 0,
    logon: 'ok',
    logons: 0,
    logoffs: 0,
    submits: 0,
    delivered: [],
    waiting: c.waiting ?? new Set(),
  });
  return c;
}

/** The provider answers again: hung calls return (the host discards their late results) and new ones do not hang. */
function answerAgain(c: HangControls): void {
  c.hangSubmit = false;
  c.hangPoll = false;
  for (const release of c.waiting) release();
  c.waiting.clear();
}

/** Polls `check` every 10 ms until it is true; fails after `ms`. Every wait in these tests is bounded. */
async function until(what: string, check: () => boolean | Promise<boolean>, ms = 4000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

const LOGON = 'hang/default';
/** What a row must not say while its route is dead: ready, or available without a failure. */
const saysReady = (row: StatusRow) => row.text === 'ready' || (row.available && !row.failure);

/** The profile: short timeouts and retries (a hung call is noticed in 150 ms, a deferral is due in 300 ms). */
const profileInput = (dir: string, inactivity = 150, retry = '300ms') => ({
  store: { path: `${dir}/spool.db` },
  retry: { schedule: [retry], jitter: 0 },
  providers: [{ id: 'hang', provider: 'spool-provider-hang', timeouts: { inactivity, hardCap: 2000 } }],
});

async function start(retry?: string) {
  const dir = temporaryDir();
  const sink = memorySink();
  const profile = fixtureProfile(profileInput(dir, 150, retry));
  const store = await openEmbeddedStore(`${dir}/spool.db`);
  const spooler = await Spooler.create({ profile, store, logSink: sink });
  const row = () => spooler.status().find((r) => r.id === LOGON);
  // What `spool status` would show, read every 5 ms (each read is a snapshot of the status table).
  const rows: StatusRow[] = [];
  const sampler = setInterval(() => {
    const now = row();
    if (now) rows.push(now);
  }, 5);
  stopSampling = () => clearInterval(sampler);
  return { spooler, store, sink, rows, row, dir };
}

async function folderOf(store: MessageStore, id: string): Promise<string | undefined> {
  return (await store.get(id))?.folder;
}

let running: Spooler | undefined;
let stopSampling = () => {};
beforeEach(() => {
  running = undefined;
});
afterEach(async () => {
  stopSampling();
  answerAgain(controls());
  await running?.stop({ mode: 'hurry' });
});

describe('a logon whose submitMessage hangs past its timeout', () => {
  it('is logged off and on again; the mail routed to it and mail sent meanwhile are delivered once the provider answers again, and its row never says ready while the route is dead', async () => {
    const c = controls();
    c.hangSubmit = true;
    const { spooler, store, rows, row } = await start();
    running = spooler;

    const first = await spooler.submit({ to: 'HANG:first', subject: 'hangs' });
    await until('the first hand-off to hang', () => c.submits === 1);
    // Routed to the logon while it hangs (maxInFlight 1: they wait behind the hung hand-off).
    const routed = await spooler.submit({ to: ['HANG:r1', 'HANG:r2'], subject: 'routed' });

    // The call times out: the logon is visibly out of service (failed, then logged on again and confirming),
    // with the coded error.
    await until('the row to show the timeout', () => row()?.lastError?.code === 'SPOOL_E_TIMEOUT');
    const deadFrom = rows.length;
    expect(row()?.failure).toBe(true);
    expect(row()?.text).not.toBe('ready');
    // The hung hand-off's recipient is deferred with the timeout as its last error (an attempt counted).
    await until('the hung hand-off to be deferred', async () => {
      const r = (await store.get(first.id))?.recipients[0];
      return r?.attempts === 1 && (r.lastError ?? '').includes('timed out');
    });

    // It stays dead for a while: logged on again (TransportLogoff, TransportLogon), probed, timed out again.
    await until('a relogon', () => c.logons >= 2 && c.logoffs >= 1);
    await until('the probe after the relogon to hang too', () => c.submits >= 2);
    // Sent while the route is dead: it waits for the logon; it is not bounced.
    const during = await spooler.submit({ to: 'HANG:during', subject: 'sent while dead' });
    await sleep(400);
    const meanwhile = await store.get(during.id);
    expect(meanwhile?.recipients[0]?.outcome).toBe('pending');
    expect(meanwhile?.recipients[0]?.route).toBe(LOGON);
    const deadRows = rows.slice(deadFrom);
    expect(deadRows.filter(saysReady)).toEqual([]);
    expect(spooler.status().find((r) => r.id === LOGON)?.text).not.toBe('ready');

    // The provider answers again: everything routed to the logon, and what was sent meanwhile, is delivered.
    answerAgain(c);
    for (const { id } of [first, routed, during])
      await until(`message ${id} in Sent`, async () => (await folderOf(store, id)) === 'Sent', 6000);
    const after = await spooler.submit({ to: 'HANG:after', subject: 'after' });
    await until(
      'the message sent after recovery in Sent',
      async () => (await folderOf(store, after.id)) === 'Sent',
    );
    expect([...new Set(c.delivered)].sort()).toEqual(
      ['HANG:after', 'HANG:during', 'HANG:first', 'HANG:r1', 'HANG:r2'].sort(),
    );
    expect(row()).toMatchObject({ text: 'ready', available: true, failure: false });
    // No non-delivery report: nothing was bounced.
    expect((await store.list('Inbox')).filter((m) => m.messageClass.includes('NDR'))).toEqual([]);
  });

  it('if the provider never answers and cannot log on again, its row stays failed with the coded error and it is retried on the retry schedule; its mail waits', async () => {
    const c = controls();
    c.hangSubmit = true;
    const { spooler, store, rows, row, sink } = await start();
    running = spooler;

    const first = await spooler.submit({ to: 'HANG:first', subject: 'hangs' });
    await until('the first hand-off to hang', () => c.submits === 1);
    c.logon = 'throw';
    // The call times out; the relogon fails, and is tried again on the retry schedule (300 ms): not at once,
    // not never.
    await until('a failed relogon', () => c.logons >= 2);
    const firstTry = Date.now();
    await until(
      'the row to show the failed relogon',
      () => row()?.text.includes('could not log on again') ?? false,
    );
    const deadFrom = rows.length;
    expect(row()).toMatchObject({
      failure: true,
      available: false,
      lastError: { code: 'SPOOL_E_LOGON_FAILED' },
    });
    expect(row()?.text).toMatch(/next try at \d{4}-/);
    expect(row()?.lastError?.message).toContain('refuses logons');
    const hung = (await store.get(first.id))?.recipients[0];
    expect(hung).toMatchObject({ outcome: 'pending', attempts: 1 });
    expect(hung?.lastError).toContain('timed out');
    await until('the relogon to be retried', () => c.logons >= 3, 3000);
    expect(Date.now() - firstTry).toBeGreaterThanOrEqual(250);
    expect(sink.records.some((r) => r.message.includes('could not log on again'))).toBe(true);

    // Sent meanwhile: routed to the logon, and deferred with its error (an attempt counted, so the retry
    // maxAge bounds the wait), not bounced.
    const during = await spooler.submit({ to: 'HANG:during', subject: 'sent while failed' });
    await until('the waiting mail to be deferred with the logon error', async () =>
      ((await store.get(during.id))?.recipients[0]?.lastError ?? '').includes(
        'cannot log on (SPOOL_E_LOGON_FAILED)',
      ),
    );
    expect((await store.get(during.id))?.recipients[0]).toMatchObject({ outcome: 'pending', route: LOGON });
    expect((await store.get(first.id))?.recipients[0]?.outcome).toBe('pending');
    expect(rows.slice(deadFrom).filter(saysReady)).toEqual([]);

    // Once it can log on and answers, the waiting mail goes out.
    c.logon = 'ok';
    answerAgain(c);
    for (const { id } of [first, during])
      await until(`message ${id} in Sent`, async () => (await folderOf(store, id)) === 'Sent', 6000);
    expect(row()).toMatchObject({ text: 'ready', failure: false });
  });

  it('a poll that hangs past its timeout gets the logon logged on again too, found between passes; with nothing to hand off it is confirmed after a quiet timeout', async () => {
    const c = controls();
    c.hangPoll = true;
    const { spooler, store, row } = await start();
    running = spooler;
    await until('the poll to time out', () => row()?.lastError?.code === 'SPOOL_E_TIMEOUT');
    expect(row()?.failure).toBe(true);
    // The provider answers again (the hung poll is let go); no hand-off or send wakes the spooler.
    answerAgain(c);
    await until('a relogon', () => c.logons >= 2 && c.logoffs >= 1, 3000);
    await until('the logon to read ready again', () => row()?.text === 'ready', 3000);
    expect(row()).toMatchObject({ available: true, failure: false });
    const polls = c.polls;
    await until('polling to go on', () => c.polls > polls);
    const sent = await spooler.submit({ to: 'HANG:x', subject: 'after a hung poll' });
    await until('the message in Sent', async () => (await folderOf(store, sent.id)) === 'Sent');
  });

  it('a reload that logs the entry on anew while its logon cannot log on: the new logon serves at once and the old one is not logged on again behind it', async () => {
    const c = controls();
    c.hangSubmit = true;
    const { spooler, store, row, dir } = await start();
    running = spooler;
    const first = await spooler.submit({ to: 'HANG:first', subject: 'hangs' });
    await until('the first hand-off to hang', () => c.submits === 1);
    c.logon = 'throw';
    await until(
      'the row to show the failed relogon',
      () => row()?.text.includes('could not log on again') ?? false,
    );

    // Fixed, and reloaded with a changed entry (another timeout): the entry's logon is replaced.
    c.logon = 'ok';
    answerAgain(c);
    await spooler.reload(fixtureProfile(profileInput(dir, 160)));
    await until('the waiting message in Sent', async () => (await folderOf(store, first.id)) === 'Sent');
    expect(row()).toMatchObject({ text: 'ready', failure: false });
    // The failed logon's relogon schedule died with it: no logon behind the new one's back.
    const logons = c.logons;
    await sleep(700);
    expect(c.logons).toBe(logons);
    expect(row()?.text).toBe('ready');
  });

  it('runOnce() (spool run --once) with a hung provider ends promptly: the hung hand-off is deferred with the timeout and the rest waits, pending', async () => {
    const c = controls();
    c.hangSubmit = true;
    const dir = temporaryDir();
    const profile = fixtureProfile(profileInput(dir));
    const store = await openEmbeddedStore(`${dir}/spool.db`);
    const spooler = await Spooler.create({ profile, store, autoStart: false, logSink: memorySink() });
    running = spooler;
    const first = await spooler.submit({ to: 'HANG:a', subject: 'hangs' });
    const second = await spooler.submit({ to: 'HANG:b', subject: 'waits' });
    const started = Date.now();
    const report = await spooler.runOnce();
    expect(Date.now() - started).toBeLessThan(3000);
    expect(report.delivered).toBe(0);
    expect((await store.get(first.id))?.recipients[0]?.lastError).toContain('timed out');
    for (const { id } of [first, second])
      expect((await store.get(id))?.recipients[0]).toMatchObject({ outcome: 'pending', route: LOGON });
  });

  it('while its logon cannot log on, providers() reports the entry failed with the coded error; a reload without changes (SIGHUP) logs it on at once', async () => {
    const c = controls();
    c.hangSubmit = true;
    // A long retry schedule: only the reload can bring it back within this test.
    const { spooler, store, row, dir } = await start('1m');
    running = spooler;
    await spooler.submit({ to: 'HANG:first', subject: 'hangs' });
    await until('the first hand-off to hang', () => c.submits === 1);
    c.logon = 'throw';
    await until(
      'the row to show the failed relogon',
      () => row()?.text.includes('could not log on again') ?? false,
    );
    expect(spooler.providers()).toMatchObject([
      { id: 'hang', status: 'failed', error: { code: 'SPOOL_E_LOGON_FAILED' }, logons: [LOGON] },
    ]);

    c.logon = 'ok';
    answerAgain(c);
    const logons = c.logons;
    await spooler.reload(fixtureProfile(profileInput(dir, 150, '1m')));
    expect(c.logons).toBe(logons + 1);
    expect(spooler.providers()).toMatchObject([{ id: 'hang', status: 'active', logons: [LOGON] }]);
    expect(spooler.providers()[0]?.error).toBeUndefined();
    expect(row()).toMatchObject({ text: 'ready', failure: false, available: true });
    const after = await spooler.submit({ to: 'HANG:after', subject: 'after the reload' });
    await until(
      'the message sent after the reload in Sent',
      async () => (await folderOf(store, after.id)) === 'Sent',
    );
  });

  it('a logon whose begin-outbound threw (active, but taking no traffic) is logged on again too, and the mail routed to it is delivered', async () => {
    const c = controls();
    c.beginThrows = 1;
    const { spooler, store, rows, row } = await start();
    running = spooler;
    const sent = await spooler.submit({ to: 'HANG:x', subject: 'waits for traffic' });
    expect((await store.get(sent.id))?.recipients[0]?.route).toBe(LOGON);
    await until('the message in Sent', async () => (await folderOf(store, sent.id)) === 'Sent', 5000);
    expect(c.logons).toBe(2);
    expect(c.logoffs).toBe(1);
    // It showed the failure while it took nothing; it serves now.
    expect(rows.some((r) => r.failure && r.lastError?.message.includes('outbound channel'))).toBe(true);
    expect(row()).toMatchObject({ text: 'ready', failure: false, outbound: { enabled: true } });
  });
});
