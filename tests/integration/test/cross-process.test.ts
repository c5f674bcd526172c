import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { LOOPBACK_DIR, profileDir, spoolerIn } from './helpers.js';

const run = promisify(execFile);
const child = fileURLToPath(new URL('./crash/submit-child.mjs', import.meta.url));

/** Submits from a separate process and returns the new message's id. */
async function submitFromAnotherProcess(dir: string, subject: string): Promise<string> {
  const { stdout } = await run(process.execPath, [child, dir, LOOPBACK_DIR, subject]);
  return stdout.trim();
}

describe('a running spooler and another process sharing the store', () => {
  it('hands off a message another process submitted, with no call on the running spooler', async () => {
    const dir = profileDir();
    // autoStart: the spooler schedules by itself; nothing below calls runOnce, flush or submit on it.
    const spooler = await spoolerIn(dir, { providers: [{ provider: 'loopback' }] }, { autoStart: true });
    const finished = new Set<string>();
    spooler.on('finished', (message) => finished.add(message.id));

    const ids = [await submitFromAnotherProcess(dir, 'first'), await submitFromAnotherProcess(dir, 'second')];
    // Bounded wait (the bench measures how fast: figure h); the change poll is the only thing that can wake it.
    for (let i = 0; i < 500 && ids.some((id) => !finished.has(id)); i++)
      await new Promise((r) => setTimeout(r, 20));

    for (const id of ids) expect((await spooler.get(id)).folder).toBe('Sent');
    const copies = (await spooler.list('Inbox')).map((m) => m.subject).sort();
    expect(copies).toEqual(['first', 'second']);
  });

  it('does not hand off what another process stored while its change poll is off (the control)', async () => {
    const dir = profileDir();
    const spooler = await spoolerIn(
      dir,
      { providers: [{ provider: 'loopback' }] },
      { autoStart: true, changePollMs: 3_600_000 },
    );
    const id = await submitFromAnotherProcess(dir, 'unnoticed');
    // Whatever the wait, nothing in this process learns of the message: it stays queued until a pass.
    await new Promise((r) => setTimeout(r, 300));
    expect((await spooler.get(id)).folder).toBe('Outbox');
    await spooler.runOnce();
    expect((await spooler.get(id)).folder).toBe('Sent');
  });
});
