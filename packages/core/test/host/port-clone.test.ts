import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { startProviderPort } from '../../src/host/in-process-port.js';
import {
  PROVIDER_CALL_NAMES,
  type ProviderCallName,
  type ProviderPort,
} from '../../src/host/provider-port.js';
import { Spooler } from '../../src/pipeline/spooler.js';
import { openEmbeddedStore } from '../../src/store/open-store.js';
import { fixtureProfile, temporaryDir } from '../helpers.js';

/**
 * The provider port promises plain data: every argument and every result survives `structuredClone`, so a
 * port that runs providers in a worker thread or a child process can replace the in-process one. This test
 * runs a real spooler (embedded store on a file, the fixture provider that gives a reason for every call)
 * through a port that clones each argument on the way in and each result on the way out, checks each copy
 * equals what it copies and is plain data, and hands the copies on — so the pipeline and the provider work
 * only on clones, as they would across a message channel.
 */

/** Where a value is not plain data (a function, a class instance, a symbol), by path; empty when it is. */
function notPlainData(value: unknown, path = '$'): string[] {
  if (value === null || value === undefined) return [];
  const type = typeof value;
  if (type === 'string' || type === 'number' || type === 'boolean' || type === 'bigint') return [];
  if (type !== 'object') return [`${path}: ${type}`];
  // Buffer is a Uint8Array: its clone is a plain Uint8Array with the same bytes, which is what the SPI types.
  if (value instanceof Uint8Array || value instanceof Date) return [];
  if (Array.isArray(value)) return value.flatMap((item, i) => notPlainData(item, `${path}[${i}]`));
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return [`${path}: ${proto?.constructor?.name} instance`];
  return Object.entries(value).flatMap(([key, item]) => notPlainData(item, `${path}.${key}`));
}

interface Crossing {
  readonly name: ProviderCallName;
  readonly direction: 'args' | 'result';
  readonly problems: string[];
  readonly equal: boolean;
}

/** Clones what crosses the port, records each crossing, and hands the clone on. */
function cloning(port: ProviderPort, crossings: Crossing[]): ProviderPort {
  const cross = <T>(name: ProviderCallName, direction: Crossing['direction'], value: T): T => {
    const copy = structuredClone(value);
    let equal = true;
    try {
      expect(copy).toEqual(value);
    } catch {
      equal = false;
    }
    crossings.push({ name, direction, problems: notPlainData(value), equal });
    return copy;
  };
  const call: ProviderPort['call'] = async (name, logonId, args, options) =>
    cross(name, 'result', await port.call(name, logonId, cross(name, 'args', args), options));
  const tryCall: ProviderPort['tryCall'] = async (name, logonId, args, options) => {
    const result = await port.tryCall(name, logonId, cross(name, 'args', args), options);
    return result === undefined ? result : cross(name, 'result', result);
  };
  return new Proxy(port, {
    get(target, key) {
      if (key === 'call') return call;
      if (key === 'tryCall') return tryCall;
      const member = Reflect.get(target, key, target);
      return typeof member === 'function' ? member.bind(target) : member;
    },
  });
}

describe('the provider port passes plain data', () => {
  it('clones every argument and result of every call a spooler makes, and the spooler works on the clones', async () => {
    const dir = temporaryDir();
    (globalThis as { __spoolEveryCall?: string[] }).__spoolEveryCall = [];
    const crossings: Crossing[] = [];
    const profile = fixtureProfile({
      store: { path: `${dir}/spool.db` },
      providers: [{ id: 'every', provider: 'spool-provider-every-call' }],
    });
    const store = await openEmbeddedStore(`${dir}/spool.db`);
    const spooler = await Spooler.create(
      { profile, store, idleIntervalMs: 20, logSink: () => {} },
      { startPort: async (options) => cloning(await startProviderPort(options), crossings) },
    );
    try {
      await spooler.submit({
        to: ['EVERY:now', 'EVERY:later'],
        subject: 'both',
        text: 'body',
        attachments: [{ filename: 'x.txt', content: 'attached' }],
      });
      // A flush: preprocess, submitMessage, removePreprocessInfo, endMessage, the flush notifications, poll
      // and startMessage (one received message).
      await spooler.flush();
      // idle runs on its timer once the queue is quiet (the later recipient waits an hour): bounded wait.
      const seen = () => new Set(crossings.map((c) => c.name));
      for (let i = 0; i < 100 && !seen().has('idle'); i++) await sleep(20);

      expect([...seen()].sort()).toEqual([...PROVIDER_CALL_NAMES].sort());
      expect(crossings.filter((c) => c.problems.length > 0)).toEqual([]);
      expect(crossings.filter((c) => !c.equal)).toEqual([]);
      // Both directions crossed for the calls that return data.
      for (const name of ['preprocess', 'submitMessage', 'startMessage', 'poll', 'removePreprocessInfo'])
        expect(crossings.filter((c) => c.name === name).map((c) => c.direction)).toContain('result');

      // The work done on clones is the real work: the preprocess property reached the provider, the info
      // (a function) stayed in the port and reached submitMessage and removal, the outcomes were recorded.
      const calls = (globalThis as { __spoolEveryCall?: string[] }).__spoolEveryCall!;
      expect(calls).toContain('submitMessage:function');
      expect(calls).toContain('removePreprocessInfo:function');
      const outbox = await store.list('Outbox');
      expect(outbox).toHaveLength(1);
      expect(outbox[0]!.recipients.map((r) => r.outcome)).toEqual(['delivered', 'pending']);
      const inbox = await store.list('Inbox');
      expect(inbox.map((m) => m.subject)).toEqual(['inbound']);
      const received = await store.get(inbox[0]!.id);
      expect([...received!.attachments[0]!.content]).toEqual([1, 2, 3]);
    } finally {
      await spooler.stop({ mode: 'hurry' });
    }
  });
});
