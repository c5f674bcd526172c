import { access, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PDFDocument } from 'pdf-lib';
import { afterEach, describe, expect, it } from 'vitest';
import type { TransmissionLogEntry } from '../src/logon.js';
import {
  type FaxFixture,
  faxRecipient,
  handOff,
  makeMessage,
  openFax,
  type SupportHooks,
} from './support.js';

const fixtures: FaxFixture[] = [];
afterEach(async () => {
  await Promise.all(fixtures.splice(0).map((fx) => fx.close()));
});

async function fax(
  options: Parameters<typeof openFax>[0] = {},
  hooks: SupportHooks = {},
): Promise<FaxFixture> {
  const fx = await openFax(options, hooks);
  fixtures.push(fx);
  return fx;
}

async function logLines(fx: FaxFixture): Promise<TransmissionLogEntry[]> {
  const text = await readFile(join(fx.profileDir, 'fax-out', 'transmissions.jsonl'), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as TransmissionLogEntry);
}

async function sentFiles(fx: FaxFixture): Promise<string[]> {
  return (await readdir(join(fx.profileDir, 'fax-out'))).filter((name) => name.endsWith('.pdf')).sort();
}

const progressTexts = (fx: FaxFixture) =>
  fx.recorded.patches.flatMap((patch) => (patch.progress?.text === undefined ? [] : [patch.progress.text]));

describe('the logon', () => {
  it('claims FAX, takes one hand-off at a time, and polls at the configured interval', async () => {
    const fx = await fax({ pollIntervalMs: 1234 });
    expect(fx.logon.addressTypes()).toEqual(['FAX']);
    expect(fx.logon.maxInFlight).toBe(1);
    expect(fx.logon.pollIntervalMs).toBe(1234);
    expect(fx.recorded.patches[0]).toMatchObject({ available: true, text: 'line idle' });
    expect(fx.recorded.patches[0]?.identity).toMatch(/^fax:default/);
  });
});

