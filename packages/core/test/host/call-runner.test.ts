import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Activity, CallRunner } from '../../src/host/call-runner.js';

const attribution = { provider: 'p', version: '1.0.0', method: 'submitMessage' };

describe('CallRunner timeouts (fake clock)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('activity resets the inactivity timeout, up to the hard cap', async () => {
    const runner = new CallRunner();
    const activity = new Activity();
    let finish!: (v: string) => void;
    const call = runner.run(
      { attribution, timeouts: { inactivityMs: 100, hardCapMs: 1000 }, activity },
      () =>
        new Promise<string>((r) => {
          finish = r;
        }),
    );
    for (let i = 0; i < 8; i++) {
      await vi.advanceTimersByTimeAsync(80);
      activity.touch();
    }
    finish('done');
    await expect(call).resolves.toBe('done'); // 640 ms in all, never 100 ms idle
  });

  it('another call starting on the same logon is no activity for a hung one: it still times out on inactivity', async () => {
    const runner = new CallRunner();
    const activity = new Activity();
    const timeouts = { inactivityMs: 100, hardCapMs: 10_000 };
    let error: { code: string; message: string } | undefined;
    const hung = runner
      .run({ attribution, timeouts, activity }, () => new Promise(() => {}))
      .catch((e: unknown) => {
        error = e as { code: string; message: string };
      });
    // A poll every 30 ms on the same logon, each answering at once (no support call: no activity).
    let polls = 0;
    for (let i = 0; i < 10; i++) {
      await runner.run({ attribution: { ...attribution, method: 'poll' }, timeouts, activity }, () => false);
      polls++;
      await vi.advanceTimersByTimeAsync(30);
    }
    // 300 ms have passed: the hung call timed out at 100 ms, not at the hard cap.
    expect(polls).toBe(10);
    expect(error).toMatchObject({ code: 'SPOOL_E_TIMEOUT' });
    expect(error?.message).toContain('100 ms without activity');
    await vi.advanceTimersByTimeAsync(timeouts.hardCapMs);
    await hung;
  });

  it('the hard cap fires even with steady activity, and aborts the call’s signal', async () => {
    const runner = new CallRunner();
    const activity = new Activity();
    let signal!: AbortSignal;
    const call = runner.run(
      { attribution, timeouts: { inactivityMs: 100, hardCapMs: 300 }, activity },
      (s) => {
        signal = s;
        return new Promise(() => {});
      },
    );
    const settled = call.catch((e: unknown) => e as { code: string; message: string });
    for (let i = 0; i < 5; i++) {
      await vi.advanceTimersByTimeAsync(80);
      activity.touch();
    }
    const error = (await settled) as { code: string; message: string };
    expect(error).toMatchObject({ code: 'SPOOL_E_TIMEOUT' });
    expect(error.message).toContain('hard cap of 300 ms');
    expect(signal.aborted).toBe(true);
  });

  it('an outer abort reaches the provider and is not reported as a provider failure', async () => {
    const failures: unknown[] = [];
    const runner = new CallRunner({ onFailure: (_, e) => failures.push(e) });
    const outer = new AbortController();
    const call = runner.run(
      { attribution, timeouts: { inactivityMs: 1000, hardCapMs: 1000 }, signal: outer.signal },
      (signal) =>
        new Promise((_, reject) =>
          signal.addEventListener('abort', () =>
            reject(Object.assign(new Error('stopped'), { code: 'SPOOL_E_CANCELLED' })),
          ),
        ),
    );
    outer.abort();
    await expect(call).rejects.toMatchObject({ code: 'SPOOL_E_CANCELLED' });
    expect(failures).toEqual([]);
  });
});