describe('sending over the simulated line', () => {
  it('delivers to each recipient: one PDF each, a log line each, page progress, the handshake in a critical section', async () => {
    const fx = await fax();
    const message = makeMessage({
      recipients: [faxRecipient('r1', '+1 555 0100'), faxRecipient('r2', '+44 (20) 7946-0958')],
    });
    const { result, info } = await handOff(fx, message);
    expect(result).toEqual({
      recipients: {
        r1: { status: 'delivered', detail: 'sent 2 page(s) to +15550100' },
        r2: { status: 'delivered', detail: 'sent 2 page(s) to +442079460958' },
      },
    });
    expect(info?.pages).toBe(2);

    const files = await sentFiles(fx);
    expect(files).toEqual(['msg-1-r1-+15550100.pdf', 'msg-1-r2-+442079460958.pdf']);
    for (const file of files) {
      const pdf = await PDFDocument.load(await readFile(join(fx.profileDir, 'fax-out', file)));
      expect(pdf.getPageCount()).toBe(2);
    }

    const log = await logLines(fx);
    expect(
      log.map(({ number, pages, result: r, messageId }) => ({ number, pages, result: r, messageId })),
    ).toEqual([
      { number: '+15550100', pages: 2, result: 'delivered', messageId: '<msg-1@spool.test>' },
      { number: '+442079460958', pages: 2, result: 'delivered', messageId: '<msg-1@spool.test>' },
    ]);
    for (const entry of log) {
      expect(Number.isNaN(Date.parse(entry.time))).toBe(false);
      expect(entry.duration).toBeGreaterThan(0);
    }

    expect(progressTexts(fx)).toEqual(['page 1 of 2', 'page 2 of 2', 'page 1 of 2', 'page 2 of 2']);
    expect(fx.recorded.patches.at(-1)).toMatchObject({ progress: null, text: 'line idle' });
    expect(fx.recorded.critical).toEqual({ entered: 2, left: 2, held: 0 });
    // Dialling happens inside the section; pages are sent after it was left, with a yield before each.
    const firstCall = fx.recorded.events.slice(fx.recorded.events.indexOf('enter'));
    expect(firstCall.slice(0, 7)).toEqual([
      'enter',
      'patch:dialling +15550100',
      'patch:connecting to +15550100',
      'leave',
      'patch:sending to +15550100',
      'yield',
      'patch:page 1 of 2',
    ]);
    expect(fx.recorded.yields).toBe(4);
  });

  it('retries a busy number after the configured delay, then delivers once it is free (busyAttempts: 1)', async () => {
    const fx = await fax({ busyNumbers: ['+1 555 0100'], busyAttempts: 1, retryDelayMs: 30_000 });
    const first = await handOff(fx, makeMessage());
    expect(first.result).toEqual({
      recipients: { r1: { status: 'retry', reason: 'line busy at +15550100', delayMs: 30_000 } },
    });
    expect(await sentFiles(fx)).toEqual([]);
    expect(fx.recorded.critical).toMatchObject({ entered: 1, left: 1 });

    const second = await handOff(fx, makeMessage({ recipients: [faxRecipient('r1', '+1 555 0100', 1)] }));
    expect(second.result).toEqual({
      recipients: { r1: { status: 'delivered', detail: 'sent 2 page(s) to +15550100' } },
    });
    expect((await logLines(fx)).map((entry) => entry.result)).toEqual(['busy', 'delivered']);
    expect(await sentFiles(fx)).toHaveLength(1);
  });

  it('keeps retrying a number that stays busy or unanswered, matching prefixes', async () => {
    const fx = await fax({ busyNumbers: ['+1555*'], noAnswerNumbers: ['+44 20 7946 0958'] });
    const message = makeMessage({
      recipients: [faxRecipient('r1', '+1 555 0100'), faxRecipient('r2', '+44 20 7946 0958')],
    });
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const { result } = await handOff(fx, message);
      expect(result).toEqual({
        recipients: {
          r1: { status: 'retry', reason: 'line busy at +15550100', delayMs: 60_000 },
          r2: { status: 'retry', reason: 'no answer at +442079460958', delayMs: 60_000 },
        },
      });
    }
  });

  it('fails malformed and unallocated numbers permanently, and still sends to the others', async () => {
    const fx = await fax({ invalidNumbers: ['+1 555 0199'] });
    const message = makeMessage({
      recipients: [
        faxRecipient('bad', '555-0100'),
        faxRecipient('long', '+1234567890123456'),
        faxRecipient('dead', '+1 555 0199'),
        faxRecipient('ok', '+1 555 0100'),
      ],
    });
    const { result } = await handOff(fx, message);
    if (!('recipients' in result)) throw new Error('expected per-recipient outcomes');
    expect(result.recipients.bad).toMatchObject({ status: 'failed', code: 'FAX_E_INVALID_NUMBER' });
    expect(result.recipients.bad).toHaveProperty(
      'reason',
      expect.stringMatching(/invalid fax number "555-0100"/),
    );
    expect(result.recipients.long).toMatchObject({ status: 'failed', code: 'FAX_E_INVALID_NUMBER' });
    expect(result.recipients.dead).toEqual({
      status: 'failed',
      reason: 'invalid number +15550199: not allocated',
      code: 'FAX_E_INVALID_NUMBER',
    });
    expect(result.recipients.ok).toMatchObject({ status: 'delivered' });
    expect((await logLines(fx)).map((entry) => entry.result)).toEqual([
      'invalid-number',
      'invalid-number',
      'unallocated',
      'delivered',
    ]);
    expect(await sentFiles(fx)).toEqual(['msg-1-ok-+15550100.pdf']);
  });

  it('stops mid-transmission when the signal aborts and throws SPOOL_E_CANCELLED', async () => {
    const controller = new AbortController();
    const fx = await fax(
      {},
      { onYield: (count) => count === 2 && controller.abort(new Error('user cancel')) },
    );
    const message = makeMessage({
      text: Array.from({ length: 200 }, (_, i) => `line ${i}`).join('\n'),
      recipients: [faxRecipient('r1', '+1 555 0100'), faxRecipient('r2', '+1 555 0101')],
    });
    await expect(handOff(fx, message, message.recipients, controller.signal)).rejects.toMatchObject({
      code: 'SPOOL_E_CANCELLED',
    });
    // Aborted at the second yield: page 1 went out, page 2 never started, the second number was never dialled.
    expect(progressTexts(fx)).toEqual([expect.stringMatching(/^page 1 of ([3-9]|\d\d)$/)]);
    expect(await sentFiles(fx)).toEqual([]);
    expect(await logLines(fx)).toMatchObject([{ number: '+15550100', result: 'cancelled' }]);
    expect(fx.recorded.critical).toEqual({ entered: 1, left: 1, held: 0 });
    expect(fx.recorded.patches.at(-1)).toMatchObject({ progress: null });
  });

  it('wakes up from a real-time page wait as soon as the signal aborts', async () => {
    const controller = new AbortController();
    // At real speed a fine A4 page takes ~18 s: the test only finishes in time if the wait is cut short.
    const fx = await fax(
      { timeFactor: 1, handshakeMs: 0 },
      {
        onPatch: (patch) => patch.progress?.text === 'page 1 of 2' && setTimeout(() => controller.abort(), 5),
      },
    );
    await expect(handOff(fx, makeMessage(), undefined, controller.signal)).rejects.toMatchObject({
      code: 'SPOOL_E_CANCELLED',
    });
    expect(await sentFiles(fx)).toEqual([]);
  });

  it('leaves the critical section when cancelled during the handshake', async () => {
    const controller = new AbortController();
    const fx = await fax(
      {},
      { onPatch: (patch) => patch.text?.startsWith('dialling') && controller.abort() },
    );
    await expect(handOff(fx, makeMessage(), undefined, controller.signal)).rejects.toMatchObject({
      code: 'SPOOL_E_CANCELLED',
    });
    expect(fx.recorded.critical).toEqual({ entered: 1, left: 1, held: 0 });
    expect(progressTexts(fx)).toEqual([]);
  });

  it('renders the pages itself when the host ran no preprocessor, and cleans up after', async () => {
    const fx = await fax();
    const result = await fx.logon.submitMessage(makeMessage(), makeMessage().recipients, {
      signal: new AbortController().signal,
      preprocessInfo: undefined,
    });
    expect(result).toEqual({
      recipients: { r1: { status: 'delivered', detail: 'sent 2 page(s) to +15550100' } },
    });
    await expect(access(join(fx.dataDir, 'submit', 'submit-msg-1'))).rejects.toThrow();
  });
});
